import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { copyRepository, exampleConfig, f32, startInference, waitFor } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';
import { assertStatus, grpc, healthCheck } from '../helpers/grpc.js';

const test = anyTest as TestFn<InferenceFixture>;
const S = grpc.status;

test.before(async (t) => {
  t.context = await startInference({ models: ['digits_mlp', 'digits_two_input'], captureLogs: true });
});
test.after.always(async (t) => {
  await t.context?.stop();
});

const digits = (version = '') => ({
  model_name: 'digits_mlp',
  model_version: version,
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }],
  raw_input_contents: [f32(new Array(64).fill(0.1))],
});

const indexOf = async (f: InferenceFixture, model: string) =>
  (await f.client.repositoryIndex()).models.filter((m) => m.name === model).map((m) => ({ version: m.version, state: m.state, reason: m.reason }));

test.serial('repository - RepositoryIndex lists every model with its state; ready=true lists only READY ones', async (t) => {
  const all = await t.context.client.repositoryIndex();
  t.deepEqual(
    all.models.map((m) => [m.name, m.version, m.state]),
    [
      ['digits_mlp', '1', 'READY'],
      ['digits_two_input', '1', 'READY'],
    ],
  );
  const ready = await t.context.client.repositoryIndex(true);
  t.is(ready.models.length, 2);
});

test.serial('repository - unload stops serving (NOT_FOUND, not ready, index says unloaded); load brings it back', async (t) => {
  const f = t.context;
  await f.client.unload('digits_mlp');
  t.false((await f.client.modelReady('digits_mlp')).ready);
  await assertStatus(t, f.client.infer(digits()), S.NOT_FOUND, /model 'digits_mlp' is not loaded/);
  t.deepEqual(await indexOf(f, 'digits_mlp'), [{ version: '1', state: 'UNAVAILABLE', reason: 'unloaded' }]);
  t.is((await f.client.repositoryIndex(true)).models.length, 1);
  await t.notThrowsAsync(f.client.unload('digits_mlp'), 'unloading a model that is not loaded does nothing (as in Triton)');
  await f.client.load('digits_mlp');
  t.true((await f.client.modelReady('digits_mlp')).ready);
  t.is((await f.client.infer(digits())).model_version, '1');
  t.deepEqual(await indexOf(f, 'digits_mlp'), [{ version: '1', state: 'READY', reason: '' }]);
});

test.serial('manifest - a new version whose file does not match its SHA-256 is refused; the served version keeps serving', async (t) => {
  const f = t.context;
  const v2 = join(f.repo, 'digits_mlp', '2');
  await cp(join(f.repo, 'digits_mlp', '1'), v2, { recursive: true });
  const onnx = await readFile(join(v2, 'model.onnx'));
  onnx[onnx.length - 10] = (onnx[onnx.length - 10] as number) ^ 0xff;
  await writeFile(join(v2, 'model.onnx'), onnx);
  await assertStatus(t, f.client.load('digits_mlp'), S.FAILED_PRECONDITION, /version 2: .*model\.onnx: SHA-256 mismatch.*refusing to load.*still serving version 1|still serving version 1.*version 2: .*model\.onnx: SHA-256 mismatch/);
  t.is((await f.client.infer(digits())).model_version, '1', 'version 1 still serves');
  const idx = await indexOf(f, 'digits_mlp');
  t.deepEqual(idx.map((r) => [r.version, r.state]), [['1', 'READY'], ['2', 'UNAVAILABLE']]);
  t.regex(idx[1]?.reason ?? '', /SHA-256 mismatch/);

  // Repair it: the reload swaps to version 2 (latest 1) and retires version 1.
  await cp(join(f.repo, 'digits_mlp', '1', 'model.onnx'), join(v2, 'model.onnx'));
  await f.client.load('digits_mlp');
  t.is((await f.client.infer(digits())).model_version, '2');
  t.deepEqual((await indexOf(f, 'digits_mlp')).map((r) => [r.version, r.state, r.reason]), [['1', 'UNAVAILABLE', 'unloaded'], ['2', 'READY', '']]);
  await assertStatus(t, f.client.infer(digits('1')), S.NOT_FOUND, /version '1'/);
});

test.serial('version policy - "all" serves every version; no version picks the newest, a version picks itself', async (t) => {
  const f = t.context;
  await f.client.load('digits_mlp', { config: { string_param: exampleConfig('digits_mlp', { version_policy: { all: {} } }) } });
  const md = await f.client.modelMetadata('digits_mlp');
  t.deepEqual(md.versions, ['1', '2']);
  t.is((await f.client.infer(digits())).model_version, '2');
  t.is((await f.client.infer(digits('1'))).model_version, '1');
  t.deepEqual((await f.client.modelMetadata('digits_mlp', '1')).versions, ['1']);
  await f.client.load('digits_mlp', { config: { string_param: exampleConfig('digits_mlp', { version_policy: { specific: { versions: [1] } } }) } });
  t.deepEqual((await f.client.modelMetadata('digits_mlp')).versions, ['1']);
  await assertStatus(t, f.client.load('digits_mlp', { config: { string_param: exampleConfig('digits_mlp', { version_policy: { specific: { versions: [9] } } }) } }), S.NOT_FOUND, /no version matching/);
  t.deepEqual((await f.client.modelMetadata('digits_mlp')).versions, ['1'], 'a refused load changes nothing');
});

test.serial('manifest - a version without manifest.json is refused with that reason', async (t) => {
  const f = t.context;
  const v3 = join(f.repo, 'digits_mlp', '3');
  await cp(join(f.repo, 'digits_mlp', '1'), v3, { recursive: true });
  await rm(join(v3, 'manifest.json'));
  await assertStatus(t, f.client.load('digits_mlp'), S.FAILED_PRECONDITION, /version 3: manifest.json is missing/);
  await rm(v3, { recursive: true });
});

test.serial('config - inputs declared in the config are checked against the ONNX file at load', async (t) => {
  const f = t.context;
  await assertStatus(
    t,
    f.client.load('digits_mlp', { config: { string_param: exampleConfig('digits_mlp', { input: [{ name: 'input', data_type: 'TYPE_FP32', dims: [63] }] }) } }),
    S.FAILED_PRECONDITION,
    /input 'input' dimension 1 is 63 in the config but 64 in the ONNX model/,
  );
  await assertStatus(
    t,
    f.client.load('digits_mlp', { config: { string_param: exampleConfig('digits_mlp', { input: [{ name: 'input', data_type: 'TYPE_INT32', dims: [64] }] }) } }),
    S.FAILED_PRECONDITION,
    /input 'input' is INT32 in the config but FP32 in the ONNX model/,
  );
  await assertStatus(
    t,
    f.client.load('digits_mlp', { config: { string_param: exampleConfig('digits_mlp', { input: [{ name: 'pixels', data_type: 'TYPE_FP32', dims: [64] }] }) } }),
    S.FAILED_PRECONDITION,
    /config declares input 'pixels'/,
  );
  await assertStatus(
    t,
    f.client.load('digits_mlp', { config: { string_param: exampleConfig('digits_mlp', { output: [{ name: 'probabilities', data_type: 'TYPE_FP32', dims: [11] }] }) } }),
    S.FAILED_PRECONDITION,
    /output 'probabilities' dimension 1 is 11/,
  );
  t.true((await f.client.modelReady('digits_mlp')).ready);
});

test.serial('config - a config listing a subset of the outputs serves only those', async (t) => {
  const f = t.context;
  await f.client.load('digits_two_input', { config: { string_param: exampleConfig('digits_two_input', { output: [{ name: 'label', data_type: 'TYPE_INT64', dims: [] }] }) } });
  const md = await f.client.modelMetadata('digits_two_input');
  t.deepEqual(md.outputs.map((o) => o.name), ['label']);
  const res = await f.client.infer({
    model_name: 'digits_two_input',
    inputs: [
      { name: 'features', datatype: 'FP32', shape: [1, 64] },
      { name: 'ids', datatype: 'INT64', shape: [1, 1] },
    ],
    raw_input_contents: [f32(new Array(64).fill(0)), Buffer.alloc(8)],
  });
  t.deepEqual(res.outputs.map((o) => o.name), ['label']);
  await assertStatus(
    t,
    f.client.load('digits_two_input', { config: { string_param: exampleConfig('digits_two_input', { input: [{ name: 'features', data_type: 'TYPE_FP32', dims: [64] }] }) } }),
    S.FAILED_PRECONDITION,
    /ONNX input 'ids' is not declared in the config/,
  );
});

test.serial('execution providers - a provider the host lacks falls back to CPU with a logged warning', async (t) => {
  const f = t.context;
  await f.client.load('digits_two_input', { config: { string_param: exampleConfig('digits_two_input', { execution_providers: ['tensorrt', 'cuda', 'cpu'] }) } });
  const res = await f.client.infer({
    model_name: 'digits_two_input',
    inputs: [
      { name: 'features', datatype: 'FP32', shape: [1, 64] },
      { name: 'ids', datatype: 'INT64', shape: [1, 1] },
    ],
    raw_input_contents: [f32(new Array(64).fill(0)), Buffer.alloc(8)],
  });
  t.is(res.outputs.length, 2);
  const warnings = f.logs.filter((l) => l.includes('"level":"warn"')).join('\n');
  t.regex(warnings, /execution provider 'tensorrt' is not available on this host: falling back/);
  t.regex(warnings, /execution provider 'cuda' is not available on this host: falling back/);
});

test('startup - a model that fails to load is reported by RepositoryIndex and does not stop the server; strict readiness says not ready', async (t) => {
  const repo = await copyRepository(['digits_mlp', 'digits_two_input']);
  await writeFile(join(repo, 'digits_two_input', 'config.json'), JSON.stringify({ max_batch_size: 'lots' }));
  const strict = await startInference({ repo });
  const lenient = await startInference({ repo, overrides: { strictReadiness: false } });
  try {
    t.true((await strict.client.serverLive()).live);
    t.true((await strict.client.modelReady('digits_mlp')).ready);
    const idx = await indexOf(strict, 'digits_two_input');
    t.is(idx[0]?.state, 'UNAVAILABLE');
    t.regex(idx[0]?.reason ?? '', /max_batch_size: must be an integer/);
    t.false((await strict.client.serverReady()).ready, 'strict: a startup model is missing');
    t.is(await healthCheck(strict.service.address), 'NOT_SERVING');
    t.is((await fetch(`${strict.http}/v2/health/ready`)).status, 503);
    t.true((await lenient.client.serverReady()).ready, 'lenient: ready once startup loads were attempted');
    t.is(await healthCheck(lenient.service.address), 'SERVING');
    // Fix the config and load it: the strict server becomes ready.
    await cp(join(projectRoot(), 'examples/models/digits_two_input/config.json'), join(repo, 'digits_two_input', 'config.json'));
    await strict.client.load('digits_two_input');
    t.true((await strict.client.serverReady()).ready);
    t.is(await healthCheck(strict.service.address), 'SERVING');
  } finally {
    await strict.stop();
    await lenient.stop();
    await rm(repo, { recursive: true, force: true });
  }
});

test('drain - health turns NOT_SERVING while draining, and in-flight inferences complete', async (t) => {
  const f = await startInference({ models: ['slow_chain'], overrides: { drainDelayMs: 1500 } });
  try {
    const long = f.client.infer({ model_name: 'slow_chain', inputs: [{ name: 'x', datatype: 'FP32', shape: [64, 512] }], raw_input_contents: [f32(new Array(64 * 512).fill(0.1))] });
    await waitFor(() => f.service.manager.resolve('slow_chain', '').busyInstances === 1, 10_000, 'the run to start');
    t.is(await healthCheck(f.service.address), 'SERVING');
    const drained = f.service.drain();
    t.is(await healthCheck(f.service.address), 'NOT_SERVING');
    t.is(await healthCheck(f.service.address, 'inference.GRPCInferenceService'), 'NOT_SERVING');
    t.false((await f.client.serverReady()).ready);
    const res = await long;
    t.deepEqual(res.outputs[0]?.shape.map(Number), [64, 512]);
    await drained;
    t.is(f.service.state, 'closed');
  } finally {
    await f.stop();
  }
});
