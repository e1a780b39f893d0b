/** The protobuf codec of a Run (the value of key run.<id> in KV bucket mlmesh_retrainer). */
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { projectRoot } from '../../shared/config/index.js';
import type { Run, Run__Output } from '../../shared/generated/mlmesh/retrainer/v1/Run.js';

let runType: protobuf.Type | undefined;

function type(): protobuf.Type {
  if (!runType) {
    const root = new protobuf.Root();
    const dir = join(projectRoot(), 'protos');
    root.resolvePath = (_origin, target) => join(dir, target);
    root.loadSync('mlmesh/retrainer/v1/retrainer.proto', { keepCase: true });
    runType = root.lookupType('mlmesh.retrainer.v1.Run');
  }
  return runType;
}

/** The conversion proto-loader applies, so decoded values match the generated `__Output` type. */
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, oneofs: true, arrays: true, objects: true };

/** Encodes a Run as protobuf. */
export function encodeRun(r: Run): Uint8Array {
  const t = type();
  return t.encode(t.fromObject(r)).finish();
}

/** Decodes a Run. @throws Error on bytes that are not one. */
export function decodeRun(bytes: Uint8Array): Run__Output {
  const t = type();
  return t.toObject(t.decode(bytes), TO_OBJECT) as Run__Output;
}
