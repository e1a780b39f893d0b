/** The protobuf codec of a Rollout (the value of a key in KV bucket mlmesh_rollouts). */
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { projectRoot } from '../../shared/config/index.js';
import type { Rollout, Rollout__Output } from '../../shared/generated/mlmesh/rollout/v1/Rollout.js';

let rolloutType: protobuf.Type | undefined;

function type(): protobuf.Type {
  if (!rolloutType) {
    const root = new protobuf.Root();
    const dir = join(projectRoot(), 'protos');
    root.resolvePath = (_origin, target) => join(dir, target);
    root.loadSync('mlmesh/rollout/v1/rollout.proto', { keepCase: true });
    rolloutType = root.lookupType('mlmesh.rollout.v1.Rollout');
  }
  return rolloutType;
}

/** The conversion proto-loader applies, so decoded values match the generated `__Output` type. */
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, oneofs: true, arrays: true, objects: true };

/** Encodes a Rollout as protobuf. */
export function encodeRollout(r: Rollout): Uint8Array {
  const t = type();
  return t.encode(t.fromObject(r)).finish();
}

/** Decodes a Rollout. @throws Error on bytes that are not one. */
export function decodeRollout(bytes: Uint8Array): Rollout__Output {
  const t = type();
  return t.toObject(t.decode(bytes), TO_OBJECT) as Rollout__Output;
}
