import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import * as grpc from '@grpc/grpc-js';
import { projectRoot } from '../../shared/config/index.js';
import { readNpy, typedView, DATATYPES } from '../../shared/tensors/index.js';
import type { Datatype } from '../../shared/tensors/index.js';
import { f32, fromF32, startInference } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';

const test = anyTest as TestFn<InferenceFixture>;
const parity = (model: string, file: string) => readNpy(join(projectRoot(), 'test/fixtures/parity', model, `${file}.npy`));

const inputs = parity('digits_mlp', 'inputs');
const expected = fromF32(parity('digits_mlp', 'outputs').data);
const ROWS = inputs.shape[0] as number;

test.before(async (t) => {
  t.context = await startInference({ models: ['digits_mlp', 'digits_two_input', 'dtypes', 'dtypes_fp16'] });
});
test.after.always(async (t) => {
  await t.context?.stop();
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

test('parity - digits_mlp over raw contents matches PyTorch within 1e-5', async (t) => {
  const res = await t.context.client.infer({
    model_name: 'digits_mlp',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [ROWS, 64] }],
    raw_input_contents: [Buffer.from(inputs.data)],
  });
  t.is(res.model_name, 'digits_mlp');
  t.is(res.model_version, '1');
  t.deepEqual(res.outputs.map((o) => [o.name, o.datatype, o.shape.map(Number)]), [['probabilities', 'FP32', [ROWS, 10]]]);
  const got = fromF32(res.raw_output_contents[0] as Buffer);
  t.true(maxAbsDiff(got, expected) < 1e-5, `max abs diff ${maxAbsDiff(got, expected)}`);
});

test('parity - digits_mlp over typed contents, answered typed when binary_data_output=false', async (t) => {
  const res = await t.context.client.infer({
    model_name: 'digits_mlp',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [ROWS, 64], contents: { fp32_contents: Array.from(fromF32(inputs.data)) } }],
    parameters: { binary_data_output: { bool_param: false } },
  });
  t.is(res.raw_output_contents.length, 0);
  const got = Float32Array.from(res.outputs[0]?.contents?.fp32_contents ?? []);
  t.true(maxAbsDiff(got, expected) < 1e-5, `max abs diff ${maxAbsDiff(got, expected)}`);
});

test('parity - typed input answered raw by default', async (t) => {
  const row = Array.from(fromF32(inputs.data).subarray(0, 64));
  const res = await t.context.client.infer({
    model_name: 'digits_mlp',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], contents: { fp32_contents: row } }],
  });
  t.is(res.raw_output_contents.length, 1);
  t.true(maxAbsDiff(fromF32(res.raw_output_contents[0] as Buffer), expected.subarray(0, 10)) < 1e-5);
});

test('parity - two inputs (FP32 features + INT64 ids), raw and typed, both outputs', async (t) => {
  const features = parity('digits_two_input', 'features');
  const ids = parity('digits_two_input', 'ids');
  const logits = fromF32(parity('digits_two_input', 'logits').data);
  const label = new BigInt64Array(parity('digits_two_input', 'label').data.buffer);
  const n = 64; // max_batch_size of this model
  const raw = await t.context.client.infer({
    model_name: 'digits_two_input',
    inputs: [
      { name: 'features', datatype: 'FP32', shape: [n, 64] },
      { name: 'ids', datatype: 'INT64', shape: [n, 1] },
    ],
    raw_input_contents: [Buffer.from(features.data.subarray(0, n * 64 * 4)), Buffer.from(ids.data.subarray(0, n * 8))],
  });
  const byName = new Map(raw.outputs.map((o, i) => [o.name, raw.raw_output_contents[i] as Buffer]));
  t.true(maxAbsDiff(fromF32(byName.get('logits') as Buffer), logits.subarray(0, n * 10)) < 1e-5);
  t.deepEqual(Array.from(new BigInt64Array(new Uint8Array(byName.get('label') as Buffer).buffer)), Array.from(label.subarray(0, n)));

  const typed = await t.context.client.infer({
    model_name: 'digits_two_input',
    inputs: [
      { name: 'features', datatype: 'FP32', shape: [n, 64], contents: { fp32_contents: Array.from(fromF32(features.data).subarray(0, n * 64)) } },
      { name: 'ids', datatype: 'INT64', shape: [n, 1], contents: { int64_contents: Array.from(new BigInt64Array(ids.data.buffer).subarray(0, n), String) } },
    ],
    outputs: [{ name: 'label' }],
    parameters: { binary_data_output: { bool_param: false } },
  });
  t.deepEqual(typed.outputs.map((o) => o.name), ['label']);
  t.deepEqual(typed.outputs[0]?.shape.map(Number), [n]);
  t.deepEqual(typed.outputs[0]?.contents?.int64_contents, Array.from(label.subarray(0, n), String));
});

test('outputs - only the requested outputs come back, in the requested order', async (t) => {
  const features = parity('digits_two_input', 'features');
  const res = await t.context.client.infer({
    model_name: 'digits_two_input',
    inputs: [
      { name: 'features', datatype: 'FP32', shape: [2, 64] },
      { name: 'ids', datatype: 'INT64', shape: [2, 1] },
    ],
    outputs: [{ name: 'label' }, { name: 'logits' }],
    raw_input_contents: [Buffer.from(features.data.subarray(0, 2 * 64 * 4)), Buffer.from(new BigInt64Array([1n, 2n]).buffer)],
  });
  t.deepEqual(res.outputs.map((o) => o.name), ['label', 'logits']);
  t.is((res.raw_output_contents[0] as Buffer).byteLength, 2 * 8);
  t.is((res.raw_output_contents[1] as Buffer).byteLength, 2 * 10 * 4);
});

test('request id - the v2 id is echoed and used; x-request-id metadata wins; else one is generated', async (t) => {
  const req = { model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }], raw_input_contents: [f32(new Array(64).fill(0))] };
  t.is((await t.context.client.infer({ ...req, id: 'req-42' })).id, 'req-42');
  const md = new grpc.Metadata();
  md.set('x-request-id', 'from-header-7');
  t.is((await t.context.client.infer(req, { metadata: md })).id, 'from-header-7');
  const generated = (await t.context.client.infer(req)).id;
  t.regex(generated, /^[0-9a-f-]{36}$/);
});

const DTYPE_SAMPLES: Record<Exclude<Datatype, 'FP16'>, (number | string | boolean)[]> = {
  BOOL: [true, false, true, true],
  UINT8: [0, 1, 128, 255],
  UINT16: [0, 1, 40000, 65535],
  UINT32: [0, 1, 3_000_000_000, 4294967295],
  UINT64: ['0', '1', '9007199254740993', '18446744073709551615'],
  INT8: [-128, -1, 0, 127],
  INT16: [-32768, -1, 0, 32767],
  INT32: [-2147483648, -1, 0, 2147483647],
  INT64: ['-9223372036854775808', '-1', '9007199254740993', '9223372036854775807'],
  FP32: [-1.5, 0, 3.25, 1e30],
  FP64: [-1.5e300, 0, Math.PI, 1e-300],
};

const ALL = Object.keys(DTYPE_SAMPLES) as Exclude<Datatype, 'FP16'>[];

/** Little-endian bytes of a sample, built independently of the service's own converters. */
function sampleBytes(d: Datatype, sample: readonly (number | string | boolean)[]): Uint8Array {
  const bytes = new Uint8Array(sample.length * DATATYPES[d].bytes);
  const view = typedView(d, bytes.buffer, 0, bytes.byteLength) as unknown as (number | bigint)[];
  sample.forEach((v, i) => {
    view[i] = d === 'INT64' || d === 'UINT64' ? BigInt(v) : d === 'BOOL' ? (v ? 1 : 0) : (v as number);
  });
  return bytes;
}

test('datatypes - every datatype travels in through typed contents and back out typed', async (t) => {
  const res = await t.context.client.infer({
    model_name: 'dtypes',
    inputs: ALL.map((d) => ({ name: `in_${d.toLowerCase()}`, datatype: d, shape: [1, 4], contents: { [DATATYPES[d].contents as string]: DTYPE_SAMPLES[d] } })),
    parameters: { binary_data_output: { bool_param: false } },
  });
  for (const d of ALL) {
    const out = res.outputs.find((o) => o.name === `out_${d.toLowerCase()}`);
    t.is(out?.datatype, d);
    const got = (out?.contents as Record<string, unknown> | null)?.[DATATYPES[d].contents as string];
    const want = d === 'FP32' ? Array.from(new Float32Array(DTYPE_SAMPLES[d] as number[])) : DTYPE_SAMPLES[d];
    t.deepEqual(got, want, d);
  }
});

test('datatypes - every datatype travels typed in and raw out, byte for byte', async (t) => {
  const res = await t.context.client.infer({
    model_name: 'dtypes',
    inputs: ALL.map((d) => ({ name: `in_${d.toLowerCase()}`, datatype: d, shape: [1, 4], contents: { [DATATYPES[d].contents as string]: DTYPE_SAMPLES[d] } })),
  });
  res.outputs.forEach((o, i) => {
    const d = o.datatype as Exclude<Datatype, 'FP16'>;
    t.deepEqual(new Uint8Array(res.raw_output_contents[i] as Buffer), sampleBytes(d, DTYPE_SAMPLES[d]), d);
  });
  t.is(res.outputs.length, ALL.length);
});

test('datatypes - every datatype travels raw in and typed out', async (t) => {
  const res = await t.context.client.infer({
    model_name: 'dtypes',
    inputs: ALL.map((d) => ({ name: `in_${d.toLowerCase()}`, datatype: d, shape: [1, 4] })),
    raw_input_contents: ALL.map((d) => Buffer.from(sampleBytes(d, DTYPE_SAMPLES[d]))),
    parameters: { binary_data_output: { bool_param: false } },
  });
  for (const d of ALL) {
    const out = res.outputs.find((o) => o.name === `out_${d.toLowerCase()}`);
    const want = d === 'FP32' ? Array.from(new Float32Array(DTYPE_SAMPLES[d] as number[])) : DTYPE_SAMPLES[d];
    t.deepEqual((out?.contents as Record<string, unknown> | null)?.[DATATYPES[d].contents as string], want, d);
  }
});

test('datatypes - FP16 travels raw, bit for bit; typed FP16 is refused naming the tensor', async (t) => {
  const half = sampleBytes('FP16', [0x3c00, 0xc000, 0x0000, 0x7bff]); // 1.0, -2.0, 0, 65504
  const res = await t.context.client.infer({
    model_name: 'dtypes_fp16',
    inputs: [{ name: 'in_fp16', datatype: 'FP16', shape: [1, 4] }],
    raw_input_contents: [Buffer.from(half)],
  });
  t.is(res.outputs[0]?.datatype, 'FP16');
  t.deepEqual(new Uint8Array(res.raw_output_contents[0] as Buffer), half);
  const typedIn = await t.throwsAsync<grpc.ServiceError & Error>(
    t.context.client.infer({ model_name: 'dtypes_fp16', inputs: [{ name: 'in_fp16', datatype: 'FP16', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }] }),
  );
  t.is(typedIn?.code, grpc.status.INVALID_ARGUMENT);
  t.regex(typedIn?.details ?? '', /in_fp16.*raw_input_contents/);
  const typedOut = await t.throwsAsync<grpc.ServiceError & Error>(
    t.context.client.infer({
      model_name: 'dtypes_fp16',
      inputs: [{ name: 'in_fp16', datatype: 'FP16', shape: [1, 4] }],
      raw_input_contents: [Buffer.from(half)],
      parameters: { binary_data_output: { bool_param: false } },
    }),
  );
  t.is(typedOut?.code, grpc.status.INVALID_ARGUMENT);
  t.regex(typedOut?.details ?? '', /out_fp16.*raw/);
});
