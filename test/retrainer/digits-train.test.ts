/**
 * examples/models/digits_mlp/train.py run the way the retrainer runs it: config.json's
 * `retraining.command` filled by fillCommand and run by runTraining in the model's folder. Checks
 * the output contract (ONNX signature with a dynamic batch, metrics.json, a reference the monitor
 * loads), the determinism of seed + data, and the refusal of a tampered dataset. Skipped, saying
 * why, when /usr/bin/python3 has no torch.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { projectRoot } from '../../shared/config/index.js';
import { loadModelMonitoring, loadReference, resolveMonitorConfig } from '../../services/monitor/index.js';
import { evaluate } from '../../services/retrainer/gate.js';
import { TrainingError, fillCommand, runTraining } from '../../services/retrainer/trainer.js';
import type { TrainingResult } from '../../services/retrainer/types.js';
import { SOURCE_BASE, SOURCE_LOGGED } from '../../services/retrainer/types.js';
import { torchMissing } from '../helpers/retrainer-mesh.js';
import { blurDigits, concatParts, heldOutDigits, part, trainingDigits, writeTestDataset } from '../helpers/retrainer.js';

const MODEL_DIR = join(projectRoot(), 'examples/models/digits_mlp');
const CLASSES = Array.from({ length: 10 }, (_, i) => String(i));
const EPOCHS = '30';

let dir: string;
const noTorch = torchMissing();
if (noTorch) console.log(`the train.py tests are skipped: ${noTorch}`);
/** A serial test that needs /usr/bin/python3 with torch and onnx: skipped, with the reason printed, without them. */
const torchTest = noTorch ? test.serial.skip : test.serial;
let dataset: string;
const held = heldOutDigits();
const holdout = concatParts(part(held, SOURCE_BASE), part({ ...held, x: blurDigits(held.x, held.rows) }, SOURCE_LOGGED));

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlmesh-digits-train-'));
  if (noTorch) return;
  const train = await trainingDigits();
  // 600 base rows and 150 blurred logged rows: small, so that the three runs stay quick.
  const base = { rows: 600, x: train.x.slice(0, 600 * 64), y: train.y.slice(0, 600) };
  const logged = { rows: 150, x: blurDigits(train.x.slice(600 * 64, 750 * 64), 150), y: train.y.slice(600, 750) };
  dataset = await writeTestDataset(join(dir, 'dataset'), { model: 'digits_mlp', train: concatParts(part(base, SOURCE_BASE), part(logged, SOURCE_LOGGED)), holdout, classes: CLASSES, featureCount: 64 });
});
test.after.always(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs config.json's retraining command (plus --epochs) on `data`. */
async function train(name: string, data: string, seed: string): Promise<TrainingResult> {
  const config = JSON.parse(await readFile(join(MODEL_DIR, 'config.json'), 'utf8')) as { retraining: { command: string[]; timeout_ms: number } };
  const out = join(dir, name);
  const command = [...fillCommand(config.retraining.command, { dataset: data, output: out, seed }), '--epochs', EPOCHS];
  return runTraining({ command, cwd: MODEL_DIR, outputDir: out, logFile: join(dir, `${name}.log`), timeoutMs: 100_000 });
}

torchTest('train.py - writes the contract: a dynamic-batch ONNX, metrics.json and a reference the monitor loads', async (t) => {
  const r = await train('a', dataset, '7');
  t.log(`750 rows, ${EPOCHS} epochs: ${r.durationMs} ms`);
  const m = r.metrics;
  t.is(m.epochs, 30);
  t.is(m.seed, 7);
  t.is(m['rows.train_base'], 600);
  t.is(m['rows.train_logged'], 150);
  t.is(m['rows.holdout_base'], 200);
  t.is(m['rows.holdout_logged'], 200);
  t.is(m['holdout.all.rows'], 400);
  t.true((m.holdout_accuracy ?? 0) > 0.85, `holdout accuracy ${m.holdout_accuracy}`);
  t.true((m.holdout_log_loss ?? 0) > 0);

  const s = await ort.InferenceSession.create(r.modelPath);
  try {
    t.deepEqual(s.inputNames, ['input']);
    t.deepEqual(s.outputNames, ['probabilities']);
    const meta = s.inputMetadata[0];
    t.true(meta?.isTensor && typeof meta.shape[0] === 'string' && meta.shape[1] === 64, JSON.stringify(meta));
    for (const rows of [1, 3]) {
      const out = (await s.run({ input: new ort.Tensor('float32', held.x.slice(0, rows * 64), [rows, 64]) })).probabilities as ort.Tensor;
      t.deepEqual(out.dims, [rows, 10]);
    }
  } finally {
    await s.release();
  }

  // train.py's own holdout figures agree with the gate's (torch vs onnxruntime, float rounding apart).
  const ev = await evaluate({ input: 'input', output: 'probabilities', outputKind: 'probabilities', task: 'classification', classes: CLASSES, featureCount: 64 }, r.modelPath, r.modelPath, holdout);
  t.true(Math.abs(ev.candidate_reference.accuracy - (m['holdout.base.accuracy'] ?? -1)) <= 0.005);
  t.true(Math.abs(ev.candidate_drifted.accuracy - (m['holdout.logged.accuracy'] ?? -1)) <= 0.005);
  t.true(Math.abs(ev.candidate_drifted.log_loss - (m['holdout.logged.log_loss'] ?? -1)) < 1e-3);

  // The reference, as a new version's reference folder in a repository.
  t.is(r.referenceDir, join(dir, 'a', 'reference'));
  const repo = join(dir, 'repo');
  await mkdir(join(repo, 'digits_mlp', '2'), { recursive: true });
  await cp(join(MODEL_DIR, 'config.json'), join(repo, 'digits_mlp', 'config.json'));
  await cp(r.referenceDir as string, join(repo, 'digits_mlp', '2', 'reference'), { recursive: true });
  const mon = await loadModelMonitoring(repo, 'digits_mlp', resolveMonitorConfig({ env: {} }));
  const ref = await loadReference(repo, 'digits_mlp', '2', mon);
  t.is(ref?.rows, 200);
  t.is(ref?.outputs?.cols, 10);
  t.is(ref?.provenance?.source_data_sha256, createHash('sha256').update(await readFile(dataset)).digest('hex'));
  t.is(ref?.provenance?.previous_sha256, null);
  t.is(ref?.provenance?.produced_by, 'examples/models/digits_mlp/train.py');
});

torchTest('train.py - the same data and seed give the same metrics and reference; another seed does not', async (t) => {
  const [a, b, c] = [await train('same-1', dataset, '7'), await train('same-2', dataset, '7'), await train('other', dataset, '8')];
  t.deepEqual(a.metrics, b.metrics);
  t.is(await readFile(join(dir, 'same-1', 'metrics.json'), 'utf8'), await readFile(join(dir, 'same-2', 'metrics.json'), 'utf8'));
  for (const f of ['inputs.npy', 'outputs.npy']) t.true((await readFile(join(dir, 'same-1', 'reference', f))).equals(await readFile(join(dir, 'same-2', 'reference', f))), f);
  // Not asserted: the ONNX bytes are equal on one machine but may differ on another CPU (float kernels).
  t.log(`ONNX bytes equal across the two runs here: ${(await readFile(a.modelPath)).equals(await readFile(b.modelPath))}`);
  t.notDeepEqual(a.metrics, c.metrics);
  t.false((await readFile(join(dir, 'same-1', 'reference', 'inputs.npy'))).equals(await readFile(join(dir, 'other', 'reference', 'inputs.npy'))), 'another seed samples other reference rows');
});

torchTest('train.py - a file that does not match its SHA-256 is refused with exit 2, naming it', async (t) => {
  const copy = join(dir, 'tampered');
  await cp(join(dir, 'dataset'), copy, { recursive: true });
  const y = await readFile(join(copy, 'train_y.npy'));
  y[y.length - 8] = ((y[y.length - 8] as number) + 1) % 10;
  await writeFile(join(copy, 'train_y.npy'), y);
  const e = await t.throwsAsync(train('tampered-out', join(copy, 'dataset.json'), '7'), { instanceOf: TrainingError });
  t.is(e.kind, 'exit');
  t.is(e.exitCode, 2);
  t.regex(e.message, /files\.train_y: .*train_y\.npy has SHA-256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}/);
});
