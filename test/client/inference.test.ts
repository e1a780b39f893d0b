/**
 * mlmesh/client against a real inference service: every RPC of inference.GRPCInferenceService,
 * tensors in and out as typed arrays (checked against PyTorch's outputs and, on the identity
 * `dtypes` model, value for value at the edges of each type), typed errors with field violations.
 */
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { readNpy } from '../../shared/tensors/index.js';
import {
  FailedPreconditionError,
  InferInput,
  InferenceClient,
  InvalidArgumentError,
  NotFoundError,
  RpcError,
  buildInferRequest,
} from '../../shared/client/index.js';
import { exampleConfig, startInference } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';

interface Ctx {
  fx: InferenceFixture;
  client: InferenceClient;
}
const test = anyTest as TestFn<Ctx>;

const inputs = readNpy(join(projectRoot(), 'test/fixtures/parity/digits_mlp/inputs.npy'));
const expected = readNpy(join(projectRoot(), 'test/fixtures/parity/digits_mlp/outputs.npy'));
const ROWS = inputs.shape[0] as number;

test.before(async (t) => {
  const fx = await startInference({ models: ['digits_mlp', 'digits_two_input', 'dtypes', 'dtypes_fp16'] });
  t.context = { fx, client: new InferenceClient(fx.service.address) };
});
test.after.always(async (t) => {
  t.context.client?.close();
  await t.context.fx?.stop();
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

test('client inference - health, metadata and repository RPCs return the response messages', async (t) => {
  const { client } = t.context;
  t.deepEqual(await client.serverLive(), { live: true });
  t.deepEqual(await client.serverReady(), { ready: true });
  t.deepEqual(await client.modelReady({ name: 'digits_mlp', version: '1' }), { ready: true });
  t.deepEqual(await client.modelReady({ name: 'digits_mlp', version: '7' }), { ready: false });
  const server = await client.serverMetadata();
  t.true(server.extensions.includes('model_repository'));
  const meta = await client.modelMetadata({ name: 'digits_two_input' });
  t.deepEqual(meta.inputs.map((i) => [i.name, i.datatype, i.shape.map(Number)]), [['features', 'FP32', [-1, 64]], ['ids', 'INT64', [-1, 1]]]);
  const index = await client.repositoryIndex({ ready: true });
  t.deepEqual(index.models.map((m) => m.name).sort(), ['digits_mlp', 'digits_two_input', 'dtypes', 'dtypes_fp16']);
});

test('client inference - infer() takes a Float32Array with a shape and gives PyTorch’s outputs back as a Float32Array', async (t) => {
  const pixels = new Float32Array(inputs.data.buffer, inputs.data.byteOffset, inputs.data.byteLength / 4);
  const result = await t.context.client.infer('digits_mlp', [InferInput.from('input', pixels, [ROWS, 64])]);
  t.is(result.modelName, 'digits_mlp');
  t.is(result.modelVersion, '1');
  t.deepEqual(result.outputNames, ['probabilities']);
  t.deepEqual(result.shape('probabilities'), [ROWS, 10]);
  const probs = result.asArray<Float32Array>('probabilities');
  t.true(probs instanceof Float32Array);
  const want = new Float32Array(expected.data.buffer, expected.data.byteOffset, expected.data.byteLength / 4);
  t.true(maxAbsDiff(probs, want) < 1e-5, `max abs diff ${maxAbsDiff(probs, want)}`);
  t.throws(() => void result.asArray('logits'), { message: /no output 'logits' \(outputs: probabilities\)/ });
});

test('client inference - two inputs (FP32 and a BigInt64Array), one output asked for by name', async (t) => {
  const features = new Float32Array(2 * 64).fill(0.25);
  const ids = new BigInt64Array([3n, 9n]);
  const result = await t.context.client.infer('digits_two_input', [InferInput.from('features', features, [2, 64]), InferInput.from('ids', ids, [2, 1])], { outputs: ['label'] });
  t.deepEqual(result.outputNames, ['label']);
  const label = result.asArray('label');
  t.true(label instanceof BigInt64Array);
  t.deepEqual(result.shape('label'), [2]);
  t.true([...(label as BigInt64Array)].every((v) => v >= 0n && v < 10n));
});

/** The identity model's edge values per datatype, as typed arrays. */
const EDGES = {
  FP32: new Float32Array([-3.4028234663852886e38, -0, 1.401298464324817e-45, Infinity]),
  FP64: new Float64Array([Number.MIN_VALUE, -Number.MAX_VALUE, Math.PI, NaN]),
  INT8: new Int8Array([-128, -1, 0, 127]),
  INT16: new Int16Array([-32768, -1, 1, 32767]),
  INT32: new Int32Array([-2147483648, -1, 1, 2147483647]),
  INT64: new BigInt64Array([-(2n ** 63n), -1n, 2n ** 53n + 1n, 2n ** 63n - 1n]),
  UINT8: new Uint8Array([0, 1, 128, 255]),
  UINT16: new Uint16Array([0, 1, 32768, 65535]),
  UINT32: new Uint32Array([0, 1, 2147483648, 4294967295]),
  UINT64: new BigUint64Array([0n, 1n, 2n ** 63n, 2n ** 64n - 1n]),
} as const;

test('client inference - every datatype goes in as its typed array and comes back the same, raw and typed', async (t) => {
  const ins = Object.entries(EDGES).map(([dt, data]) => InferInput.from(`in_${dt.toLowerCase()}`, data, [1, 4]));
  ins.push(new InferInput('in_bool', [1, 4], 'BOOL').setData([true, false, false, true]));
  for (const typedOut of [false, true]) {
    const result = await t.context.client.infer('dtypes', ins, typedOut ? { parameters: { binary_data_output: { bool_param: false } } } : {});
    t.is(result.response.raw_output_contents.length, typedOut ? 0 : ins.length);
    for (const [dt, data] of Object.entries(EDGES)) {
      const out = result.asArray(`out_${dt.toLowerCase()}`);
      t.is(out.constructor, data.constructor, dt);
      t.deepEqual([...out], [...data], `${dt} (${typedOut ? 'typed' : 'raw'} out)`);
    }
    t.deepEqual([...result.asArray<Uint8Array>('out_bool')], [1, 0, 0, 1]);
  }
});

test('client inference - FP16 travels as a Uint16Array of half bits', async (t) => {
  const half = new Uint16Array([0x3c00, 0xc000, 0x0000, 0x7bff]);
  const result = await t.context.client.infer('dtypes_fp16', [InferInput.from('in_fp16', half, [1, 4], 'FP16')]);
  t.deepEqual([...result.asArray<Uint16Array>('out_fp16')], [...half]);
});

test('client inference - a bad shape is an InvalidArgumentError whose field names the tensor', async (t) => {
  const err = await t.throwsAsync(t.context.client.infer('digits_mlp', [InferInput.from('input', new Float32Array(63), [1, 63])]));
  t.true(err instanceof InvalidArgumentError, String(err));
  const e = err as InvalidArgumentError;
  t.is(e.code, 3);
  t.is(e.codeName, 'INVALID_ARGUMENT');
  t.is(e.field, 'input');
  t.deepEqual(e.fieldViolations.map((v) => v.field), ['input']);
  t.regex(e.fieldViolations[0]?.description ?? '', /shape \[1, 63\]/);
  t.is(e.method, '/inference.GRPCInferenceService/ModelInfer');
  t.is(e.errorInfo?.domain, 'mlmesh');
  t.regex(e.requestId ?? '', /^[0-9a-f-]{36}$/, 'the request id the client sent and the server logged');
});

test('client inference - the request id given is the one the server answers with', async (t) => {
  const err = await t.throwsAsync<RpcError>(t.context.client.modelInfer({ ...buildInferRequest('digits_mlp', [InferInput.from('input', new Float32Array(3), [1, 3])]), id: 'order-42' }));
  t.is(err?.requestId, 'order-42');
  const err2 = await t.throwsAsync<RpcError>(t.context.client.modelMetadata({ name: 'nope' }, { requestId: 'meta-7' }));
  t.is(err2?.requestId, 'meta-7');
});

test('client inference - an unknown model is a NotFoundError naming the model (ResourceInfo)', async (t) => {
  const err = await t.throwsAsync(t.context.client.infer('no_such_model', [InferInput.from('input', new Float32Array(64), [1, 64])]));
  t.true(err instanceof NotFoundError, String(err));
  t.deepEqual((err as NotFoundError).resourceInfo, { resourceType: 'model', resourceName: 'no_such_model', owner: '', description: '' });
  t.regex((err as NotFoundError).message, /^NOT_FOUND: model 'no_such_model' is not loaded/);
});

test.serial('client inference - load with a config and unload, through the client', async (t) => {
  const { client } = t.context;
  await client.repositoryModelUnload({ model_name: 'dtypes_fp16' });
  t.deepEqual(await client.modelReady({ name: 'dtypes_fp16' }), { ready: false });
  const bad = await t.throwsAsync(client.repositoryModelLoad({ model_name: 'dtypes_fp16', parameters: { config: { string_param: '{not json' } } }));
  t.true(bad instanceof InvalidArgumentError, String(bad));
  t.is((bad as InvalidArgumentError).field, 'parameters.config');
  await client.repositoryModelLoad({ model_name: 'dtypes_fp16', parameters: { config: { string_param: exampleConfig('dtypes_fp16') } } });
  t.deepEqual(await client.modelReady({ name: 'dtypes_fp16' }), { ready: true });
  const missing = await t.throwsAsync(client.repositoryModelLoad({ model_name: 'not_in_repo' }));
  t.true(missing instanceof NotFoundError || missing instanceof FailedPreconditionError, String(missing));
});

test('client inference - inputs are checked before anything is sent', (t) => {
  t.throws(() => InferInput.from('input', new Float32Array(10), [2, 4]), { instanceOf: RangeError, message: /10 values for shape \[2, 4\] \(8 elements\)/ });
  t.throws(() => new InferInput('input', [1, 4], 'FP32').setData(new Float64Array(4)), { instanceOf: TypeError, message: /FP32 takes a Float32Array, got a Float64Array/ });
  t.throws(() => new InferInput('x', [1, 2], 'INT8').setData([1, 300]), { instanceOf: RangeError, message: /300 at index 1 is not a INT8/ });
  t.throws(() => new InferInput('x', [1], 'INT64').setData([2 ** 60]), { instanceOf: TypeError, message: /give a bigint/ });
  t.throws(() => new InferInput('x', [1], 'BYTES' as never), { instanceOf: TypeError, message: /unknown datatype BYTES/ });
  t.throws(() => new InferInput('x', [1, -1], 'FP32'), { instanceOf: TypeError, message: /shape/ });
  t.throws(() => buildInferRequest('m', [new InferInput('x', [1], 'FP32')]), { message: /input 'x' has no data/ });
  const a = InferInput.from('x', new Float32Array(1));
  t.throws(() => buildInferRequest('m', [a, a]), { message: /given twice/ });
});
