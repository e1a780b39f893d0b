/** The protobuf codec of a Run (the value of key run.<id> in KV bucket mlmesh_retrainer). */
import type { Run, Run__Output } from '../../shared/generated/mlmesh/retrainer/v1/Run.js';
import { messageCodec } from '../../shared/protos/index.js';

const codec = messageCodec<Run, Run__Output>('mlmesh/retrainer/v1/retrainer.proto', 'mlmesh.retrainer.v1.Run');

/** Encodes a Run as protobuf. */
export const encodeRun = (r: Run): Uint8Array => codec.encode(r);

/** Decodes a Run. @throws Error on bytes that are not one. */
export const decodeRun = (bytes: Uint8Array): Run__Output => codec.decode(bytes);
