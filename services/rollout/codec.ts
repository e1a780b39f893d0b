/** The protobuf codec of a Rollout (the value of a key in KV bucket mlmesh_rollouts). */
import type { Rollout, Rollout__Output } from '../../shared/generated/mlmesh/rollout/v1/Rollout.js';
import { messageCodec } from '../../shared/protos/index.js';

const codec = messageCodec<Rollout, Rollout__Output>('mlmesh/rollout/v1/rollout.proto', 'mlmesh.rollout.v1.Rollout');

/** Encodes a Rollout as protobuf. */
export const encodeRollout = (r: Rollout): Uint8Array => codec.encode(r);

/** Decodes a Rollout. @throws Error on bytes that are not one. */
export const decodeRollout = (bytes: Uint8Array): Rollout__Output => codec.decode(bytes);
