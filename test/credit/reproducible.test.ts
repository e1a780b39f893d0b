/**
 * The credit example's committed outputs are what its scripts make from the seed: generate.py
 * writes the committed raw data byte for byte, and train.py on the committed pipeline's output
 * of the committed training rows writes the committed model.onnx and drift reference inputs
 * byte for byte. Needs Debian's python3 with numpy (and torch, onnx for the model); skipped with
 * the reason otherwise (CI without Python still checks the artifacts: artifacts.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest from 'ava';
import { mlmesh, run } from '../../examples/credit/steps.js';
import { MODEL_DIR, creditArtifact, root } from './credit-mesh.js';

const PYTHON = process.env['MLMESH_PYTHON'] ?? '/usr/bin/python3';

function missing(modules: string): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', `import ${modules}`], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} cannot be run (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} lacks ${modules} (${probe.stderr.trim().split('\n').at(-1)}); apt-get install python3-numpy python3-torch python3-onnx`;
  return undefined;
}

const noNumpy = missing('numpy');
const noTorch = noNumpy ?? missing('numpy, torch, onnx');
if (noNumpy) console.log(`credit data reproducibility test skipped: ${noNumpy}`);
if (noTorch) console.log(`credit model reproducibility test skipped: ${noTorch}`);

(noNumpy ? anyTest.skip : anyTest)('credit reproducible - generate.py with the seed writes the committed raw data byte for byte', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-credit-data-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await run(PYTHON, ['examples/credit/generate.py', '--out', dir], {}, 'generate.py');
  const committed = join(root, 'examples/credit/data');
  const files = (await readdir(committed)).sort();
  t.deepEqual((await readdir(dir)).sort(), files);
  for (const f of files) t.true((await readFile(join(dir, f))).equals(await readFile(join(committed, f))), `${f} differs from the seed's`);
});

(noTorch ? anyTest.skip : anyTest)("credit reproducible - train.py on the committed pipeline's output writes the committed model.onnx and reference inputs byte for byte", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-credit-model-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { path } = await creditArtifact();
  const training = 'examples/credit/training/training.csv';
  await mlmesh(['pipeline', 'transform', '--artifact', path, '--data', training, '--out', join(dir, 'train.f32'), '--strict']);
  await run(PYTHON, ['examples/credit/train.py', '--features', join(dir, 'train.f32'), '--artifact', path, '--training', training, '--out', dir], {}, 'train.py');
  t.true((await readFile(join(dir, 'model.onnx'))).equals(await readFile(join(MODEL_DIR, 'model.onnx'))), 'model.onnx differs');
  t.true((await readFile(join(dir, 'reference.npy'))).equals(await readFile(join(MODEL_DIR, 'reference/inputs.npy'))), 'reference inputs differ');
  const metrics = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8')) as Record<string, number>;
  const manifest = JSON.parse(await readFile(join(MODEL_DIR, 'manifest.json'), 'utf8')) as { provenance: { metrics: Record<string, number> } };
  t.deepEqual(metrics, manifest.provenance.metrics);
});
