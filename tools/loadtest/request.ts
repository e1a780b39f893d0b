/** Builds the request a load test sends, from the model's own metadata, and its gRPC frame. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { projectRoot } from '../../shared/config/index.js';
import { DATATYPES, isDatatype, typedView } from '../../shared/tensors/index.js';
import type { ModelMetadataResponse__Output } from '../../shared/generated/inference/ModelMetadataResponse.js';
import type { ModelInferRequest } from '../../shared/generated/inference/ModelInferRequest.js';

/**
 * A ModelInferRequest with `rows` rows of every input, raw little-endian: floats uniform in
 * [0, 1), integers 0 (valid as an index or id for any model), booleans false.
 * @throws Error when an input has a variable dimension other than the batch, or a datatype
 *   mlmesh does not serve.
 */
export function buildRequest(meta: ModelMetadataResponse__Output, rows: number, version = ''): ModelInferRequest {
  const inputs = meta.inputs.map((t) => {
    const dims = t.shape.map(Number);
    const shape = dims.map((d, i) => {
      if (i === 0 && d === -1) return rows;
      if (d < 0) throw new Error(`input '${t.name}' has a variable dimension ${i}: the load test cannot choose it`);
      return d;
    });
    if (!isDatatype(t.datatype)) throw new Error(`input '${t.name}' has datatype ${t.datatype}, which mlmesh does not serve`);
    const n = shape.reduce((a, d) => a * d, 1);
    const bytes = new Uint8Array(n * DATATYPES[t.datatype].bytes);
    if (t.datatype === 'FP32' || t.datatype === 'FP64') {
      const view = typedView(t.datatype, bytes.buffer, 0, bytes.byteLength) as Float32Array;
      for (let i = 0; i < n; i++) view[i] = Math.random();
    }
    return { tensor: { name: t.name, datatype: t.datatype, shape }, bytes: Buffer.from(bytes.buffer) };
  });
  return {
    model_name: meta.name,
    model_version: version,
    inputs: inputs.map((i) => i.tensor),
    raw_input_contents: inputs.map((i) => i.bytes),
  };
}

/** A length-prefixed gRPC message (uncompressed) holding the encoded request, for h2load. */
export function grpcFrame(request: ModelInferRequest): Buffer {
  const root = protobuf.parse(readFileSync(join(projectRoot(), 'protos/inference/grpc_service.proto'), 'utf8'), { keepCase: true }).root;
  const type = root.lookupType('inference.ModelInferRequest');
  const msg = Buffer.from(type.encode(type.fromObject(request)).finish());
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(0, 0);
  prefix.writeUInt32BE(msg.byteLength, 1);
  return Buffer.concat([prefix, msg]);
}
