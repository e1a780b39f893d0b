import { InvalidArgumentError, clip } from '../../shared/errors/index.js';
import type { InferParameter__Output } from '../../shared/generated/inference/InferParameter.js';
import type { ModelInferRequest__Output } from '../../shared/generated/inference/ModelInferRequest.js';
import type { ModelInferResponse } from '../../shared/generated/inference/ModelInferResponse.js';
import {
  DATATYPES,
  bytesToTypedContents,
  elementCount,
  hasTypedContents,
  isDatatype,
  typedContentsToBytes,
} from '../../shared/tensors/index.js';
import type { DecodedInput, JobOutput } from './batcher.js';
import type { ModelSignature } from './signature.js';

/** Request-level parameter: `false` asks for typed `contents` in the response instead of raw. */
export const BINARY_OUTPUT_PARAMETER = 'binary_data_output';

/**
 * Request-level parameters that Triton and KServe define with a meaning mlmesh does not
 * implement (scheduling priority, a per-request queue timeout, sequence batching). They are
 * refused so that a caller never believes it got that behaviour; any other request parameter is
 * the caller's metadata (kept in the prediction log). `triton_*` names are Triton's own too.
 */
export const UNSUPPORTED_REQUEST_PARAMETERS = ['priority', 'timeout', 'sequence_id', 'sequence_start', 'sequence_end'] as const;

/**
 * Largest dimension onnxruntime-node accepts in a tensor shape (it refuses 2^32; measured with
 * onnxruntime-node 1.30). Only an empty tensor can reach it within a message size limit.
 */
export const MAX_DIMENSION = 2 ** 32 - 1;

/** A request after validation, ready for the batcher. */
export interface DecodedRequest {
  inputs: DecodedInput[];
  rows: number;
  key: string;
  /** Outputs to return, in the order to return them. */
  outputs: readonly string[];
  /** Answer with typed contents rather than raw bytes. */
  typedOutput: boolean;
}

function invalid(message: string, field: string): never {
  throw new InvalidArgumentError(message, { field });
}

/** A shape for a message; a client's shape may have any rank, so it is clipped. */
function fmtShape(shape: readonly number[]): string {
  return clip(`[${shape.slice(0, 64).join(', ')}${shape.length > 64 ? ', …' : ''}]`) + (shape.length > 64 ? ` (rank ${shape.length})` : '');
}

/** A bool request parameter, or `fallback` when absent. */
export function boolParameter(params: Record<string, InferParameter__Output>, name: string, fallback: boolean): boolean {
  const p = params[name];
  if (!p) return fallback;
  if (p.parameter_choice === 'bool_param') return p.bool_param ?? fallback;
  if (p.parameter_choice === 'string_param' && (p.string_param === 'true' || p.string_param === 'false')) return p.string_param === 'true';
  return invalid(`parameter '${name}' must be a bool`, `parameters.${name}`);
}

/** Refuses the request-level parameters mlmesh does not implement (see {@link UNSUPPORTED_REQUEST_PARAMETERS}). */
function checkRequestParameters(params: Record<string, InferParameter__Output>): void {
  for (const key of Object.keys(params)) {
    if ((UNSUPPORTED_REQUEST_PARAMETERS as readonly string[]).includes(key) || key.startsWith('triton_')) {
      invalid(`parameter '${clip(key)}' is not supported by mlmesh (it would change scheduling or sequencing, which mlmesh does not implement)`, `parameters.${clip(key)}`);
    }
  }
}

/**
 * Validates a ModelInferRequest against a version's signature and decodes its tensors.
 * @throws InvalidArgumentError naming the input, output or field at fault: unknown, missing or
 *   repeated inputs; wrong datatype; a shape that does not match; a batch over `maxRequestRows`;
 *   raw byte lengths that do not match shape × datatype; raw and typed contents both set.
 * @param maxRequestRows largest batch dimension accepted (a request over `maxBatchSize` rows is
 *   split into chunks by `submitSplit`, split.ts); `maxBatchSize` when not given.
 */
export function decodeInferRequest(req: ModelInferRequest__Output, sig: ModelSignature, maxBatchSize: number, maxRequestRows = maxBatchSize): DecodedRequest {
  checkRequestParameters(req.parameters);
  const given = new Map<string, number>();
  req.inputs.forEach((t, i) => {
    if (given.has(t.name)) invalid(`input '${clip(t.name)}' is given twice`, `inputs[${i}].name`);
    if (!sig.inputIndex.has(t.name)) invalid(`unknown input '${clip(t.name)}' (the model's inputs are ${sig.inputs.map((x) => x.name).join(', ')})`, `inputs[${i}].name`);
    // Input parameters would say where the data is (Triton's shared memory) or how to read it:
    // mlmesh implements none, so none may be silently ignored.
    const param = Object.keys(t.parameters)[0];
    if (param !== undefined) invalid(`input '${t.name}': parameter '${clip(param)}' is not supported (mlmesh takes tensor data from contents or raw_input_contents only)`, `inputs[${i}].parameters.${clip(param)}`);
    given.set(t.name, i);
  });
  for (const t of sig.inputs) if (!given.has(t.name)) invalid(`missing input '${t.name}'`, 'inputs');
  const raw = req.raw_input_contents;
  if (raw.length > 0 && raw.length !== req.inputs.length) {
    invalid(`raw_input_contents has ${raw.length} entries for ${req.inputs.length} inputs (one per input, in order)`, 'raw_input_contents');
  }
  let rows = -1;
  const inputs = sig.inputs.map((spec): DecodedInput => {
    const i = given.get(spec.name) as number;
    const t = req.inputs[i] as ModelInferRequest__Output['inputs'][number];
    const name = t.name;
    if (t.datatype === 'BYTES') invalid(`input '${name}': datatype BYTES is not served (only numeric and BOOL tensors)`, name);
    if (!isDatatype(t.datatype)) invalid(`input '${name}': datatype '${clip(t.datatype)}' is not supported`, name);
    if (t.datatype !== spec.datatype) invalid(`input '${name}': datatype ${t.datatype} does not match the model's ${spec.datatype}`, name);
    const shape = t.shape.map(Number);
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) invalid(`input '${name}': shape ${fmtShape(shape)} has a negative or invalid dimension`, name);
    const huge = shape.findIndex((d) => d > MAX_DIMENSION);
    if (huge >= 0) invalid(`input '${name}': shape ${fmtShape(shape)}: dimension ${huge} is ${shape[huge]}, over the largest dimension onnxruntime takes (${MAX_DIMENSION})`, name);
    if (shape.length !== spec.shape.length || shape.some((d, k) => spec.shape[k] !== -1 && spec.shape[k] !== d)) {
      invalid(`input '${name}': shape ${fmtShape(shape)} does not match the model's ${fmtShape(spec.shape)}`, name);
    }
    if (maxBatchSize > 0) {
      const r = shape[0] as number;
      if (r < 1) invalid(`input '${name}': batch dimension must be at least 1`, name);
      if (r > maxRequestRows) {
        invalid(
          maxRequestRows === maxBatchSize
            ? `input '${name}': batch of ${r} exceeds the model's max_batch_size ${maxBatchSize}`
            : `input '${name}': batch of ${r} exceeds the largest request of ${maxRequestRows} rows (maxRequestBatches × the model's max_batch_size ${maxBatchSize})`,
          name,
        );
      }
      if (rows !== -1 && r !== rows) invalid(`input '${name}': batch dimension ${r} differs from the other inputs' ${rows}`, name);
      rows = r;
    }
    const count = elementCount(shape);
    const size = DATATYPES[spec.datatype].bytes;
    let bytes: Uint8Array;
    if (raw.length > 0) {
      if (hasTypedContents(t.contents)) invalid(`input '${name}' sets contents while raw_input_contents is used: use one or the other`, name);
      const b = raw[i] as Buffer;
      if (b.byteLength !== count * size) {
        invalid(`input '${name}': raw_input_contents[${i}] has ${b.byteLength} bytes, but shape ${fmtShape(shape)} of ${spec.datatype} needs ${count * size}`, name);
      }
      bytes = b;
    } else {
      if (!t.contents || !hasTypedContents(t.contents)) {
        if (count !== 0) invalid(`input '${name}' has no data: set contents or raw_input_contents`, name);
      }
      bytes = t.contents ? typedContentsToBytes(spec.datatype, t.contents, count, name) : new Uint8Array(0);
    }
    return { name, datatype: spec.datatype, shape, bytes };
  });

  const outputNames = sig.outputNames;
  let outputs: readonly string[] = outputNames;
  const typedOutput = !boolParameter(req.parameters, BINARY_OUTPUT_PARAMETER, true);
  if (req.outputs.length > 0) {
    const seen = new Set<string>();
    outputs = req.outputs.map((o, k) => {
      if (!outputNames.includes(o.name)) invalid(`unknown output '${clip(o.name)}' (the model's outputs are ${outputNames.join(', ')})`, `outputs[${k}].name`);
      if (seen.has(o.name)) invalid(`output '${o.name}' is requested twice`, `outputs[${k}].name`);
      seen.add(o.name);
      checkOutputParameters(o.name, o.parameters, typedOutput, k);
      return o.name;
    });
  }
  if (typedOutput) {
    for (const o of sig.outputs) {
      if (outputs.includes(o.name) && DATATYPES[o.datatype].contents === undefined) {
        invalid(`output '${o.name}' is ${o.datatype}, which travels only raw: do not set ${BINARY_OUTPUT_PARAMETER}=false`, `parameters.${BINARY_OUTPUT_PARAMETER}`);
      }
    }
  }
  const key = inputs.map((x) => `${x.datatype}:${x.shape.slice(1).join('x')}`).join('|');
  return { inputs, rows: maxBatchSize > 0 ? rows : 1, key, outputs, typedOutput };
}

/**
 * Per-output parameters: only `binary_data` is understood, and it must agree with the request's
 * choice (raw_output_contents covers all outputs or none). Anything else (e.g. Triton's
 * `classification`) is refused rather than silently ignored.
 */
function checkOutputParameters(name: string, params: Record<string, InferParameter__Output>, typedOutput: boolean, k: number): void {
  for (const key of Object.keys(params)) {
    if (key !== 'binary_data') invalid(`output '${name}': parameter '${clip(key)}' is not supported`, `outputs[${k}].parameters.${clip(key)}`);
  }
  if (params['binary_data'] && boolParameter(params, 'binary_data', true) === typedOutput) {
    invalid(`output '${name}': binary_data must agree with the request's ${BINARY_OUTPUT_PARAMETER} (all outputs raw or all typed)`, `outputs[${k}].parameters.binary_data`);
  }
}

/** Builds the response: the requested outputs in order, raw by default or typed when asked. */
export function encodeInferResponse(
  req: DecodedRequest,
  model: string,
  version: string,
  id: string,
  results: readonly JobOutput[],
): ModelInferResponse {
  const byName = new Map(results.map((r) => [r.name, r]));
  const picked = req.outputs.map((n) => byName.get(n)).filter((r): r is JobOutput => r !== undefined);
  return {
    model_name: model,
    model_version: version,
    id,
    outputs: picked.map((r) => ({
      name: r.name,
      datatype: r.datatype,
      shape: r.shape,
      ...(req.typedOutput ? { contents: bytesToTypedContents(r.datatype, r.bytes) } : {}),
    })),
    raw_output_contents: req.typedOutput ? [] : picked.map((r) => Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength)),
  };
}
