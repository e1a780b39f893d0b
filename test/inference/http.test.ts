/**
 * The Open Inference Protocol's HTTP/REST binding on the inference service's HTTP port, over real
 * HTTP on loopback (node fetch, and curl when present) against a real service on the example
 * models: metadata and readiness as gRPC answers them, infer in JSON (flat and nested data, every
 * datatype, FP16) equal to the gRPC answer for the same input, Triton's binary tensor extension
 * both ways, and every error with its status and `{"error": "..."}` body.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { fromHalfBits, toHalfBits } from '../../shared/tensors/index.js';
import { exampleConfig, f32, fromF32, metricValue, startInference, waitFor } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';

// Serial: a concurrent request to the same model could share a batch with one under comparison
// and change its float rounding, and the comparisons below are exact.
const test = (anyTest as TestFn<InferenceFixture>).serial;

test.before(async (t) => {
  t.context = await startInference({ models: ['digits_mlp', 'digits_two_input', 'dtypes', 'dtypes_fp16', 'slow_chain'] });
});
test.after.always(async (t) => {
  await t.context?.stop();
});

const JSON_HEADERS = { 'content-type': 'application/json' };
const pixels = (k: number): number[] => Array.from({ length: 64 }, (_, i) => ((i * 7 + k * 13) % 17) / 16);

async function post(base: string, path: string, body: unknown, headers: Record<string, string> = JSON_HEADERS): Promise<{ status: number; body: Record<string, unknown>; headers: Headers; text: string }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers, body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON: the test looks at `text`.
  }
  return { status: res.status, body: parsed, headers: res.headers, text };
}

async function get(base: string, path: string): Promise<{ status: number; body: Record<string, unknown>; type: string | null }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
}

interface OutputJson {
  name: string;
  datatype: string;
  shape: number[];
  data?: unknown[];
  parameters?: Record<string, unknown>;
}
const outputsOf = (body: Record<string, unknown>): OutputJson[] => body['outputs'] as OutputJson[];

test('http - GET /v2 and model metadata answer what the gRPC ServerMetadata and ModelMetadata answer', async (t) => {
  const f = t.context;
  const server = await get(f.http, '/v2');
  t.is(server.status, 200);
  t.is(server.type, 'application/json; charset=utf-8');
  const g = await f.client.serverMetadata();
  t.deepEqual(server.body, { name: g.name, version: g.version, extensions: g.extensions });
  t.true((server.body['extensions'] as string[]).includes('binary_tensor_data'));

  for (const path of ['/v2/models/digits_two_input', '/v2/models/digits_two_input/versions/1']) {
    const m = await get(f.http, path);
    t.is(m.status, 200, path);
    const gm = await f.client.modelMetadata('digits_two_input', path.endsWith('/1') ? '1' : '');
    const tensor = (x: { name: string; datatype: string; shape: string[] }) => ({ name: x.name, datatype: x.datatype, shape: x.shape.map(Number) });
    t.deepEqual(m.body, { name: gm.name, versions: gm.versions, platform: 'onnxruntime_onnx', inputs: gm.inputs.map(tensor), outputs: gm.outputs.map(tensor) }, path);
  }
  t.deepEqual((await get(f.http, '/v2/models/digits_mlp')).body['inputs'], [{ name: 'input', datatype: 'FP32', shape: [-1, 64] }]);

  const unknown = await get(f.http, '/v2/models/nope');
  t.is(unknown.status, 404);
  t.deepEqual(unknown.body, { error: "model 'nope' is not loaded" });
  const noVersion = await get(f.http, '/v2/models/digits_mlp/versions/9');
  t.is(noVersion.status, 404);
  t.regex(String(noVersion.body['error']), /model 'digits_mlp' has no version '9' being served \(served: 1\)/);

  t.is((await fetch(`${f.http}/v2/health/live`)).status, 200);
  t.is((await fetch(`${f.http}/v2/health/ready`)).status, 200);
  t.is((await fetch(`${f.http}/v2/models/digits_mlp/ready`)).status, 200);
  t.is((await fetch(`${f.http}/v2/models/digits_mlp/versions/1/ready`)).status, 200);
  t.is((await fetch(`${f.http}/v2/models/digits_mlp/versions/2/ready`)).status, 503);
  t.is((await fetch(`${f.http}/v2/models/nope/ready`)).status, 503);
});

test('http - infer with JSON tensors answers what gRPC answers for the same input (flat and nested data, versioned path, id and x-request-id)', async (t) => {
  const f = t.context;
  const rows = [pixels(1), pixels(2), pixels(3)];
  const grpcRes = await f.client.infer({ model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [3, 64] }], raw_input_contents: [f32(rows.flat())] });
  const want = Array.from(fromF32(grpcRes.raw_output_contents[0] as Buffer));

  const flat = await post(f.http, '/v2/models/digits_mlp/infer', { id: 'req-1', inputs: [{ name: 'input', shape: [3, 64], datatype: 'FP32', data: rows.flat() }] });
  t.is(flat.status, 200, flat.text);
  t.is(flat.headers.get('content-type'), 'application/json; charset=utf-8');
  t.like(flat.body, { model_name: 'digits_mlp', model_version: '1', id: 'req-1' });
  const [out] = outputsOf(flat.body);
  t.like(out, { name: 'probabilities', datatype: 'FP32', shape: [3, 10] });
  t.deepEqual(Array.from(Float32Array.from(out?.data as number[])), want, 'the JSON numbers are the float32 values gRPC sends');
  t.deepEqual(out?.data, want, 'each JSON number is the exact float32 value');
  t.is(flat.headers.get('x-request-id'), 'req-1', 'the v2 id is the request id when no x-request-id is sent');

  const nested = await post(f.http, '/v2/models/digits_mlp/versions/1/infer', { inputs: [{ name: 'input', shape: [3, 64], datatype: 'FP32', data: rows }] }, { ...JSON_HEADERS, 'x-request-id': 'trace-42' });
  t.is(nested.status, 200, nested.text);
  t.deepEqual(outputsOf(nested.body)[0]?.data, want);
  t.is(nested.body['id'], 'trace-42', 'without a v2 id the answer carries the request id, as gRPC does');
  t.is(nested.headers.get('x-request-id'), 'trace-42');

  // Optional fields written as null (some clients write every field) count as absent.
  const nulls = await post(f.http, '/v2/models/digits_mlp/infer', { id: null, parameters: null, outputs: null, inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', parameters: null, data: rows[0] }] });
  t.is(nulls.status, 200, nulls.text);
  t.deepEqual(outputsOf(nulls.body)[0]?.data, want.slice(0, 10));

  // A content type other than JSON (curl -d sends form-urlencoded) is read as JSON too.
  const form = await post(f.http, '/v2/models/digits_mlp/infer', JSON.stringify({ inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data: rows[0] }] }), { 'content-type': 'application/x-www-form-urlencoded' });
  t.is(form.status, 200, form.text);
  t.deepEqual(outputsOf(form.body)[0]?.data, want.slice(0, 10));

  // Two inputs, an output chosen, INT64 in and out, request parameters kept.
  const twoGrpc = await f.client.infer({
    model_name: 'digits_two_input',
    inputs: [
      { name: 'features', datatype: 'FP32', shape: [2, 64] },
      { name: 'ids', datatype: 'INT64', shape: [2, 1] },
    ],
    raw_input_contents: [f32([...pixels(4), ...pixels(5)]), Buffer.from(new BigInt64Array([7n, 9n]).buffer)],
    outputs: [{ name: 'label' }],
  });
  const two = await post(f.http, '/v2/models/digits_two_input/infer', {
    parameters: { entity_id: 'user-1', attempt: 2, debug: false },
    inputs: [
      { name: 'features', shape: [2, 64], datatype: 'FP32', data: [pixels(4), pixels(5)] },
      { name: 'ids', shape: [2, 1], datatype: 'INT64', data: [[7], [9]] },
    ],
    outputs: [{ name: 'label' }],
  });
  t.is(two.status, 200, two.text);
  t.deepEqual(outputsOf(two.body).map((o) => o.name), ['label']);
  t.deepEqual(outputsOf(two.body)[0]?.data, Array.from(new BigInt64Array(new Uint8Array(twoGrpc.raw_output_contents[0] as Buffer).buffer), Number));
});

/** The `data` array of output `name` in a JSON answer, as the literal texts (exact for 64-bit integers). */
function dataLiterals(text: string, name: string): string[] {
  const m = new RegExp(`"name":"${name}","datatype":"[A-Z0-9]+","shape":\\[[0-9,]*\\],"data":\\[([^\\]]*)\\]`).exec(text);
  if (!m) throw new Error(`no data for ${name} in ${text.slice(0, 200)}`);
  return m[1] === '' ? [] : (m[1] as string).split(',');
}

const DTYPES: Record<string, { values: unknown[]; raw: (v: unknown[]) => Buffer }> = {
  FP32: { values: [1.5, -2.25, 0, 3e10], raw: (v) => f32(v as number[]) },
  FP64: { values: [1.1, -2.2, 1e-300, 7], raw: (v) => Buffer.from(Float64Array.from(v as number[]).buffer) },
  INT8: { values: [-128, 127, 0, 5], raw: (v) => Buffer.from(Int8Array.from(v as number[]).buffer) },
  INT16: { values: [-32768, 32767, 1, -1], raw: (v) => Buffer.from(Int16Array.from(v as number[]).buffer) },
  INT32: { values: [-2147483648, 2147483647, 3, -3], raw: (v) => Buffer.from(Int32Array.from(v as number[]).buffer) },
  INT64: { values: [-9007199254740991, 9007199254740991, 4, -4], raw: (v) => Buffer.from(BigInt64Array.from((v as number[]).map(BigInt)).buffer) },
  UINT8: { values: [0, 255, 9, 1], raw: (v) => Buffer.from(Uint8Array.from(v as number[]).buffer) },
  UINT16: { values: [0, 65535, 2, 3], raw: (v) => Buffer.from(Uint16Array.from(v as number[]).buffer) },
  UINT32: { values: [0, 4294967295, 5, 6], raw: (v) => Buffer.from(Uint32Array.from(v as number[]).buffer) },
  UINT64: { values: [0, 9007199254740991, 7, 8], raw: (v) => Buffer.from(BigUint64Array.from((v as number[]).map(BigInt)).buffer) },
  BOOL: { values: [true, false, false, true], raw: (v) => Buffer.from(Uint8Array.from((v as boolean[]).map(Number)).buffer) },
};

test('http - every datatype in JSON, and binary in and out, answer the bytes gRPC answers; 64-bit integers come back exact', async (t) => {
  const f = t.context;
  const names = Object.keys(DTYPES);
  const grpcRes = await f.client.infer({
    model_name: 'dtypes',
    inputs: names.map((dt) => ({ name: `in_${dt.toLowerCase()}`, datatype: dt, shape: [1, 4] })),
    raw_input_contents: names.map((dt) => (DTYPES[dt] as (typeof DTYPES)[string]).raw((DTYPES[dt] as (typeof DTYPES)[string]).values)),
  });
  const rawOut = new Map(grpcRes.outputs.map((o, k) => [o.name, grpcRes.raw_output_contents[k] as Buffer]));

  const json = await post(f.http, '/v2/models/dtypes/infer', { inputs: names.map((dt) => ({ name: `in_${dt.toLowerCase()}`, datatype: dt, shape: [1, 4], data: DTYPES[dt]?.values })) });
  t.is(json.status, 200, json.text);
  for (const o of outputsOf(json.body)) {
    const dt = o.datatype;
    const want = rawOut.get(o.name) as Buffer;
    const spec = DTYPES[dt] as (typeof DTYPES)[string];
    const got = dt.endsWith('INT64') ? dataLiterals(json.text, o.name).map(Number) : (o.data as unknown[]);
    t.deepEqual(spec.raw(got), want, `${o.name}: the JSON data are the bytes gRPC answers`);
  }

  // Binary in and out (Triton's extension): values past 2^53 travel exactly, and JSON out prints them exactly.
  const big = [2n ** 60n + 1n, -(2n ** 62n) - 3n, 1n, 0n];
  const bigBytes = Buffer.from(BigInt64Array.from(big).buffer);
  const grpcBig = await f.client.infer({ model_name: 'dtypes', inputs: [{ name: 'in_int64', datatype: 'INT64', shape: [1, 4] }, ...names.filter((d) => d !== 'INT64').map((dt) => ({ name: `in_${dt.toLowerCase()}`, datatype: dt, shape: [1, 4] }))], raw_input_contents: [bigBytes, ...names.filter((d) => d !== 'INT64').map((dt) => (DTYPES[dt] as (typeof DTYPES)[string]).raw((DTYPES[dt] as (typeof DTYPES)[string]).values))] });
  const head = Buffer.from(
    JSON.stringify({
      inputs: [
        { name: 'in_int64', datatype: 'INT64', shape: [1, 4], parameters: { binary_data_size: 32 } },
        ...names.filter((d) => d !== 'INT64').map((dt) => ({ name: `in_${dt.toLowerCase()}`, datatype: dt, shape: [1, 4], data: DTYPES[dt]?.values })),
      ],
      outputs: [{ name: 'out_int64', parameters: { binary_data: false } }, { name: 'out_fp32', parameters: { binary_data: true } }],
    }),
  );
  const mixed = await post(f.http, '/v2/models/dtypes/infer', Buffer.concat([head, bigBytes]), { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(head.byteLength) });
  t.is(mixed.status, 200, mixed.text);
  const wantBig = new BigInt64Array(new Uint8Array(grpcBig.raw_output_contents[grpcBig.outputs.findIndex((o) => o.name === 'out_int64')] as Buffer).buffer);
  t.deepEqual(dataLiterals(mixed.text, 'out_int64'), Array.from(wantBig, String), 'INT64 past 2^53 printed exactly');
  const lenHeader = Number(mixed.headers.get('inference-header-content-length'));
  t.true(lenHeader > 0 && mixed.headers.get('content-type') === 'application/octet-stream');
});

test('http - the binary tensor extension round-trips: raw inputs after the JSON header, binary_data_output answers raw bytes equal to gRPC', async (t) => {
  const f = t.context;
  const input = f32([...pixels(7), ...pixels(8)]);
  const grpcRes = await f.client.infer({ model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 64] }], raw_input_contents: [input] });
  const head = Buffer.from(JSON.stringify({ id: 'bin-1', parameters: { binary_data_output: true }, inputs: [{ name: 'input', shape: [2, 64], datatype: 'FP32', parameters: { binary_data_size: input.byteLength } }] }));
  const res = await fetch(`${f.http}/v2/models/digits_mlp/infer`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(head.byteLength) }, body: Buffer.concat([head, input]) });
  t.is(res.status, 200);
  t.is(res.headers.get('content-type'), 'application/octet-stream');
  const body = Buffer.from(await res.arrayBuffer());
  const n = Number(res.headers.get('inference-header-content-length'));
  const json = JSON.parse(body.subarray(0, n).toString('utf8')) as Record<string, unknown>;
  t.like(json, { model_name: 'digits_mlp', model_version: '1', id: 'bin-1' });
  const [o] = outputsOf(json);
  t.deepEqual(o, { name: 'probabilities', datatype: 'FP32', shape: [2, 10], parameters: { binary_data_size: 80 } });
  t.deepEqual(body.subarray(n), grpcRes.raw_output_contents[0], 'the bytes after the header are the gRPC raw output');

  // FP16: JSON numbers in (rounded to half as numpy does) and out; binary both ways equals gRPC.
  const halfs = [1, 0.1, -2.5, 65504];
  const halfBytes = Buffer.from(Uint16Array.from(halfs.map(toHalfBits)).buffer);
  const g16 = await f.client.infer({ model_name: 'dtypes_fp16', inputs: [{ name: 'in_fp16', datatype: 'FP16', shape: [1, 4] }], raw_input_contents: [halfBytes] });
  const j16 = await post(f.http, '/v2/models/dtypes_fp16/infer', { inputs: [{ name: 'in_fp16', shape: [1, 4], datatype: 'FP16', data: halfs }] });
  t.is(j16.status, 200, j16.text);
  t.deepEqual(outputsOf(j16.body)[0]?.data, Array.from(new Uint16Array(new Uint8Array(g16.raw_output_contents[0] as Buffer).buffer), fromHalfBits));
  t.is(toHalfBits(0.1), 0x2e66, 'numpy.float16(0.1) bits');
  const h16 = Buffer.from(JSON.stringify({ inputs: [{ name: 'in_fp16', shape: [1, 4], datatype: 'FP16', parameters: { binary_data_size: 8 } }], outputs: [{ name: 'out_fp16', parameters: { binary_data: true } }] }));
  const b16 = await fetch(`${f.http}/v2/models/dtypes_fp16/infer`, { method: 'POST', headers: { 'inference-header-content-length': String(h16.byteLength) }, body: Buffer.concat([h16, halfBytes]) });
  const b16body = Buffer.from(await b16.arrayBuffer());
  t.deepEqual(b16body.subarray(Number(b16.headers.get('inference-header-content-length'))), g16.raw_output_contents[0]);
});

test('http - bad requests are 400 naming the field, with the messages gRPC gives for the model checks', async (t) => {
  const f = t.context;
  const url = '/v2/models/digits_mlp/infer';
  const input = (over: Record<string, unknown> = {}) => ({ name: 'input', shape: [1, 64], datatype: 'FP32', data: pixels(0), ...over });
  const cases: [string, unknown, RegExp, Record<string, string>?][] = [
    ['not JSON', '{"inputs": [', /^body: not valid JSON/],
    ['not an object', '[1, 2]', /^body: must be a JSON object with inputs/],
    ['unknown top-level field', { inputs: [input()], input: [] }, /^input: unknown field \(known: id, parameters, inputs, outputs\)/],
    ['inputs missing', { id: 'x' }, /^inputs: must be an array of input tensors/],
    ['id not a string', { id: 7, inputs: [input()] }, /^id: must be a string/],
    ['input not an object', { inputs: [3] }, /^inputs\[0\]: must be an object/],
    ['unknown input field', { inputs: [input({ contents: [] })] }, /^inputs\[0\]\.contents: unknown field/],
    ['name missing', { inputs: [input({ name: undefined })] }, /^inputs\[0\]\.name: must be a string/],
    ['datatype missing', { inputs: [input({ datatype: 3 })] }, /^inputs\[0\]\.datatype: must be a string/],
    ['shape not whole numbers', { inputs: [input({ shape: [1, 6.4] })] }, /^inputs\[0\]\.shape: must be an array of whole numbers/],
    ['data missing', { inputs: [input({ data: undefined })] }, /^inputs\[0\]\.data: must be an array of values/],
    ['data count', { inputs: [input({ data: [1, 2, 3] })] }, /^inputs\[0\]\.data: has 3 values, shape \[1, 64\] needs 64/],
    ['nested data not the shape', { inputs: [input({ shape: [2, 64], data: [pixels(0), [1, 2]] })] }, /^inputs\[0\]\.data\[1\]: has 2 entries where shape \[2, 64\] has 64/],
    ['nested too deep', { inputs: [input({ data: [[...pixels(0).slice(1), [1]]] })] }, /^inputs\[0\]\.data\[0\]\[63\]: is nested deeper than shape/],
    ['a string for FP32', { inputs: [input({ data: ['1', ...pixels(0).slice(1)] })] }, /^inputs\[0\]\.data\[0\]: must be a number \(FP32\)/],
    ['parameter of a bad type', { parameters: { weight: 0.5 }, inputs: [input()] }, /^parameters\.weight: must be a bool, a whole number or a string/],
    ['binary size without the header', { inputs: [input({ data: undefined, parameters: { binary_data_size: 256 } })] }, /^inputs\[0\]\.parameters\.binary_data_size: binary data needs the inference-header-content-length header/],
    ['binary_data_output not a bool', { parameters: { binary_data_output: 'yes' }, inputs: [input()] }, /^parameters\.binary_data_output: must be a bool/],
    // The model's checks: the gRPC handler's messages.
    ['unknown input', { inputs: [input(), input({ name: 'pixels' })] }, /^unknown input 'pixels' \(the model's inputs are input\)/],
    ['wrong datatype', { inputs: [input({ datatype: 'FP64' })] }, /^input 'input': datatype FP64 does not match the model's FP32/],
    ['wrong shape', { inputs: [input({ shape: [1, 63], data: pixels(0).slice(1) })] }, /^input 'input': shape \[1, 63\] does not match the model's \[-1, 64\]/],
    ['negative dimension', { inputs: [input({ shape: [-1, 64] })] }, /^input 'input': shape \[-1, 64\] has a negative or invalid dimension/],
    ['batch over the largest request', { inputs: [input({ shape: [4097, 64], data: new Array(4097 * 64).fill(0) })] }, /^input 'input': batch of 4097 exceeds the largest request of 4096 rows/],
    ['BYTES', { inputs: [input({ datatype: 'BYTES', data: new Array(64).fill('a') })] }, /^input 'input': datatype BYTES is not served/],
    ['BF16', { inputs: [input({ datatype: 'BF16' })] }, /^input 'input': datatype 'BF16' is not supported/],
    ['unsupported request parameter', { parameters: { priority: 1 }, inputs: [input()] }, /^parameter 'priority' is not supported by mlmesh/],
    ['unknown output', { inputs: [input()], outputs: [{ name: 'logits' }] }, /^unknown output 'logits' \(the model's outputs are probabilities\)/],
    ['unsupported output parameter', { inputs: [input()], outputs: [{ name: 'probabilities', parameters: { classification: 3 } }] }, /^output 'probabilities': parameter 'classification' is not supported/],
    ['bad timeout header', { inputs: [input()] }, /^x-timeout-ms: "soon" is not a timeout/, { ...JSON_HEADERS, 'x-timeout-ms': 'soon' }],
  ];
  for (const [what, body, message, headers] of cases) {
    const res = await post(f.http, url, body, headers);
    t.is(res.status, 400, `${what}: ${res.text}`);
    t.is(res.headers.get('content-type'), 'application/json; charset=utf-8', what);
    t.deepEqual(Object.keys(res.body), ['error'], what);
    t.regex(String(res.body['error']), message, what);
  }

  const gzip = await post(f.http, url, { inputs: [input()] }, { ...JSON_HEADERS, 'content-encoding': 'gzip' });
  t.is(gzip.status, 415);
  t.deepEqual(gzip.body, { error: 'content-encoding gzip is not supported: send the body uncompressed' });

  const dt = await post(f.http, '/v2/models/dtypes/infer', { inputs: [{ name: 'in_int64', shape: [1, 4], datatype: 'INT64', data: [2 ** 60, 0, 0, 0] }] });
  t.is(dt.status, 400);
  t.regex(String(dt.body['error']), /^inputs\[0\]\.data\[0\]: 1152921504606847000 is beyond 2\^53, where a JSON number cannot carry a INT64 exactly: send this input as binary data/);
  const range = await post(f.http, '/v2/models/dtypes/infer', { inputs: Object.keys(DTYPES).map((d) => ({ name: `in_${d.toLowerCase()}`, datatype: d, shape: [1, 4], data: d === 'UINT8' ? [300, 0, 0, 0] : DTYPES[d]?.values })) });
  t.is(range.status, 400);
  t.regex(String(range.body['error']), /input 'in_uint8': .*value 300 at index 0 is out of range for UINT8/);
  const notInt = await post(f.http, '/v2/models/dtypes/infer', { inputs: [{ name: 'in_int32', shape: [1, 4], datatype: 'INT32', data: [1.5, 0, 0, 0] }] });
  t.regex(String(notInt.body['error']), /^inputs\[0\]\.data\[0\]: 1\.5 is not a whole number \(INT32\)/);
  const notBool = await post(f.http, '/v2/models/dtypes/infer', { inputs: [{ name: 'in_bool', shape: [1, 4], datatype: 'BOOL', data: [1, 0, 0, 0] }] });
  t.regex(String(notBool.body['error']), /^inputs\[0\]\.data\[0\]: must be true or false \(BOOL\)/);
  const fp16 = await post(f.http, '/v2/models/dtypes_fp16/infer', { inputs: [{ name: 'in_fp16', shape: [1, 4], datatype: 'FP16', data: [70000, 0, 0, 0] }] });
  t.is(fp16.status, 400);
  t.regex(String(fp16.body['error']), /^inputs\[0\]\.data\[0\]: 70000 is out of range for FP16 \(largest 65504\)/);

  // The binary extension's own checks.
  const head = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', parameters: { binary_data_size: 256 } }] }));
  const bin = (body: Buffer, len: string) => post(f.http, url, body, { 'content-type': 'application/octet-stream', 'inference-header-content-length': len });
  t.regex(String((await bin(Buffer.concat([head, f32(pixels(0))]), 'ten')).body['error']), /^inference-header-content-length: "ten" is not a byte count/);
  t.regex(String((await bin(head, String(head.byteLength + 5))).body['error']), /^inference-header-content-length: says the JSON header has \d+ bytes, but the body has only \d+/);
  t.regex(String((await bin(Buffer.concat([head, f32(pixels(0).slice(1))]), String(head.byteLength))).body['error']), /^inputs\[0\]\.parameters\.binary_data_size: 256 bytes from offset 0, but the binary data has 252/);
  t.regex(String((await bin(Buffer.concat([head, f32([...pixels(0), 1])]), String(head.byteLength))).body['error']), /^binary_data_size: the inputs' binary_data_size add up to 256 bytes, but 260 bytes follow the JSON header/);
  const wrongSize = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', parameters: { binary_data_size: 252 } }] }));
  const ws = await bin(Buffer.concat([wrongSize, f32(pixels(0).slice(1))]), String(wrongSize.byteLength));
  t.is(ws.status, 400);
  t.regex(String(ws.body['error']), /^input 'input': raw_input_contents\[0\] has 252 bytes, but shape \[1, 64\] of FP32 needs 256/);
});

test('http - 404 for an unknown model or version, 405 for a GET on infer, metrics count HTTP infers as gRPC ones', async (t) => {
  const f = t.context;
  const body = { inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data: pixels(0) }] };
  const unknown = await post(f.http, '/v2/models/nope/infer', body);
  t.is(unknown.status, 404);
  t.deepEqual(unknown.body, { error: "model 'nope' is not loaded" });
  const version = await post(f.http, '/v2/models/digits_mlp/versions/3/infer', body);
  t.is(version.status, 404);
  t.regex(String(version.body['error']), /model 'digits_mlp' has no version '3' being served/);
  const getInfer = await fetch(`${f.http}/v2/models/digits_mlp/infer`);
  t.is(getInfer.status, 405);
  t.is(getInfer.headers.get('allow'), 'POST');
  const empty = await post(f.http, '/v2/models/digits_mlp/infer', '', {});
  t.is(empty.status, 400);

  const before = await metricValue(f.http, 'mlmesh_inference_request_success_total', { model: 'digits_mlp' });
  const failedBefore = await metricValue(f.http, 'mlmesh_inference_request_failure_total', { model: 'digits_mlp', reason: 'invalid' });
  t.is((await post(f.http, '/v2/models/digits_mlp/infer', body)).status, 200);
  t.is((await post(f.http, '/v2/models/digits_mlp/infer', { inputs: [{ ...body.inputs[0], datatype: 'FP64' }] })).status, 400);
  t.is(await metricValue(f.http, 'mlmesh_inference_request_success_total', { model: 'digits_mlp' }), before + 1, 'the model metric counts the HTTP infer');
  t.is(await metricValue(f.http, 'mlmesh_inference_request_failure_total', { model: 'digits_mlp', reason: 'invalid' }), failedBefore + 1);
  t.true((await metricValue(f.http, 'http_server_requests_total', { route: '/v2/models/:model/infer', status: '200' })) >= 1);
});

test('http - a full queue answers 429 and a deadline (x-timeout-ms) passing in the queue 504, as RESOURCE_EXHAUSTED and DEADLINE_EXCEEDED', async (t) => {
  const f = t.context;
  await f.client.load('slow_chain', { config: { string_param: exampleConfig('slow_chain', { instance_group: [{ count: 1, kind: 'KIND_CPU' }], dynamic_batching: { max_queue_delay_microseconds: 0, max_queue_size: 1 } }) } });
  const slow = (rows: number) => ({ inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 512], data: new Array(rows * 512).fill(0.25) }] });
  const long = f.client.infer({ model_name: 'slow_chain', inputs: [{ name: 'x', datatype: 'FP32', shape: [64, 512] }], raw_input_contents: [f32(new Array(64 * 512).fill(0.25))] }, { deadlineMs: 60_000 });
  await waitFor(() => f.service.manager.resolve('slow_chain', '').busyInstances === 1, 10_000, 'the instance to be busy');
  const queued = post(f.http, '/v2/models/slow_chain/infer', slow(1), { ...JSON_HEADERS, 'x-timeout-ms': '150' });
  await waitFor(() => f.service.manager.resolve('slow_chain', '').queued === 1, 10_000, 'one queued request');
  const full = await post(f.http, '/v2/models/slow_chain/infer', slow(1));
  t.is(full.status, 429);
  t.regex(String(full.body['error']), /slow_chain@1: queue is full \(max_queue_size 1\)/);
  const late = await queued;
  t.is(late.status, 504, late.text);
  t.regex(String(late.body['error']), /deadline/i);
  await long;
});

test('http - curl works against the binding as the docs show (the curl block of docs/inference.md, run)', async (t) => {
  const curl = ['/usr/bin/curl', '/bin/curl'].find((p) => existsSync(p));
  if (!curl || !existsSync('/usr/bin/python3')) {
    t.log('curl or /usr/bin/python3 not installed: skipped (apt-get install curl python3)');
    t.pass();
    return;
  }
  const f = t.context;
  const run = promisify(execFile);
  // The docs' block, on this service's port, with a newline after each answer.
  const doc = readFileSync(join(projectRoot(), 'docs/inference.md'), 'utf8');
  const block = /```sh\n(H=http:\/\/127\.0\.0\.1:8002\n[\s\S]*?)```/.exec(doc)?.[1];
  t.truthy(block, 'docs/inference.md has the curl block');
  const script = (block as string).replace('H=http://127.0.0.1:8002', `H=${f.http}`).replace(/^curl -s /gm, "curl -s -w '\\n' ");
  const { stdout } = await run('/bin/bash', ['-c', script]);
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  t.is(lines.length, 4, stdout);
  t.like(JSON.parse(lines[0] as string), { name: 'digits_mlp', platform: 'onnxruntime_onnx' });
  const infer = JSON.parse(lines[1] as string) as Record<string, unknown>;
  t.like(infer, { model_name: 'digits_mlp', model_version: '1', id: 'a1' });
  const viaFetch = await post(f.http, '/v2/models/digits_mlp/infer', { inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data: new Array(64).fill(0.5) }] });
  t.deepEqual(outputsOf(infer)[0]?.data, outputsOf(viaFetch.body)[0]?.data, 'curl and fetch get the same answer');
  t.like(outputsOf(JSON.parse(lines[2] as string) as Record<string, unknown>)[0], { name: 'label', datatype: 'INT64', shape: [1] });
  t.is(lines[3], '{"error":"inputs[0].data: has 1 values, shape [1, 63] needs 63"} HTTP 400');
});
