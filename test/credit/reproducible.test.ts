/**
 * The credit example's committed outputs are what its scripts make from the seed: generate.py
 * writes the committed raw data byte for byte, and train.py on the committed pipeline's output
 * of the committed training rows writes the committed model's graph with the same weights (to
 * float32 rounding: the bytes differ between CPUs, see below) and the drift reference inputs
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

/** Exits 1 unless two ONNX files have the same graph and opset and weights within 1e-4. */
const COMPARE_ONNX = `
import sys, onnx, numpy as np
from onnx import numpy_helper
a, b = onnx.load(sys.argv[1]), onnx.load(sys.argv[2])
strip = lambda g: [(n.op_type, list(n.input), list(n.output), [x.SerializeToString() for x in n.attribute]) for n in g.node]
if strip(a.graph) != strip(b.graph) or a.opset_import != b.opset_import or [i.SerializeToString() for i in a.graph.input] != [i.SerializeToString() for i in b.graph.input] or [o.SerializeToString() for o in a.graph.output] != [o.SerializeToString() for o in b.graph.output]:
    print('graphs differ'); sys.exit(1)
wa = {i.name: numpy_helper.to_array(i) for i in a.graph.initializer}
wb = {i.name: numpy_helper.to_array(i) for i in b.graph.initializer}
if sorted(wa) != sorted(wb) or any(wa[k].shape != wb[k].shape for k in wa):
    print('initializers differ'); sys.exit(1)
worst = max(float(np.abs(wa[k].astype(np.float64) - wb[k]).max()) for k in wa)
print('same graph; largest weight difference %.3g' % worst)
sys.exit(0 if worst <= 1e-4 else 1)
`;

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

(noTorch ? anyTest.skip : anyTest)("credit reproducible - train.py on the committed pipeline's output writes the committed model (same graph, weights within 1e-4) and reference inputs byte for byte", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-credit-model-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { path } = await creditArtifact();
  const training = 'examples/credit/training/training.csv';
  await mlmesh(['pipeline', 'transform', '--artifact', path, '--data', training, '--out', join(dir, 'train.f32'), '--strict']);
  await run(PYTHON, ['examples/credit/train.py', '--features', join(dir, 'train.f32'), '--artifact', path, '--training', training, '--out', dir], {}, 'train.py');
  // The same torch (Debian's 1.13) and seed give the same bytes on one machine, but not across
  // CPUs: its float32 kernels round differently with the vector units they pick (seen: weights
  // 1.7e-7 apart, 2026-12-01). So the graph must be identical and every weight within 1e-4.
  const compared = spawnSync(PYTHON, ['-c', COMPARE_ONNX, join(dir, 'model.onnx'), join(MODEL_DIR, 'model.onnx')], { encoding: 'utf8' });
  t.is(compared.status, 0, `model.onnx differs from the committed one: ${compared.stdout}${compared.stderr}`);
  t.log(compared.stdout.trim());
  t.true((await readFile(join(dir, 'reference.npy'))).equals(await readFile(join(MODEL_DIR, 'reference/inputs.npy'))), 'reference inputs differ');
  const metrics = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8')) as Record<string, number>;
  const manifest = JSON.parse(await readFile(join(MODEL_DIR, 'manifest.json'), 'utf8')) as { provenance: { metrics: Record<string, number> } };
  t.deepEqual(metrics, manifest.provenance.metrics);
});
