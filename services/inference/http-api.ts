/**
 * The Open Inference Protocol's HTTP/REST binding (KServe v2, as Triton serves it) on the
 * service's HTTP port, beside the host's `/v2/health/live|ready`:
 *
 *   GET  /v2                                              server metadata
 *   GET  /v2/models/{m}[/versions/{v}]                    model metadata
 *   GET  /v2/models/{m}[/versions/{v}]/ready              200 ready, 503 not (unknown included)
 *   GET  /v2/models/{m}[/versions/{v}]/config             Triton's model configuration (ModelConfig)
 *   GET  /v2/models[/{m}[/versions/{v}]]/stats            Triton's statistics (ModelStatistics)
 *   POST /v2/models/{m}[/versions/{v}]/infer              inference, JSON tensors
 *
 * Every route runs the gRPC handler of the same method ({@link inferenceHandlers}) with an HTTP
 * {@link CallContext}: an infer is decoded into a ModelInferRequest and goes through the same
 * validation, routing, batching, metrics, deadline and prediction log as a gRPC ModelInfer. This
 * module only translates the wire format: JSON (or Triton's binary tensor extension) in, JSON
 * (and binary) out, and errors as `{"error": "..."}` with the HTTP status of the gRPC code.
 */
import type { CallContext } from '../../shared/grpc/index.js';
import { statusName, toGrpcStatus } from '../../shared/grpc/index.js';
import type { GRPCInferenceServiceHandlers } from '../../shared/generated/inference/GRPCInferenceService.js';
import type { InferParameter__Output } from '../../shared/generated/inference/InferParameter.js';
import type { InferTensorContents__Output } from '../../shared/generated/inference/InferTensorContents.js';
import type { ModelInferRequest__Output } from '../../shared/generated/inference/ModelInferRequest.js';
import type { ModelInferResponse } from '../../shared/generated/inference/ModelInferResponse.js';
import type { InferParameter } from '../../shared/generated/inference/InferParameter.js';
import { Code, InvalidArgumentError, clip } from '../../shared/errors/index.js';
import type { PromiseHandlers } from '../../shared/host/index.js';
import { JSON_TYPE, httpCallContext, httpStatusOfCode, sendError } from '../../shared/http/index.js';
import type { FastifyInstance, FastifyReply, FastifyRequest, HttpCall } from '../../shared/http/index.js';
import { DATATYPES, FP16_MAX, elementCount, fromHalfBits, isDatatype, toHalfBits, typedContentsToBytes } from '../../shared/tensors/index.js';
import type { Datatype } from '../../shared/tensors/index.js';
import { BINARY_OUTPUT_PARAMETER } from './request.js';

/** Triton's binary tensor extension: the length of the JSON header that starts the body. */
export const HEADER_LENGTH_HEADER = 'inference-header-content-length';
/** Input (request) and output (response) parameter: the tensor's bytes follow the JSON header. */
export const BINARY_SIZE_PARAMETER = 'binary_data_size';
/** Output parameter: this output as binary data (true) or JSON `data` (false). */
export const BINARY_DATA_PARAMETER = 'binary_data';

const INFER_KEYS = ['id', 'parameters', 'inputs', 'outputs'];
const INPUT_KEYS = ['name', 'shape', 'datatype', 'parameters', 'data'];
const OUTPUT_KEYS = ['name', 'parameters'];

type Handlers = PromiseHandlers<GRPCInferenceServiceHandlers>;
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function bad(field: string, message: string): never {
  throw new InvalidArgumentError(`${field}: ${message}`, { field });
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(o: JsonObject, known: readonly string[], where: string): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) bad(where === '' ? clip(k) : `${where}.${clip(k)}`, `unknown field (known: ${known.join(', ')})`);
}

/** A JSON parameters object as InferParameters: bool, whole number (int64) or string. */
function parameters(v: Json | undefined, field: string): Record<string, InferParameter__Output> {
  // null as absent: some clients write every optional field, unset ones as null.
  if (v === undefined || v === null) return {};
  if (!isObject(v)) bad(field, 'must be an object');
  const out: Record<string, InferParameter__Output> = {};
  for (const [k, p] of Object.entries(v)) {
    if (typeof p === 'boolean') out[k] = { bool_param: p, parameter_choice: 'bool_param' };
    else if (typeof p === 'string') out[k] = { string_param: p, parameter_choice: 'string_param' };
    else if (typeof p === 'number' && Number.isSafeInteger(p)) out[k] = { int64_param: String(p), parameter_choice: 'int64_param' };
    else bad(`${field}.${clip(k)}`, 'must be a bool, a whole number or a string (the protocol has no other parameter type)');
  }
  return out;
}

function boolParam(p: InferParameter__Output | undefined, field: string): boolean | undefined {
  if (!p) return undefined;
  if (p.parameter_choice !== 'bool_param') bad(field, 'must be a bool');
  return p.bool_param === true;
}

/** The body split as Triton's binary extension says: the JSON header, then the binary data. */
export function splitBody(body: Buffer, headerLength: string | string[] | undefined): { json: JsonObject; binary: Buffer | undefined } {
  let jsonBytes = body;
  let binary: Buffer | undefined;
  if (headerLength !== undefined) {
    const text = Array.isArray(headerLength) ? headerLength.join(',') : headerLength;
    if (!/^[0-9]{1,12}$/.test(text.trim())) bad(HEADER_LENGTH_HEADER, `${JSON.stringify(clip(text, 40))} is not a byte count`);
    const n = Number(text);
    if (n > body.byteLength) bad(HEADER_LENGTH_HEADER, `says the JSON header has ${n} bytes, but the body has only ${body.byteLength}`);
    jsonBytes = body.subarray(0, n);
    binary = body.subarray(n);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(jsonBytes.toString('utf8'));
  } catch (e: unknown) {
    bad('body', `not valid JSON (${e instanceof Error ? clip(e.message, 120) : 'parse error'})${headerLength === undefined ? '' : ` in the first ${jsonBytes.byteLength} bytes (${HEADER_LENGTH_HEADER})`}`);
  }
  if (!isObject(parsed)) bad('body', 'must be a JSON object with inputs');
  return { json: parsed, binary };
}

/** Checks nested `data` against `shape` (each level as long as its dimension) and flattens it row-major. */
function flatten(data: Json[], shape: readonly number[] | undefined, field: string): Json[] {
  if (!data.some(Array.isArray)) return data;
  if (!shape) bad(field, 'nested data needs a valid shape');
  const out: Json[] = [];
  const walk = (v: Json[], depth: number, path: string): void => {
    if (depth >= shape.length) bad(path, `is nested deeper than shape [${shape.join(', ')}]`);
    if (v.length !== shape[depth]) bad(path, `has ${v.length} entries where shape [${shape.join(', ')}] has ${shape[depth]}`);
    const leaf = depth === shape.length - 1;
    v.forEach((x, i) => {
      if (leaf) {
        if (Array.isArray(x)) bad(`${path}[${i}]`, `is nested deeper than shape [${shape.join(', ')}]`);
        out.push(x);
      } else if (!Array.isArray(x)) bad(`${path}[${i}]`, `must be an array (shape [${shape.join(', ')}] has ${shape.length} dimensions)`);
      else walk(x, depth + 1, `${path}[${i}]`);
    });
  };
  walk(data, 0, field);
  return out;
}

/** JSON values of an input as typed contents of the proto (the field its datatype travels in). */
function contentsOf(dt: Datatype | 'BYTES', values: Json[], field: string): InferTensorContents__Output {
  const contents: InferTensorContents__Output = { bool_contents: [], int_contents: [], int64_contents: [], uint_contents: [], uint64_contents: [], fp32_contents: [], fp64_contents: [], bytes_contents: [] };
  values.forEach((v, k) => {
    const at = `${field}[${k}]`;
    if (dt === 'BYTES') {
      if (typeof v !== 'string') bad(at, 'must be a string (BYTES)');
      contents.bytes_contents.push(Buffer.from(v, 'utf8'));
      return;
    }
    if (dt === 'BOOL') {
      if (typeof v !== 'boolean') bad(at, 'must be true or false (BOOL)');
      contents.bool_contents.push(v);
      return;
    }
    if (typeof v !== 'number') bad(at, `must be a number (${dt})`);
    if (dt.startsWith('FP')) {
      if (dt === 'FP32') contents.fp32_contents.push(v);
      else contents.fp64_contents.push(v);
      return;
    }
    if (!Number.isInteger(v)) bad(at, `${v} is not a whole number (${dt})`);
    if (dt === 'INT64' || dt === 'UINT64') {
      if (!Number.isSafeInteger(v)) bad(at, `${v} is beyond 2^53, where a JSON number cannot carry a ${dt} exactly: send this input as binary data (${BINARY_SIZE_PARAMETER})`);
      (dt === 'INT64' ? contents.int64_contents : contents.uint64_contents).push(String(v));
    } else if (dt.startsWith('UINT')) contents.uint_contents.push(v);
    else contents.int_contents.push(v);
  });
  return contents;
}

/** FP16 values from JSON numbers to little-endian half bits. */
function halfBytes(values: Json[], field: string): Buffer {
  const out = Buffer.alloc(values.length * 2);
  values.forEach((v, k) => {
    if (typeof v !== 'number') bad(`${field}[${k}]`, 'must be a number (FP16)');
    // Values from FP16_MAX + half an ulp (65520) on round to infinity: refused, not overflowed.
    if (Math.abs(v) >= FP16_MAX + 16) bad(`${field}[${k}]`, `${v} is out of range for FP16 (largest ${FP16_MAX})`);
    out.writeUInt16LE(toHalfBits(v), k * 2);
  });
  return out;
}

/** A decoded HTTP infer: the request for the gRPC handler and which outputs answer as binary. */
export interface HttpInferRequest {
  request: ModelInferRequest__Output;
  /** True for an output to send as binary data; false for JSON `data`. */
  binaryOutput: (name: string) => boolean;
}

interface ParsedInput {
  name: string;
  datatype: string;
  shape: string[];
  /** JSON data (flattened), or undefined for a binary input. */
  values: Json[] | undefined;
  raw: Buffer | undefined;
  parameters: Record<string, InferParameter__Output>;
}

/**
 * The JSON of an infer request (and the binary data after it) as the ModelInferRequest the gRPC
 * handler takes. Only the wire format is checked here (fields, JSON types, nesting, value
 * counts, binary sizes); the model's own checks (names, datatypes, shapes, batch size) are the
 * handler's, with the messages a gRPC caller gets.
 * @throws InvalidArgumentError naming the field
 */
export function decodeHttpInfer(json: JsonObject, binary: Buffer | undefined, model: string, version: string): HttpInferRequest {
  checkKeys(json, INFER_KEYS, '');
  for (const k of ['id', 'outputs']) if (json[k] === null) delete json[k];
  if (json['id'] !== undefined && typeof json['id'] !== 'string') bad('id', 'must be a string');
  const reqParams = parameters(json['parameters'], 'parameters');
  const binaryDefault = boolParam(reqParams[BINARY_OUTPUT_PARAMETER], `parameters.${BINARY_OUTPUT_PARAMETER}`) ?? false;
  // Over HTTP binary_data_output says JSON or binary; the gRPC answer the handler gives is always raw.
  delete reqParams[BINARY_OUTPUT_PARAMETER];

  const inputsJson = json['inputs'];
  if (!Array.isArray(inputsJson)) bad('inputs', 'must be an array of input tensors');
  let offset = 0;
  const inputs = inputsJson.map((t, i): ParsedInput => {
    const at = `inputs[${i}]`;
    if (!isObject(t)) bad(at, 'must be an object with name, shape, datatype and data');
    checkKeys(t, INPUT_KEYS, at);
    const name = t['name'];
    if (typeof name !== 'string') bad(`${at}.name`, 'must be a string');
    const datatype = t['datatype'];
    if (typeof datatype !== 'string') bad(`${at}.datatype`, 'must be a string (FP32, INT64, BOOL, …)');
    const shapeJson = t['shape'];
    if (!Array.isArray(shapeJson) || shapeJson.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d))) bad(`${at}.shape`, 'must be an array of whole numbers');
    const shape = shapeJson as number[];
    const params = parameters(t['parameters'], `${at}.parameters`);
    const size = params[BINARY_SIZE_PARAMETER];
    delete params[BINARY_SIZE_PARAMETER];
    const validShape = shape.every((d) => d >= 0) ? shape : undefined;
    if (size !== undefined) {
      if (size.parameter_choice !== 'int64_param' || Number(size.int64_param) < 0) bad(`${at}.parameters.${BINARY_SIZE_PARAMETER}`, 'must be a byte count');
      if (t['data'] !== undefined) bad(`${at}.data`, `give data or ${BINARY_SIZE_PARAMETER}, not both`);
      if (!binary) bad(`${at}.parameters.${BINARY_SIZE_PARAMETER}`, `binary data needs the ${HEADER_LENGTH_HEADER} header (the length of the JSON before it)`);
      const n = Number(size.int64_param);
      if (offset + n > binary.byteLength) bad(`${at}.parameters.${BINARY_SIZE_PARAMETER}`, `${n} bytes from offset ${offset}, but the binary data has ${binary.byteLength}`);
      const raw = binary.subarray(offset, offset + n);
      offset += n;
      return { name, datatype, shape: shape.map(String), values: undefined, raw, parameters: params };
    }
    const data = t['data'];
    if (!Array.isArray(data)) bad(`${at}.data`, `must be an array of values (or set parameters.${BINARY_SIZE_PARAMETER} for binary data)`);
    const values = flatten(data, validShape, `${at}.data`);
    if (validShape && values.length !== elementCount(validShape)) bad(`${at}.data`, `has ${values.length} values, shape [${shape.join(', ')}] needs ${elementCount(validShape)}`);
    return { name, datatype, shape: shape.map(String), values, raw: undefined, parameters: params };
  });
  if (binary && offset !== binary.byteLength) bad(BINARY_SIZE_PARAMETER, `the inputs' ${BINARY_SIZE_PARAMETER} add up to ${offset} bytes, but ${binary.byteLength} bytes follow the JSON header`);

  const outputsJson = json['outputs'];
  if (outputsJson !== undefined && !Array.isArray(outputsJson)) bad('outputs', 'must be an array of {name, parameters}');
  const perOutput = new Map<string, boolean>();
  const outputs = (outputsJson ?? []).map((o, k) => {
    const at = `outputs[${k}]`;
    if (!isObject(o)) bad(at, 'must be an object with a name');
    checkKeys(o, OUTPUT_KEYS, at);
    if (typeof o['name'] !== 'string') bad(`${at}.name`, 'must be a string');
    const params = parameters(o['parameters'], `${at}.parameters`);
    const asBinary = boolParam(params[BINARY_DATA_PARAMETER], `${at}.parameters.${BINARY_DATA_PARAMETER}`);
    delete params[BINARY_DATA_PARAMETER];
    if (asBinary !== undefined) perOutput.set(o['name'], asBinary);
    return { name: o['name'], parameters: params };
  });

  // Raw for every input as soon as one is binary or FP16 (which has no typed contents field);
  // else typed contents, as a gRPC client sends them.
  const raw = inputs.some((t) => t.raw !== undefined || t.datatype === 'FP16');
  const request: ModelInferRequest__Output = {
    model_name: model,
    model_version: version,
    id: typeof json['id'] === 'string' ? json['id'] : '',
    parameters: reqParams,
    inputs: inputs.map((t, i) => {
      const field = `inputs[${i}].data`;
      let contents: InferTensorContents__Output | null = null;
      if (!raw && t.values !== undefined && (isDatatype(t.datatype) || t.datatype === 'BYTES')) contents = contentsOf(t.datatype, t.values, field);
      return { name: t.name, datatype: t.datatype, shape: t.shape, parameters: t.parameters, contents };
    }),
    outputs,
    raw_input_contents: raw
      ? inputs.map((t, i) => {
          if (t.raw !== undefined) return t.raw;
          const field = `inputs[${i}].data`;
          const values = t.values ?? [];
          if (t.datatype === 'FP16') return halfBytes(values, field);
          // A datatype the model cannot take (BYTES, BF16, a typo): the handler refuses it by name.
          if (!isDatatype(t.datatype)) return Buffer.alloc(0);
          const bytes = typedContentsToBytes(t.datatype, contentsOf(t.datatype, values, field), values.length, t.name);
          return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        })
      : [],
  };
  return { request, binaryOutput: (name) => perOutput.get(name) ?? binaryDefault };
}

/** JSON number literals (exact for 64-bit integers; `null` for NaN and ±Infinity, which JSON has no number for). */
function dataJson(dt: string, b: Buffer): string {
  const info = isDatatype(dt) ? DATATYPES[dt] : undefined;
  if (!info) return '[]';
  const n = b.byteLength / info.bytes;
  const parts = new Array<string>(n);
  const num = (v: number): string => (Number.isFinite(v) ? String(v) : 'null');
  for (let i = 0; i < n; i++) {
    switch (dt) {
      case 'BOOL':
        parts[i] = b[i] !== 0 ? 'true' : 'false';
        break;
      case 'UINT8':
        parts[i] = String(b.readUInt8(i));
        break;
      case 'INT8':
        parts[i] = String(b.readInt8(i));
        break;
      case 'UINT16':
        parts[i] = String(b.readUInt16LE(i * 2));
        break;
      case 'INT16':
        parts[i] = String(b.readInt16LE(i * 2));
        break;
      case 'UINT32':
        parts[i] = String(b.readUInt32LE(i * 4));
        break;
      case 'INT32':
        parts[i] = String(b.readInt32LE(i * 4));
        break;
      case 'UINT64':
        parts[i] = b.readBigUInt64LE(i * 8).toString();
        break;
      case 'INT64':
        parts[i] = b.readBigInt64LE(i * 8).toString();
        break;
      case 'FP16':
        parts[i] = num(fromHalfBits(b.readUInt16LE(i * 2)));
        break;
      case 'FP32':
        parts[i] = num(b.readFloatLE(i * 4));
        break;
      default:
        parts[i] = num(b.readDoubleLE(i * 8));
    }
  }
  return `[${parts.join(',')}]`;
}

/** One response parameter as JSON: a bool, a whole number (int64) or a string. */
function parameterJson(p: InferParameter): string {
  if (p.bool_param !== undefined && p.bool_param !== null) return String(Boolean(p.bool_param));
  if (p.int64_param !== undefined && p.int64_param !== null) return String(p.int64_param);
  return JSON.stringify(p.string_param ?? '');
}

/** The handler's answer as the HTTP one: the JSON, then the binary outputs' bytes in output order. */
export function encodeHttpInfer(res: ModelInferResponse, binaryOutput: (name: string) => boolean): { json: string; binary: Buffer[] } {
  const raws = res.raw_output_contents ?? [];
  const binary: Buffer[] = [];
  const outputs = (res.outputs ?? []).map((o, k) => {
    const bytes = raws[k] as Buffer;
    const name = o.name ?? '';
    const head = `"name":${JSON.stringify(name)},"datatype":${JSON.stringify(o.datatype)},"shape":${JSON.stringify((o.shape ?? []).map(Number))}`;
    if (binaryOutput(name)) {
      binary.push(bytes);
      return `{${head},"parameters":{"${BINARY_SIZE_PARAMETER}":${bytes.byteLength}}}`;
    }
    return `{${head},"data":${dataJson(o.datatype ?? '', bytes)}}`;
  });
  const params = Object.entries(res.parameters ?? {});
  // The response's parameters (e.g. mlmesh_route_revision and mlmesh_route of a routed request), as the spec's JSON object.
  const paramJson = params.length === 0 ? '' : `,"parameters":{${params.map(([k, p]) => `${JSON.stringify(k)}:${parameterJson(p)}`).join(',')}}`;
  const json = `{"model_name":${JSON.stringify(res.model_name)},"model_version":${JSON.stringify(res.model_version)},"id":${JSON.stringify(res.id)}${paramJson},"outputs":[${outputs.join(',')}]}`;
  return { json, binary };
}

/** What the routes run: the gRPC handlers of the service. */
export interface InferenceHttpDeps {
  handlers: Handlers;
}

/** Sends a failed call's error as the spec's `{"error": "..."}` with the HTTP status of its gRPC code; logs it as the gRPC server does. */
function fail(reply: FastifyReply, e: unknown, call: HttpCall | undefined): FastifyReply {
  const st = toGrpcStatus(e, call?.ctx.requestId);
  const code: number = st.code;
  const status = e instanceof UnsupportedMediaError ? e.status : httpStatusOfCode(code);
  if (call) {
    if (code === Code.INTERNAL || code === Code.UNKNOWN) call.ctx.log.error({ err: e, code: statusName(st.code) }, st.details);
    else call.ctx.log.info({ code: statusName(st.code) }, st.details);
  }
  return sendError(reply, status, st.details);
}

/** Runs `fn` with an HTTP call context for `method`; errors answer as JSON. */
async function withCall(req: FastifyRequest, reply: FastifyReply, method: string, fromMessage: string | undefined, fn: (ctx: CallContext, call: HttpCall) => Promise<FastifyReply>): Promise<FastifyReply> {
  let call: HttpCall | undefined;
  try {
    call = httpCallContext(req, reply, { method, ...(fromMessage !== undefined ? { fromMessage } : {}) });
    return await fn(call.ctx, call);
  } catch (e: unknown) {
    return fail(reply, e, call);
  } finally {
    call?.finish();
  }
}

type ModelParams = { model: string; version?: string };

/** A body this binding cannot read (compressed): HTTP 415. */
class UnsupportedMediaError extends InvalidArgumentError {
  readonly status = 415;
}

/** The routes for the host's `routes` hook. */
export function inferenceHttpRoutes(d: InferenceHttpDeps): (app: FastifyInstance) => void {
  const h = d.handlers;
  return (app) => {
    // Bodies are read as bytes: JSON, or JSON and binary data (Triton's extension), whatever the content type says.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    app.get('/v2', (req, reply) =>
      withCall(req, reply, 'ServerMetadata', undefined, async (ctx) => {
        const m = await h.ServerMetadata({}, ctx);
        return reply.type(JSON_TYPE).send({ name: m.name, version: m.version, extensions: m.extensions });
      }),
    );

    const metadata = (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply): Promise<FastifyReply> =>
      withCall(req, reply, 'ModelMetadata', undefined, async (ctx) => {
        const m = await h.ModelMetadata({ name: req.params.model, version: req.params.version ?? '' }, ctx);
        const tensor = (t: { name?: string; datatype?: string; shape?: readonly unknown[] }) => ({ name: t.name, datatype: t.datatype, shape: (t.shape ?? []).map(Number) });
        return reply.type(JSON_TYPE).send({ name: m.name, versions: m.versions, platform: m.platform, inputs: (m.inputs ?? []).map(tensor), outputs: (m.outputs ?? []).map(tensor) });
      });
    app.get('/v2/models/:model', metadata);
    app.get('/v2/models/:model/versions/:version', metadata);

    const ready = (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply): Promise<FastifyReply> =>
      withCall(req, reply, 'ModelReady', undefined, async (ctx) => {
        const { ready: ok } = await h.ModelReady({ name: req.params.model, version: req.params.version ?? '' }, ctx);
        return reply
          .code(ok ? 200 : 503)
          .type('text/plain')
          .send(ok ? 'ready\n' : 'not ready\n');
      });
    app.get('/v2/models/:model/ready', ready);
    app.get('/v2/models/:model/versions/:version/ready', ready);

    // Triton answers these as the protobuf JSON mapping of the messages, 64-bit integers as numbers.
    const config = (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply): Promise<FastifyReply> =>
      withCall(req, reply, 'ModelConfig', undefined, async (ctx) => {
        const { config: c } = await h.ModelConfig({ name: req.params.model, version: req.params.version ?? '' }, ctx);
        return reply.type(JSON_TYPE).send(c ?? {});
      });
    app.get('/v2/models/:model/config', config);
    app.get('/v2/models/:model/versions/:version/config', config);

    const stats = (req: FastifyRequest<{ Params: Partial<ModelParams> }>, reply: FastifyReply): Promise<FastifyReply> =>
      withCall(req, reply, 'ModelStatistics', undefined, async (ctx) => {
        const res = await h.ModelStatistics({ name: req.params.model ?? '', version: req.params.version ?? '' }, ctx);
        return reply.type(JSON_TYPE).send(res);
      });
    app.get('/v2/models/stats', stats);
    app.get('/v2/models/:model/stats', stats);
    app.get('/v2/models/:model/versions/:version/stats', stats);

    const infer = async (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply): Promise<FastifyReply> => {
      let parsed: ReturnType<typeof splitBody>;
      try {
        const encoding = req.headers['content-encoding'];
        if (encoding !== undefined && encoding !== 'identity') throw new UnsupportedMediaError(`content-encoding ${clip(String(encoding), 40)} is not supported: send the body uncompressed`);
        if (!Buffer.isBuffer(req.body)) bad('body', 'an infer request needs a JSON body');
        parsed = splitBody(req.body, req.headers[HEADER_LENGTH_HEADER]);
      } catch (e: unknown) {
        // Answered and logged as any failed call (with its request id), without the body's id.
        return withCall(req, reply, 'ModelInfer', undefined, async () => {
          throw e;
        });
      }
      const id = parsed.json['id'];
      return withCall(req, reply, 'ModelInfer', typeof id === 'string' ? id : undefined, async (ctx, call) => {
        const decoded = decodeHttpInfer(parsed.json, parsed.binary, req.params.model, req.params.version ?? '');
        const res = await h.ModelInfer(decoded.request, ctx);
        const out = encodeHttpInfer(res, decoded.binaryOutput);
        call.answering();
        if (out.binary.length === 0) return reply.type(JSON_TYPE).send(out.json);
        const head = Buffer.from(out.json, 'utf8');
        return reply
          .type('application/octet-stream')
          .header(HEADER_LENGTH_HEADER, String(head.byteLength))
          .send(Buffer.concat([head, ...out.binary]));
      });
    };
    app.post('/v2/models/:model/infer', infer);
    app.post('/v2/models/:model/versions/:version/infer', infer);
  };
}
