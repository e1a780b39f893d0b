/**
 * `mlmesh model add`, run as the command a person types, on ONNX files nobody wrote for it: the
 * repository's PyTorch digits MLP, an skl2onnx-shaped ZipMap classifier, a string model, and a
 * PyTorch export without a dynamic batch axis (tools/make_cli_fixtures.py). What it writes is
 * then served by a real inference service and called with the client package.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { InferInput, InferenceClient } from '../../shared/client/index.js';
import { projectRoot } from '../../shared/config/index.js';
import { readNpy } from '../../shared/tensors/index.js';
import { verifyManifest } from '../../services/inference/index.js';
import { startInference } from '../helpers/inference.js';
import { runNode } from '../helpers/process.js';

const root = projectRoot();
const DIGITS = join(root, 'examples/models/digits_mlp/1/model.onnx');
const ZIPMAP = join(root, 'test/fixtures/models/digits_logreg_zipmap/1/model.onnx');
const STRINGS = join(root, 'test/fixtures/models/string_identity/1/model.onnx');
const FIXED = join(root, 'test/fixtures/onnx/fixed_batch.onnx');
const HELD_OUT = join(root, 'test/fixtures/parity/digits_mlp/inputs.npy');

async function mlmesh(args: readonly string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = runNode('tools/cli/main.js', args);
  const code = await child.exited;
  return { code, stdout: child.stdout.join('\n'), stderr: child.stderr.join('\n') };
}

async function tempRepo(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-model-add-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const f32 = (a: { data: Uint8Array }): Float32Array => new Float32Array(new Uint8Array(a.data).buffer);
const sha256 = async (p: string): Promise<string> => createHash('sha256').update(await readFile(p)).digest('hex');

test('model add - a PyTorch ONNX file becomes a served model: config from the file, manifest with provenance, reference; the service answers with PyTorch\'s outputs', async (t) => {
  const repo = await tempRepo(t);
  const metrics = join(repo, 'metrics.json');
  await writeFile(metrics, JSON.stringify({ test_accuracy: 0.97, loss: 0.11 }));
  const r = await mlmesh(['model', 'add', 'digits', DIGITS, '--repo', join(repo, 'models'), '--reference', HELD_OUT, '--training-data', HELD_OUT, '--metrics', metrics, '--source', 'train.py@abc123', '--json']);
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { version: number; config: string; inputs: unknown; outputs: unknown; reference: { rows: number; output: string } };
  t.like(out, { version: 1, config: 'written', reference: { rows: 200, output: 'probabilities' } });
  t.deepEqual(out.inputs, [{ name: 'input', datatype: 'FP32', shape: [-1, 64] }]);
  const config = JSON.parse(await readFile(join(repo, 'models/digits/config.json'), 'utf8')) as Record<string, unknown>;
  t.like(config, {
    name: 'digits',
    platform: 'onnxruntime_onnx',
    max_batch_size: 64,
    input: [{ name: 'input', data_type: 'TYPE_FP32', dims: [64] }],
    output: [{ name: 'probabilities', data_type: 'TYPE_FP32', dims: [10] }],
    dynamic_batching: { max_queue_delay_microseconds: 0, max_queue_size: 1024 },
    instance_group: [{ count: 1, kind: 'KIND_CPU' }],
  });
  const v1 = join(repo, 'models/digits/1');
  const { manifest } = await verifyManifest(v1, 'digits 1');
  t.deepEqual(Object.keys(manifest.files), ['model.onnx'], 'reference/ is the monitor\'s, outside the manifest');
  t.is(manifest.files['model.onnx'], await sha256(DIGITS));
  t.like(manifest.provenance, { training_data_sha256: await sha256(HELD_OUT), parent_version: null, produced_by: 'train.py@abc123', metrics: { test_accuracy: 0.97, loss: 0.11 } });
  // The reference's outputs are the model's on the rows: PyTorch's own (parity fixture).
  const outputs = f32(readNpy(join(v1, 'reference/outputs.npy')));
  const want = f32(readNpy(join(root, 'test/fixtures/parity/digits_mlp/outputs.npy')));
  t.is(outputs.length, want.length);
  t.true(outputs.every((x, i) => Math.abs(x - (want[i] as number)) < 1e-5));
  const refMeta = JSON.parse(await readFile(join(v1, 'reference/reference.json'), 'utf8')) as { files: Record<string, string>; rows: number };
  t.is(refMeta.rows, 200);
  t.is(refMeta.files['outputs.npy'], await sha256(join(v1, 'reference/outputs.npy')));
  t.deepEqual((await readdir(join(repo, 'models/digits'))).sort(), ['1', 'config.json'], 'no temp folder left');

  // A second file is the next version; the config is kept (the flag says so), --parent is checked.
  const bad = await mlmesh(['model', 'add', 'digits', DIGITS, '--repo', join(repo, 'models'), '--parent', '7']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /--parent 7: digits has no version 7 \(it has 1\)/);
  const v2 = await mlmesh(['model', 'add', 'digits', DIGITS, '--repo', join(repo, 'models'), '--parent', '1', '--max-batch-size', '8']);
  t.is(v2.code, 0, v2.stderr);
  t.regex(v2.stdout, /added digits version 2 in/);
  t.regex(v2.stderr, /--max-batch-size ignored: digits keeps its config/);
  t.is((await verifyManifest(join(repo, 'models/digits/2'), 'v2')).manifest.provenance.parent_version, '1');
  const taken = await mlmesh(['model', 'add', 'digits', DIGITS, '--repo', join(repo, 'models'), '--version', '2']);
  t.is(taken.code, 1);
  t.regex(taken.stderr, /digits already has version 2/);

  const fx = await startInference({ repo: join(repo, 'models') });
  const client = new InferenceClient(fx.service.address);
  try {
    const pixels = f32(readNpy(HELD_OUT)).subarray(0, 3 * 64);
    const res = await client.infer('digits', [InferInput.from('input', pixels, [3, 64])]);
    t.is(res.modelVersion, '2', 'the latest version');
    t.deepEqual(res.shape('probabilities'), [3, 10]);
    const got = res.asArray<Float32Array>('probabilities');
    t.true(got.every((x, i) => Math.abs(x - (want[i] as number)) < 1e-5), 'PyTorch\'s probabilities');
  } finally {
    client.close();
    await fx.stop();
  }
});

test('model add - a model exported without a dynamic batch axis is refused with the torch.onnx.export fix, and nothing is written; --max-batch-size 0 serves it unbatched', async (t) => {
  const repo = await tempRepo(t);
  const r = await mlmesh(['model', 'add', 'fixed', FIXED, '--repo', repo]);
  t.is(r.code, 1);
  t.regex(r.stderr, /input 'input' has the fixed first dimension \[1, 4\]; output 'output' has the fixed first dimension \[1, 3\]/);
  t.true(r.stderr.includes(`dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}}`), r.stderr);
  t.true(r.stderr.includes('dynamo=True') && r.stderr.includes('dynamic_shapes='), r.stderr);
  t.regex(r.stderr, /--max-batch-size 0/);
  t.notRegex(r.stderr, /\n\s+at /);
  t.false(existsSync(join(repo, 'fixed')), 'nothing written');

  const ok = await mlmesh(['model', 'add', 'fixed', FIXED, '--repo', repo, '--max-batch-size', '0']);
  t.is(ok.code, 0, ok.stderr);
  t.like(JSON.parse(await readFile(join(repo, 'fixed/config.json'), 'utf8')), { max_batch_size: 0, input: [{ name: 'input', dims: [1, 4] }] });
  const fx = await startInference({ repo });
  const client = new InferenceClient(fx.service.address);
  try {
    const res = await client.infer('fixed', [InferInput.from('input', new Float32Array([1, 2, 3, 4]), [1, 4])]);
    t.deepEqual(res.shape('output'), [1, 3]);
  } finally {
    client.close();
    await fx.stop();
  }
});

test('model add - a ZipMap (sequence of maps) output and string tensors are refused saying what to change; --output serves the label of the ZipMap model', async (t) => {
  const repo = await tempRepo(t);
  const zip = await mlmesh(['model', 'add', 'logreg', ZIPMAP, '--repo', repo]);
  t.is(zip.code, 1);
  t.regex(zip.stderr, /output 'output_probability' is not a tensor/);
  t.true(zip.stderr.includes(`options={'zipmap': False}`));
  t.regex(zip.stderr, /--output <name>/);
  const str = await mlmesh(['model', 'add', 'text', STRINGS, '--repo', repo]);
  t.is(str.code, 1);
  t.regex(str.stderr, /input 'text' is a string tensor/);
  t.regex(str.stderr, /output 'out' is a string tensor/);
  t.deepEqual(await readdir(repo), [], 'nothing written');

  const label = await mlmesh(['model', 'add', 'logreg', ZIPMAP, '--repo', repo, '--output', 'output_label']);
  t.is(label.code, 0, label.stderr);
  const fx = await startInference({ repo });
  const client = new InferenceClient(fx.service.address);
  try {
    const rows = 20;
    const res = await client.infer('logreg', [InferInput.from('float_input', f32(readNpy(HELD_OUT)).subarray(0, rows * 64), [rows, 64])]);
    const labels = readNpy(join(root, 'test/fixtures/parity/digits_logreg_zipmap/labels.npy'));
    t.deepEqual(Array.from(res.asArray<BigInt64Array>('output_label')), Array.from(new BigInt64Array(new Uint8Array(labels.data).buffer)).slice(0, rows), "scikit-learn's predictions");
  } finally {
    client.close();
    await fx.stop();
  }
});

test('model add - bad input: not an ONNX file, a reference that does not fit, a file that does not fit the model\'s config, a bad name', async (t) => {
  const repo = await tempRepo(t);
  const junk = join(repo, 'junk.onnx');
  await writeFile(junk, 'not a model');
  const notOnnx = await mlmesh(['model', 'add', 'junk', junk, '--repo', join(repo, 'm')]);
  t.is(notOnnx.code, 1);
  t.regex(notOnnx.stderr, /junk\.onnx is not an ONNX model onnxruntime can load/);
  const narrow = join(repo, 'narrow.npy');
  await writeFile(narrow, (await import('../../shared/tensors/index.js')).encodeNpy('FP32', [2, 3], new Uint8Array(24)));
  const ref = await mlmesh(['model', 'add', 'digits', DIGITS, '--repo', join(repo, 'm'), '--reference', narrow]);
  t.is(ref.code, 1);
  t.regex(ref.stderr, /--reference .*narrow\.npy: rows of shape \[3\] do not fit input 'input' \[\?, 64\]/);
  t.is((await mlmesh(['model', 'add', 'digits', DIGITS, '--repo', join(repo, 'm')])).code, 0);
  const other = await mlmesh(['model', 'add', 'digits', FIXED, '--repo', join(repo, 'm')]);
  t.is(other.code, 1);
  t.regex(other.stderr, /fixed_batch\.onnx does not fit the model's config\.json: .*input/);
  t.deepEqual((await readdir(join(repo, 'm/digits'))).sort(), ['1', 'config.json']);
  const name = await mlmesh(['model', 'add', '../escape', DIGITS, '--repo', join(repo, 'm')]);
  t.is(name.code, 2);
  t.regex(name.stderr, /model_name '\.\.\/escape' is not a valid model name/);
  const metrics = join(repo, 'bad-metrics.json');
  await writeFile(metrics, '{"accuracy": "high"}');
  const m = await mlmesh(['model', 'add', 'digits', DIGITS, '--repo', join(repo, 'm'), '--metrics', metrics]);
  t.is(m.code, 1);
  t.regex(m.stderr, /'accuracy' must be a finite number, got "high"/);
});
