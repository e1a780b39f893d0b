/**
 * Calibration and power of the detectors, through runDetectors (the code the service runs).
 * Data are drawn with a seeded generator, so these results are reproducible; the bounds are the
 * issue's: under no drift each detector flags 2–8% of ≥ 200 windows at alpha 0.05 (after its
 * correction); a 0.5-sd shift in 1 of 20 features and blurred digits are flagged in ≥ 95%.
 */
import { join } from 'node:path';
import test from 'ava';
import * as ort from 'onnxruntime-node';
import { projectRoot } from '../../shared/config/index.js';
import { readNpy } from '../../shared/tensors/index.js';
import { runDetectors } from '../../services/monitor/detectors.js';
import type { DetectorSettings } from '../../services/monitor/detectors.js';
import { buildReference } from '../../services/monitor/reference.js';
import { parseMonitoring } from '../../services/monitor/model-monitoring.js';
import { resolveMonitorConfig } from '../../services/monitor/config.js';
import type { Matrix } from '../../services/monitor/matrix.js';
import { mmdTest, seededRandom } from '../../services/monitor/stats/index.js';
import type { NpyArray } from '../../shared/tensors/index.js';

const defaults = resolveMonitorConfig({ env: {} });
const mmdInline = (input: Parameters<typeof mmdTest>[0]) => Promise.resolve(mmdTest(input));

function normals(rand: () => number): () => number {
  return () => {
    let u = 0;
    while (u === 0) u = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
}

function npy(m: Matrix): NpyArray {
  const f = Float32Array.from(m.data);
  return { datatype: 'FP32', shape: [m.rows, m.cols], data: new Uint8Array(f.buffer) };
}

/** Rows of `cols` features: numeric N(0,1) (+shift on column `shiftCol`), categorical columns drawn from 4 categories. */
function sample(g: () => number, rand: () => number, rows: number, cols: number, opts: { shift?: number; shiftCol?: number; categorical?: number[] } = {}): Matrix {
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (opts.categorical?.includes(j)) {
        const u = rand();
        data[i * cols + j] = u < 0.4 ? 0 : u < 0.7 ? 1 : u < 0.9 ? 2 : 3;
      } else data[i * cols + j] = g() + (j === opts.shiftCol ? (opts.shift ?? 0) : 0);
    }
  }
  // Rounded through float32, as values arrive from the wire.
  return { rows, cols, data: Float64Array.from(Float32Array.from(data)) };
}

/** Softmax outputs of a fixed random linear model on the inputs (a stand-in classifier). */
function classify(x: Matrix, w: Float64Array, classes: number): Matrix {
  const out = new Float64Array(x.rows * classes);
  for (let i = 0; i < x.rows; i++) {
    let max = -Infinity;
    const z = new Float64Array(classes);
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let j = 0; j < x.cols; j++) s += (x.data[i * x.cols + j] as number) * (w[c * x.cols + j] as number);
      z[c] = s;
      max = Math.max(max, s);
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += (z[c] = Math.exp((z[c] as number) - max));
    for (let c = 0; c < classes; c++) out[i * classes + c] = Float32Array.of((z[c] as number) / sum)[0] as number;
  }
  return { rows: x.rows, cols: classes, data: out };
}

function settings(detectors: DetectorSettings['detectors'], extra: Partial<DetectorSettings> = {}): DetectorSettings {
  return { detectors, alpha: 0.05, correction: 'bonferroni', detectorCorrection: 'none', kernel: 'gaussian', permutations: 200, mmdMaxRows: 1000, seed: 'x', ...extra };
}

test('calibration - with no drift every detector flags 2–8% of 400 windows at alpha 0.05', async (t) => {
  const rand = seededRandom(7);
  const g = normals(rand);
  const cols = 20;
  const categorical = [17, 18, 19];
  const w = Float64Array.from({ length: 10 * cols }, () => g() * 0.5);
  const mon = parseMonitoring({ categorical_features: ['f17', 'f18', 'f19'] }, defaults, 'calibration');
  const names = ['ks', 'ks_bh', 'chi2', 'bbsd', 'confidence', 'predicted_class'] as const;
  const flagged: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  const windows = 400;
  for (let k = 0; k < windows; k++) {
    // A fresh reference per window: calibration is over both samples drawn from one distribution.
    const refX = sample(g, rand, 500, cols, { categorical });
    const winX = sample(g, rand, 250, cols, { categorical });
    const hashes = { inputs: String(k), outputs: String(k) };
    const ref = buildReference('m', '1', npy(refX), npy(classify(refX, w, 10)), mon, hashes, null);
    const win = { inputs: winX, outputs: classify(winX, w, 10) };
    const v = await runDetectors(ref, win, settings(['ks', 'chi2', 'bbsd', 'confidence', 'predicted_class'], { seed: `w${k}` }), mmdInline);
    for (const r of v.results) if (r.drifted) flagged[r.detector as string] = (flagged[r.detector as string] as number) + 1;
    const bh = await runDetectors(ref, win, settings(['ks'], { correction: 'bh' }), mmdInline);
    if (bh.results[0]?.drifted) flagged.ks_bh = (flagged.ks_bh as number) + 1;
  }
  const rates = Object.fromEntries(Object.entries(flagged).map(([k, v]) => [k, v / windows]));
  t.log(JSON.stringify(rates));
  for (const [k, r] of Object.entries(rates)) t.true(r >= 0.02 && r <= 0.08, `${k}: ${r}`);
});

test('calibration - MMD permutation p-values flag 2–8% of 300 windows with no drift (each kernel)', async (t) => {
  const rand = seededRandom(11);
  const g = normals(rand);
  const mon = parseMonitoring(undefined, defaults, 'calibration');
  const windows = 300;
  const rates: Record<string, number> = {};
  for (const kernel of ['gaussian', 'laplacian', 'rational_quadratic'] as const) {
    let flagged = 0;
    for (let k = 0; k < windows; k++) {
      // Smaller than production (100 vs 60 rows, 5 features, 200 permutations) to keep the suite fast.
      const refX = sample(g, rand, 100, 5);
      const winX = sample(g, rand, 60, 5);
      const ref = buildReference('m', '1', npy(refX), undefined, mon, { inputs: `${kernel}${k}`, outputs: null }, null);
      const v = await runDetectors(ref, { inputs: winX, outputs: undefined }, settings(['mmd'], { kernel, seed: `${kernel}/${k}` }), mmdInline);
      if (v.results[0]?.drifted) flagged++;
    }
    rates[kernel] = flagged / windows;
  }
  t.log(JSON.stringify(rates));
  for (const [k, r] of Object.entries(rates)) t.true(r >= 0.02 && r <= 0.08, `${k}: ${r}`);
});

test('power - a 0.5-sd mean shift in 1 of 20 features is flagged in ≥ 95% of 500-row windows, and the feature is named', async (t) => {
  const rand = seededRandom(13);
  const g = normals(rand);
  const mon = parseMonitoring(undefined, defaults, 'power');
  const refX = sample(g, rand, 1000, 20);
  const ref = buildReference('m', '1', npy(refX), undefined, mon, { inputs: 'p', outputs: null }, null);
  let flagged = 0;
  let named = 0;
  let mmdFlagged = 0;
  const windows = 40;
  for (let k = 0; k < windows; k++) {
    const winX = sample(g, rand, 500, 20, { shift: 0.5, shiftCol: 7 });
    const v = await runDetectors(ref, { inputs: winX, outputs: undefined }, settings(['ks', 'mmd'], { seed: `p${k}`, permutations: 100 }), mmdInline);
    const ks = v.results.find((r) => r.detector === 'ks');
    if (ks?.drifted) flagged++;
    if (ks?.features?.filter((f) => f.drifted).map((f) => f.feature).join() === 'f7') named++;
    if (v.results.find((r) => r.detector === 'mmd')?.drifted) mmdFlagged++;
  }
  t.log(`ks flagged ${flagged}/${windows}, only f7 named ${named}/${windows}, mmd flagged ${mmdFlagged}/${windows}`);
  t.true(flagged / windows >= 0.95);
  t.true(named / windows >= 0.9);
});

test('power - blurred digits (gaussian_filter σ=1) are flagged by MMD and by BBSD in ≥ 95% of 50-row windows', async (t) => {
  const root = projectRoot();
  const refIn = readNpy(join(root, 'examples/models/digits_mlp/1/reference/inputs.npy'));
  const refOut = readNpy(join(root, 'examples/models/digits_mlp/1/reference/outputs.npy'));
  const blurred = readNpy(join(root, 'test/fixtures/drift/digits_blurred.npy'));
  const clean = readNpy(join(root, 'test/fixtures/drift/digits_clean.npy'));
  const session = await ort.InferenceSession.create(join(root, 'examples/models/digits_mlp/1/model.onnx'));
  const run = async (a: NpyArray): Promise<NpyArray> => {
    const copy = new Uint8Array(a.data);
    const r = await session.run({ input: new ort.Tensor('float32', new Float32Array(copy.buffer), a.shape) });
    const out = r.probabilities as ort.Tensor;
    const d = out.data as Float32Array;
    return { datatype: 'FP32', shape: [...out.dims], data: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) };
  };
  const mon = parseMonitoring(undefined, defaults, 'digits');
  const ref = buildReference('digits_mlp', '1', refIn, refOut, mon, { inputs: 'digits', outputs: 'digits' }, null);
  const toMatrix = (a: NpyArray): Matrix => {
    const copy = new Uint8Array(a.data);
    return { rows: a.shape[0] as number, cols: a.shape[1] as number, data: Float64Array.from(new Float32Array(copy.buffer)) };
  };
  const pools = { blurred: [toMatrix(blurred), toMatrix(await run(blurred))], clean: [toMatrix(clean), toMatrix(await run(clean))] } as const;
  const rand = seededRandom(17);
  const windows = 20;
  const rates: Record<string, { mmd: number; bbsd: number; confidence: number }> = {};
  for (const [name, [x, y]] of Object.entries(pools)) {
    let mmd = 0;
    let bbsd = 0;
    let confidence = 0;
    for (let k = 0; k < windows; k++) {
      // 50 of the 100 held-out digits outside the reference, drawn without replacement.
      const all = Array.from({ length: x.rows }, (_, i) => i);
      for (let i = all.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [all[i], all[j]] = [all[j] as number, all[i] as number];
      }
      const idx = all.slice(0, 50);
      const pick = (m: Matrix): Matrix => {
        const data = new Float64Array(idx.length * m.cols);
        idx.forEach((r, i) => data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
        return { rows: idx.length, cols: m.cols, data };
      };
      const v = await runDetectors(ref, { inputs: pick(x), outputs: pick(y) }, settings(['mmd', 'bbsd', 'confidence'], { seed: `${name}${k}`, permutations: 200 }), mmdInline);
      if (v.results.find((r) => r.detector === 'mmd')?.drifted) mmd++;
      if (v.results.find((r) => r.detector === 'bbsd')?.drifted) bbsd++;
      if (v.results.find((r) => r.detector === 'confidence')?.drifted) confidence++;
    }
    rates[name] = { mmd: mmd / windows, bbsd: bbsd / windows, confidence: confidence / windows };
  }
  t.log(JSON.stringify(rates));
  t.true((rates.blurred as { mmd: number }).mmd >= 0.95);
  t.true((rates.blurred as { bbsd: number }).bbsd >= 0.95);
  // No false alarms on clean held-out digits against the held-out reference (20 windows: ≤ 3),
  // the confidence detector included (it fired on 16 of 20 with the former training-row one).
  t.true((rates.clean as { mmd: number }).mmd <= 0.15);
  t.true((rates.clean as { bbsd: number }).bbsd <= 0.15);
  t.true((rates.clean as { confidence: number }).confidence <= 0.15);
  await session.release();
});

test('calibration - the confidence detector flags ≈ alpha of clean windows at every size (20–500 rows), max-probabilities tied', async (t) => {
  // Welch's t on the mean max-probability flagged 0.21 / 0.11 / 0.085 / 0.075 / 0.045 of clean
  // windows at 20 / 50 / 100 / 200 / 500 rows (skewed values, small windows); ranks do not care.
  const rand = seededRandom(19);
  const g = normals(rand);
  const cols = 8;
  // Strong weights: many rows are so confident that float32 rounds their max-probability to 1.
  const w = Float64Array.from({ length: 10 * cols }, () => g() * 8);
  const mon = parseMonitoring(undefined, defaults, 'confidence');
  const windows = 400;
  const rates: Record<number, number> = {};
  let ties = 0;
  let values = 0;
  for (const size of [20, 50, 100, 200, 500]) {
    let flagged = 0;
    for (let k = 0; k < windows; k++) {
      const refX = sample(g, rand, 500, cols);
      const winX = sample(g, rand, size, cols);
      const refY = classify(refX, w, 10);
      const ref = buildReference('m', '1', npy(refX), npy(refY), mon, { inputs: `c${size}/${k}`, outputs: 'c' }, null);
      const v = await runDetectors(ref, { inputs: winX, outputs: classify(winX, w, 10) }, settings(['confidence']), mmdInline);
      if (v.results[0]?.drifted) flagged++;
      if (k === 0) {
        const max = ref.predicted?.max ?? new Float64Array();
        ties += max.filter((x) => x === 1).length;
        values += max.length;
      }
    }
    rates[size] = flagged / windows;
  }
  t.log(`share flagged by window size: ${JSON.stringify(rates)}; reference max-probabilities exactly 1: ${(ties / values).toFixed(2)}`);
  t.true(ties / values > 0.1, 'the data has heavy ties at 1');
  // 400 windows at alpha 0.05: sd 0.011; 0.02–0.08 is about ±2.7 sd.
  for (const [size, r] of Object.entries(rates)) t.true(r >= 0.02 && r <= 0.08, `${size} rows: ${r}`);
});

test('confidence - one-sided: a window more confident than the reference is not flagged, a drop in confidence is', async (t) => {
  const rand = seededRandom(23);
  const g = normals(rand);
  const cols = 8;
  const w = Float64Array.from({ length: 10 * cols }, () => g());
  const mon = parseMonitoring(undefined, defaults, 'confidence');
  const refX = sample(g, rand, 500, cols);
  const ref = buildReference('m', '1', npy(refX), npy(classify(refX, w, 10)), mon, { inputs: 'one-sided', outputs: 'o' }, null);
  const scaled = (x: Matrix, f: number): Matrix => ({ ...x, data: x.data.map((v) => v * f) });
  const winX = sample(g, rand, 200, cols);
  // Inputs scaled up: larger logits, a more confident model. Scaled down: less confident.
  const more = await runDetectors(ref, { inputs: winX, outputs: classify(scaled(winX, 2), w, 10) }, settings(['confidence']), mmdInline);
  const less = await runDetectors(ref, { inputs: winX, outputs: classify(scaled(winX, 0.5), w, 10) }, settings(['confidence']), mmdInline);
  const m = more.results[0];
  const l = less.results[0];
  t.log(`more confident: p=${m?.p_value} auc=${m?.details?.auc}; less confident: p=${l?.p_value} auc=${l?.details?.auc}`);
  t.true((m?.details?.auc as number) > 0.5 && (m?.p_value as number) > 0.5, 'a more confident window is no evidence of a drop');
  t.false(m?.drifted);
  t.true((l?.details?.auc as number) < 0.5 && (l?.p_value as number) < 1e-6);
  t.true(l?.drifted);
  t.regex(l?.statistic_name as string, /Mann–Whitney/);
});
