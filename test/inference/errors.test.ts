import anyTest from 'ava';
import type { TestFn } from 'ava';
import { startInference, f32 } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';
import { assertStatus, grpc } from '../helpers/grpc.js';

interface Ctx {
  svc: InferenceFixture;
  /** A service with a 64 KiB message limit. */
  small: InferenceFixture;
}
const test = anyTest as TestFn<Ctx>;
const S = grpc.status;

test.before(async (t) => {
  const [svc, small] = await Promise.all([
    startInference({ models: ['digits_mlp', 'digits_two_input'] }),
    startInference({ models: ['digits_mlp'], overrides: { maxMessageBytes: 64 * 1024 } }),
  ]);
  t.context = { svc, small };
});
test.after.always(async (t) => {
  await Promise.all([t.context?.svc?.stop(), t.context?.small?.stop()]);
});

const row = (n = 1): Buffer => f32(new Array(64 * n).fill(0.5));
const good = (n = 1) => ({ model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [n, 64] }], raw_input_contents: [row(n)] });

test('bad input - unknown model is NOT_FOUND naming it', async (t) => {
  await assertStatus(t, t.context.svc.client.infer({ ...good(), model_name: 'nope' }), S.NOT_FOUND, /model 'nope'/);
});

test('bad input - unknown version is NOT_FOUND naming the version', async (t) => {
  await assertStatus(t, t.context.svc.client.infer({ ...good(), model_version: '7' }), S.NOT_FOUND, /version '7'/);
  await assertStatus(t, t.context.svc.client.modelMetadata('digits_mlp', '7'), S.NOT_FOUND, /version '7'/);
});

test('bad input - missing input names it', async (t) => {
  await assertStatus(
    t,
    t.context.svc.client.infer({
      model_name: 'digits_two_input',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 64] }],
      raw_input_contents: [row()],
    }),
    S.INVALID_ARGUMENT,
    /missing input 'ids'/,
  );
});

test('bad input - unknown input names it and lists the real ones', async (t) => {
  await assertStatus(
    t,
    t.context.svc.client.infer({ model_name: 'digits_mlp', inputs: [{ name: 'pixels', datatype: 'FP32', shape: [1, 64] }], raw_input_contents: [row()] }),
    S.INVALID_ARGUMENT,
    /unknown input 'pixels'.*input/,
  );
});

test('bad input - an input given twice names it', async (t) => {
  await assertStatus(
    t,
    t.context.svc.client.infer({
      model_name: 'digits_mlp',
      inputs: [
        { name: 'input', datatype: 'FP32', shape: [1, 64] },
        { name: 'input', datatype: 'FP32', shape: [1, 64] },
      ],
      raw_input_contents: [row(), row()],
    }),
    S.INVALID_ARGUMENT,
    /input 'input' is given twice/,
  );
});

test('bad input - wrong datatype names the tensor and both types', async (t) => {
  await assertStatus(
    t,
    t.context.svc.client.infer({ model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP64', shape: [1, 64] }], raw_input_contents: [Buffer.alloc(512)] }),
    S.INVALID_ARGUMENT,
    /input 'input': datatype FP64 does not match the model's FP32/,
  );
  await assertStatus(
    t,
    t.context.svc.client.infer({ model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'BYTES', shape: [1, 64] }], raw_input_contents: [Buffer.alloc(256)] }),
    S.INVALID_ARGUMENT,
    /input 'input': datatype BYTES is not served/,
  );
});

test('bad input - a shape that does not match the model names the tensor and both shapes', async (t) => {
  await assertStatus(
    t,
    t.context.svc.client.infer({ model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 63] }], raw_input_contents: [f32(new Array(63).fill(0))] }),
    S.INVALID_ARGUMENT,
    /input 'input': shape \[1, 63\] does not match the model's \[-1, 64\]/,
  );
  await assertStatus(
    t,
    t.context.svc.client.infer({ model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [64] }], raw_input_contents: [row()] }),
    S.INVALID_ARGUMENT,
    /input 'input': shape \[64\]/,
  );
  await assertStatus(
    t,
    t.context.svc.client.infer({ model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 64] }], raw_input_contents: [row()] }),
    S.INVALID_ARGUMENT,
    /input 'input': shape \[-1, 64\] has a negative/,
  );
});

test('bad input - inputs that disagree on the batch dimension', async (t) => {
  await assertStatus(
    t,
    t.context.svc.client.infer({
      model_name: 'digits_two_input',
      inputs: [
        { name: 'features', datatype: 'FP32', shape: [2, 64] },
        { name: 'ids', datatype: 'INT64', shape: [1, 1] },
      ],
      raw_input_contents: [row(2), Buffer.alloc(8)],
    }),
    S.INVALID_ARGUMENT,
    /input 'ids': batch dimension 1 differs/,
  );
});

test('bad input - raw byte length that does not match shape x datatype', async (t) => {
  await assertStatus(
    t,
    t.context.svc.client.infer({ model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }], raw_input_contents: [Buffer.alloc(255)] }),
    S.INVALID_ARGUMENT,
    /input 'input': raw_input_contents\[0\] has 255 bytes, but shape \[1, 64\] of FP32 needs 256/,
  );
});

test('bad input - raw_input_contents count differs from inputs', async (t) => {
  await assertStatus(
    t,
    t.context.svc.client.infer({ model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }], raw_input_contents: [row(), row()] }),
    S.INVALID_ARGUMENT,
    /raw_input_contents has 2 entries for 1 inputs/,
  );
});

test('bad input - raw and typed contents both set', async (t) => {
  await assertStatus(
    t,
    t.context.svc.client.infer({
      model_name: 'digits_mlp',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], contents: { fp32_contents: new Array(64).fill(1) } }],
      raw_input_contents: [row()],
    }),
    S.INVALID_ARGUMENT,
    /input 'input' sets contents while raw_input_contents is used/,
  );
});

test('bad input - typed contents: wrong count, wrong field, no data', async (t) => {
  const c = t.context.svc.client;
  await assertStatus(
    t,
    c.infer({ model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], contents: { fp32_contents: [1, 2, 3] } }] }),
    S.INVALID_ARGUMENT,
    /input 'input': contents.fp32_contents has 3 values, shape needs 64/,
  );
  await assertStatus(
    t,
    c.infer({ model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], contents: { fp64_contents: new Array(64).fill(1) } }] }),
    S.INVALID_ARGUMENT,
    /input 'input'.*fp32_contents.*fp64_contents/,
  );
  await assertStatus(
    t,
    c.infer({ model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }] }),
    S.INVALID_ARGUMENT,
    /input 'input' has no data/,
  );
});

test('bad input - a batch over maxRequestBatches × max_batch_size names the limit', async (t) => {
  await assertStatus(t, t.context.svc.client.infer(good(16 * 256 + 1)), S.INVALID_ARGUMENT, /input 'input': batch of 4097 exceeds the largest request of 4096 rows \(maxRequestBatches × the model's max_batch_size 256\)/);
  await assertStatus(t, t.context.svc.client.infer({ ...good(1), inputs: [{ name: 'input', datatype: 'FP32', shape: [0, 64] }], raw_input_contents: [Buffer.alloc(0)] }), S.INVALID_ARGUMENT, /batch dimension must be at least 1/);
});

test('bad input - unknown or repeated requested output names it', async (t) => {
  await assertStatus(t, t.context.svc.client.infer({ ...good(), outputs: [{ name: 'logits' }] }), S.INVALID_ARGUMENT, /unknown output 'logits'/);
  await assertStatus(t, t.context.svc.client.infer({ ...good(), outputs: [{ name: 'probabilities' }, { name: 'probabilities' }] }), S.INVALID_ARGUMENT, /output 'probabilities' is requested twice/);
});

test('bad input - output parameters mlmesh does not implement are refused, not ignored', async (t) => {
  await assertStatus(
    t,
    t.context.svc.client.infer({ ...good(), outputs: [{ name: 'probabilities', parameters: { classification: { int64_param: 3 } } }] }),
    S.INVALID_ARGUMENT,
    /output 'probabilities': parameter 'classification' is not supported/,
  );
  await assertStatus(
    t,
    t.context.svc.client.infer({ ...good(), outputs: [{ name: 'probabilities', parameters: { binary_data: { bool_param: false } } }] }),
    S.INVALID_ARGUMENT,
    /binary_data must agree/,
  );
  const ok = await t.context.svc.client.infer({ ...good(), outputs: [{ name: 'probabilities', parameters: { binary_data: { bool_param: true } } }] });
  t.is(ok.raw_output_contents.length, 1);
});

test('bad input - a malformed parameter names it', async (t) => {
  await assertStatus(t, t.context.svc.client.infer({ ...good(), parameters: { binary_data_output: { int64_param: 3 } } }), S.INVALID_ARGUMENT, /parameter 'binary_data_output' must be a bool/);
});

test('bad input - a message over the size limit is RESOURCE_EXHAUSTED and the server stays up', async (t) => {
  const { client } = t.context.small;
  await assertStatus(t, client.infer(good(256)), S.RESOURCE_EXHAUSTED, /larger than max/i);
  const ok = await client.infer(good(1));
  t.is(ok.outputs[0]?.name, 'probabilities');
});

test('bad input - the server keeps serving after every bad request', async (t) => {
  t.deepEqual(await t.context.svc.client.serverLive(), { live: true });
  const ok = await t.context.svc.client.infer(good(3));
  t.deepEqual(ok.outputs[0]?.shape.map(Number), [3, 10]);
});

test('bad load - model names that try to leave the repository are INVALID_ARGUMENT', async (t) => {
  const c = t.context.svc.client;
  for (const name of ['../etc', '..', '/etc/passwd', 'a/b', 'digits_mlp/../../x', '.hidden/../x']) {
    await assertStatus(t, c.load(name), S.INVALID_ARGUMENT, /model_name .* (is not a valid model name|resolves outside)/);
  }
});

test('bad load - unknown model is NOT_FOUND; empty name and unknown repository are refused', async (t) => {
  const c = t.context.svc.client;
  await assertStatus(t, c.load('no_such_model'), S.NOT_FOUND, /model 'no_such_model' is not in the repository/);
  await assertStatus(t, c.load(''), S.INVALID_ARGUMENT, /model_name is required/);
  await assertStatus(t, c.unload('digits_mlp_never_loaded'), S.NOT_FOUND, /not in the repository/);
  const err = await t.throwsAsync<grpc.ServiceError & Error>(
    new Promise((resolve, reject) =>
      c.raw.RepositoryIndex({ repository_name: 'elsewhere', ready: false }, (e, r) => (e ? reject(e) : resolve(r))),
    ),
  );
  t.is(err?.code, S.NOT_FOUND);
  t.regex(err?.details ?? '', /repository_name 'elsewhere'/);
});

test('bad load - a config parameter that is not valid JSON or not a valid config names the field', async (t) => {
  const c = t.context.svc.client;
  await assertStatus(t, c.load('digits_mlp', { config: { string_param: '{not json' } }), S.INVALID_ARGUMENT, /parameters.config is not valid JSON/);
  await assertStatus(
    t,
    c.load('digits_mlp', { config: { string_param: JSON.stringify({ max_batch_size: -3 }) } }),
    S.INVALID_ARGUMENT,
    /parameters.config: .*max_batch_size/,
  );
  await assertStatus(t, c.load('digits_mlp', { file: { string_param: 'x' } }), S.INVALID_ARGUMENT, /parameters.file is not supported/);
  // The model still serves after refused loads.
  t.true((await c.modelReady('digits_mlp')).ready);
});
