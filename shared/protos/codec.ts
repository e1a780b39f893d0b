/** A protobuf codec of one message type of the package's .proto files, decoding as proto-loader does. */
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { PROTOS_DIR } from './files.js';

/** The conversion proto-loader applies, so decoded values match the generated `__Output` types. */
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, oneofs: true, arrays: true, objects: true };

/** Encode and decode of one message type. */
export interface MessageCodec<In, Out> {
  encode(message: In): Uint8Array;
  /** @throws Error on bytes that are not one. */
  decode(bytes: Uint8Array): Out;
}

/**
 * The codec of `typeName` (fully qualified, e.g. `mlmesh.rollout.v1.Rollout`) declared in
 * `protoFile` (relative to protos/). The .proto is loaded on first use, once.
 */
export function messageCodec<In extends object, Out>(protoFile: string, typeName: string): MessageCodec<In, Out> {
  let type: protobuf.Type | undefined;
  const get = (): protobuf.Type => {
    if (!type) {
      const root = new protobuf.Root();
      root.resolvePath = (_origin, target) => join(PROTOS_DIR, target);
      root.loadSync(protoFile, { keepCase: true });
      type = root.lookupType(typeName);
    }
    return type;
  };
  return {
    encode: (m) => get().encode(get().fromObject(m)).finish(),
    decode: (bytes) => get().toObject(get().decode(bytes), TO_OBJECT) as Out,
  };
}
