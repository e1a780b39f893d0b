/**
 * A Triton model repository (config.pbtxt, no config.json) served by the inference service as it
 * is: the config's fields take effect, the ignored ones are named in one warning, a folder with
 * both config files and a malformed config.pbtxt are refused with messages that say why.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { InferInput, InferenceClient, InvalidArgumentError } from '../../shared/client/index.js';
import { readNpy } from '../../shared/tensors/index.js';
import { ModelRepository } from '../../services/inference/index.js';
import { startInference } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';

const test = anyTest as TestFn<{ fx: InferenceFixture; client: InferenceClient; repo: string }>;
const root = projectRoot();

// As Triton's docs write them (model_repository/densenet_onnx style), for the repository's digits MLP.
const DIGITS_PBTXT = `# A Triton model configuration: mlmesh reads it as it is.
name: "digits"
platform: "onnxruntime_onnx"
max_batch_size : 4
input [
  {
    name: "input"
    data_type: TYPE_FP32
    format: FORMAT_NONE
    dims: [ 64 ]
  }
]
output [
  {
    name: "probabilities"
    data_type: TYPE_FP32
    dims: [ 10 ]
    label_filename: "digits_labels.txt"
  }
]
instance_group [ { count: 2, kind: KIND_CPU } ]
dynamic_batching {
  max_queue_delay_microseconds: 500
  default_queue_policy { max_queue_size: 32 }
}
model_warmup [ { name: "zeros" batch_size: 1 inputs { key: "input" value: { data_type: TYPE_FP32 dims: [ 64 ] zero_data: true } } } ]
`;

async function model(repo: string, name: string, files: Record<string, string>): Promise<void> {
  await cp(join(root, 'examples/models/digits_mlp/1'), join(repo, name, '1'), { recursive: true, filter: (src) => !src.includes('reference') });
  for (const [file, text] of Object.entries(files)) await writeFile(join(repo, name, file), text);
}

test.before(async (t) => {
  const repo = await mkdtemp(join(tmpdir(), 'mlmesh-triton-repo-'));
  await model(repo, 'digits', { 'config.pbtxt': DIGITS_PBTXT });
  await model(repo, 'both', { 'config.pbtxt': 'name: "both"\n', 'config.json': '{}' });
  await model(repo, 'broken', { 'config.pbtxt': 'name: "broken"\nmax_batch_size: 4\ninput [ { name: "input" data_type: TYPE_FP32 dims: [ 64 ] }\n' });
  const fx = await startInference({ repo, captureLogs: true });
  t.context = { fx, repo, client: new InferenceClient(fx.service.address) };
});

test.after.always(async (t) => {
  t.context.client?.close();
  await t.context.fx?.stop();
  if (t.context.repo) await rm(t.context.repo, { recursive: true, force: true });
});

test('config.pbtxt - a Triton model folder is served with its config: outputs match PyTorch, max_batch_size 4 splits a 5-row request and bounds a request at 64 rows', async (t) => {
  const { client } = t.context;
  const pixels = new Float32Array(new Uint8Array(readNpy(join(root, 'test/fixtures/parity/digits_mlp/inputs.npy')).data).buffer);
  const want = new Float32Array(new Uint8Array(readNpy(join(root, 'test/fixtures/parity/digits_mlp/outputs.npy')).data).buffer);
  const res = await client.infer('digits', [InferInput.from('input', pixels.subarray(0, 4 * 64), [4, 64])]);
  const got = res.asArray<Float32Array>('probabilities');
  t.true(got.every((x, i) => Math.abs(x - (want[i] as number)) < 1e-5));
  // The config's max_batch_size 4 is what the server splits on: 5 rows are answered as 4 + 1
  // (the same probabilities), and the largest request is maxRequestBatches (16) × 4 = 64 rows.
  const five = (await client.infer('digits', [InferInput.from('input', pixels.subarray(0, 5 * 64), [5, 64])])).asArray<Float32Array>('probabilities');
  t.is(five.length, 5 * 10);
  t.true(five.every((x, i) => Math.abs(x - (want[i] as number)) < 1e-5));
  const err = await t.throwsAsync(client.infer('digits', [InferInput.from('input', pixels.subarray(0, 65 * 64), [65, 64])]), { instanceOf: InvalidArgumentError });
  t.regex(err?.message ?? '', /max_batch_size 4/);
  const meta = await client.modelMetadata({ name: 'digits' });
  t.deepEqual(meta.inputs.map((i) => [i.name, i.datatype, i.shape.map(Number)]), [['input', 'FP32', [-1, 64]]]);
});

test('config.pbtxt - the load logs one warning naming every field mlmesh ignores', (t) => {
  const warnings = t.context.fx.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r['model'] === 'digits' && Array.isArray(r['ignored']));
  t.is(warnings.length, 1);
  t.like(warnings[0], { file: 'config.pbtxt', msg: 'config.pbtxt: mlmesh ignores 2 field(s)' });
  t.deepEqual(warnings[0]?.['ignored'], ['output[0].label_filename', 'model_warmup']);
});

test('config.pbtxt - a folder with config.json and config.pbtxt, and a malformed config.pbtxt, are refused naming why (file, line, column)', async (t) => {
  const index = await t.context.fx.client.repositoryIndex(false);
  const row = (name: string) => index.models.find((m) => m.name === name);
  t.like(row('digits'), { state: 'READY' });
  t.like(row('both'), { state: 'UNAVAILABLE' });
  t.regex(row('both')?.reason ?? '', /model 'both' has both config\.json and config\.pbtxt: keep one/);
  t.like(row('broken'), { state: 'UNAVAILABLE' });
  t.regex(row('broken')?.reason ?? '', /model 'broken': config\.pbtxt:4:1: expected ',' or '\]' in the list of field 'input' opened at line 3, column 7, got the end of the file/);
});

test('config.pbtxt - a folder holding only config.pbtxt is a model folder (as one holding only config.json)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-triton-scan-'));
  try {
    await mkdir(join(dir, 'pbtxt_only'));
    await writeFile(join(dir, 'pbtxt_only', 'config.pbtxt'), 'name: "pbtxt_only"\n');
    await mkdir(join(dir, 'nothing'));
    const scan = await new ModelRepository(dir).scan();
    t.deepEqual(scan.models, ['pbtxt_only']);
    t.regex(scan.skipped.find((s) => s.name === 'nothing')?.reason ?? '', /nor a config\.pbtxt/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
