/**
 * False-alarm rate of the drift monitor's window decision on clean digits (not part of the
 * tests; test/monitor/stats-family.test.ts asserts the bound on fewer windows):
 *
 *   npm run bench:monitor-false-alarms -- [--splits 1000] [--permutations 1000] [--window 100]
 *
 * The 200 digits the model did not fit (the shipped 100-row reference plus the 100 clean rows of
 * test/fixtures/drift/digits_clean.npy) are split at random `splits` times into a 100-row
 * reference and a `window`-row window; the model's outputs come from the committed ONNX file. A
 * random split of exchangeable rows is a clean window from the reference's own population, so
 * the share of drifted windows is the per-window false-alarm rate of a held-out reference of
 * this size, with every default detector and the monitor's default settings.
 *
 * Prints, and writes to bench/results/<date>-monitor-false-alarms.json: the per-window rate with
 * the family-wise rule (holm) and with the old any-detector rule (none), each detector's own
 * rate, and the implied RetrainRequest rate for consecutive_windows = 3 (p³ per window when
 * windows are independent: a request is due at every window that ends a run of ≥ 3 drifted
 * windows; the first one comes after (1 + p + p²)/p³ windows on average).
 */
import { cpus } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { projectRoot } from '../shared/config/index.js';
import { readNpy } from '../shared/tensors/index.js';
import type { NpyArray } from '../shared/tensors/index.js';
import { runDetectors } from '../services/monitor/detectors.js';
import type { DetectorSettings } from '../services/monitor/detectors.js';
import { buildReference } from '../services/monitor/reference.js';
import { loadModelMonitoring } from '../services/monitor/model-monitoring.js';
import { resolveMonitorConfig } from '../services/monitor/config.js';
import type { Matrix } from '../services/monitor/matrix.js';
import { mmdTest, seededRandom } from '../services/monitor/stats/index.js';
import { benchOptions } from '../tools/cli/bench-specs.js';

const values = benchOptions('monitor-false-alarms');
const SPLITS = Number(values.splits);
const WINDOW = Number(values.window);
if (!(WINDOW >= 2 && WINDOW <= 100)) throw new Error('--window: 2..100 (the 200 held-out rows less the 100-row reference)');
const root = projectRoot();
const defaults = resolveMonitorConfig({ env: {} });
const mon = await loadModelMonitoring(join(root, 'examples/models'), 'digits_mlp', defaults);

const toMatrix = (a: NpyArray): Matrix => {
  const copy = new Uint8Array(a.data);
  return { rows: a.shape[0] as number, cols: a.shape[1] as number, data: Float64Array.from(new Float32Array(copy.buffer)) };
};
const npy = (m: Matrix): NpyArray => ({ datatype: 'FP32', shape: [m.rows, m.cols], data: new Uint8Array(Float32Array.from(m.data).buffer) });
const pick = (m: Matrix, idx: readonly number[]): Matrix => {
  const data = new Float64Array(idx.length * m.cols);
  idx.forEach((r, i) => data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
  return { rows: idx.length, cols: m.cols, data };
};

const refX = toMatrix(readNpy(join(root, 'examples/models/digits_mlp/1/reference/inputs.npy')));
const cleanX = toMatrix(readNpy(join(root, 'test/fixtures/drift/digits_clean.npy')));
const allX: Matrix = { rows: refX.rows + cleanX.rows, cols: refX.cols, data: Float64Array.from([...refX.data, ...cleanX.data]) };
const session = await ort.InferenceSession.create(join(root, 'examples/models/digits_mlp/1/model.onnx'));
const out = (await session.run({ input: new ort.Tensor('float32', Float32Array.from(allX.data), [allX.rows, allX.cols]) })).probabilities as ort.Tensor;
const allY: Matrix = { rows: allX.rows, cols: out.dims[1] as number, data: Float64Array.from(out.data as Float32Array) };
await session.release();

const rand = seededRandom(2026);
let holm = 0;
let none = 0;
const alone: Record<string, number> = {};
const t0 = performance.now();
for (let k = 0; k < SPLITS; k++) {
  const order = Array.from({ length: allX.rows }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const r = order.slice(0, 100);
  const w = order.slice(100, 100 + WINDOW);
  const ref = buildReference('digits_mlp', '1', npy(pick(allX, r)), npy(pick(allY, r)), mon, { inputs: `s${k}`, outputs: `s${k}` }, null);
  const s: DetectorSettings = { detectors: mon.detectors, alpha: mon.alpha, correction: mon.correction, detectorCorrection: 'holm', kernel: mon.kernel, permutations: Number(values.permutations), mmdMaxRows: defaults.mmdMaxRows, seed: `digits_mlp/1/${k}` };
  const v = await runDetectors(ref, { inputs: pick(allX, w), outputs: pick(allY, w) }, s, (input) => Promise.resolve(mmdTest(input)));
  if (v.drifted) holm++;
  let any = false;
  for (const res of v.results) {
    if (res.details?.alone_drifted !== 1) continue;
    any = true;
    alone[res.detector as string] = (alone[res.detector as string] ?? 0) + 1;
  }
  if (any) none++;
}
const seconds = (performance.now() - t0) / 1000;

/** Wilson 95% interval of a binomial share. */
const wilson = (x: number, n: number): [number, number] => {
  const z = 1.96;
  const p = x / n;
  const c = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return [Math.max(0, c - h), Math.min(1, c + h)];
};
const rule = (x: number) => {
  const p = x / SPLITS;
  const k = 3;
  return { drifted: x, rate: p, ci95: wilson(x, SPLITS), retrain_per_window: p ** k, windows_per_retrain: 1 / p ** k, windows_to_first_retrain: (1 - p ** k) / ((1 - p) * p ** k) };
};
const result = {
  date: new Date().toISOString(),
  host: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  splits: SPLITS,
  reference_rows: 100,
  window_rows: WINDOW,
  alpha: mon.alpha,
  permutations: Number(values.permutations),
  detectors: mon.detectors,
  holm: rule(holm),
  none: rule(none),
  per_detector_alone: Object.fromEntries(Object.entries(alone).map(([d, x]) => [d, x / SPLITS])),
  seconds,
};
const fmt = (r: ReturnType<typeof rule>) =>
  `${r.drifted}/${SPLITS} = ${r.rate.toFixed(4)} (95% ${r.ci95.map((x) => x.toFixed(4)).join('–')}); consecutive_windows=3: ${r.retrain_per_window.toExponential(2)} RetrainRequests per window, one per ${Math.round(r.windows_per_retrain)} windows, first after ${Math.round(r.windows_to_first_retrain)} on average`;
process.stdout.write(`clean digits, ${SPLITS} random splits, 100-row reference vs ${WINDOW}-row window, alpha ${mon.alpha}, ${values.permutations} permutations, detectors ${mon.detectors.join(',')}:\n`);
process.stdout.write(`  holm (default): ${fmt(result.holm)}\n`);
process.stdout.write(`  none (any detector at alpha): ${fmt(result.none)}\n`);
process.stdout.write(`  each detector alone: ${JSON.stringify(result.per_detector_alone)}\n  ${seconds.toFixed(1)} s\n`);
const outDir = join(root, 'bench/results');
await mkdir(outDir, { recursive: true });
const file = join(outDir, `${new Date().toISOString().slice(0, 10)}-monitor-false-alarms.json`);
await writeFile(file, JSON.stringify(result, null, 2) + '\n');
process.stdout.write(`wrote ${file}\n`);
