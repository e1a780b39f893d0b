/**
 * The online MMD detector (stats/online-mmd.ts): its incremental statistic is the batch MMD²_u,
 * its state survives a snapshot, and — the point of it — its run length to a false alarm on
 * clean streams is the configured ERT, while a shift is caught after a short delay.
 *
 * Tolerances. Under no drift the detector's hazard is 1/ERT per row, so the run length L is about
 * geometric: sd(L) ≈ ERT·√(1 − 1/ERT) ≈ ERT, and the mean of N runs has a standard error of
 * ERT/√N (5% for N = 400). The median of a geometric is about ERT·ln 2; a sample median's sd is
 * 1/(2√N·f(median)) with the density f(median) ≈ 1/(2·ERT), i.e. ERT/√N again (7% of the median
 * for N = 400). The thresholds add their own error: with B = 100·ERT bootstrap streams about 100
 * exceed the last threshold, so the configured hazard has a relative sd of about 10% per
 * reference, 3% over the 10 references of a test. Mean: ±20% of ERT, about 3.5 combined sd;
 * median: ±25% of ERT·ln 2, about 3.5 sd. The digits run (200 runs over 5 references) gets ±30%.
 */
import test from 'ava';
import { OnlineMmd, configureOnlineMmd, heldOutRows, mmdTest, seededRandom } from '../../services/monitor/stats/index.js';
import type { OnlineMmdConfig } from '../../services/monitor/stats/index.js';
import type { Matrix } from '../../services/monitor/matrix.js';
import { allDigits, blur, drawRows, rowsOf } from '../helpers/digits.js';

function gaussian(rand: () => number): () => number {
  return () => {
    let u = 0;
    while (u === 0) u = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
}

/** Rows until the first alarm (from a reset), capped at `cap`. */
function runLength(det: OnlineMmd, next: () => ArrayLike<number>, cap: number): number {
  det.reset();
  for (;;) {
    const s = det.update(next());
    if (s.alarm || s.t >= cap) return s.t;
  }
}

function summary(lens: number[]): { mean: number; median: number } {
  const s = [...lens].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, median: s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2 };
}

test('online mmd - the incremental statistic equals the batch MMD²_u of the window, and a snapshot restores it', (t) => {
  const d = 5;
  const normal = gaussian(seededRandom(11));
  const ref = Float64Array.from({ length: 120 * d }, normal);
  const cfg = configureOnlineMmd(ref, d, { ert: 50, windowSize: 10, seed: 3, bootstraps: 2000 });
  const det = new OnlineMmd(cfg);
  t.is(det.referenceSubset().length / d, 100);
  let restored: OnlineMmd | undefined;
  for (let i = 0; i < 35; i++) {
    const row = Array.from({ length: d }, () => normal() + 0.3);
    if (i === 20) {
      // A reset draws a new split of the reference: the statistic stays the batch one of the new R.
      det.reset();
      restored?.reset();
    }
    const s = det.update(row);
    const batch = mmdTest({ reference: det.referenceSubset(), window: Float64Array.from(det.snapshot().window), dim: d, kernel: 'gaussian', permutations: 1, seed: 1, lengthScale: cfg.lengthScale });
    t.true(Math.abs(s.statistic - batch.statistic) < 1e-12, `row ${i}: ${s.statistic} vs ${batch.statistic}`);
    t.is(s.threshold, cfg.thresholds[Math.min(s.t, 10) - 1] as number);
    t.is(s.t, i < 20 ? i + 1 : i - 19);
    if (restored) {
      const r = restored.update(row);
      t.is(r.statistic.toFixed(12), s.statistic.toFixed(12));
      t.is(r.t, s.t);
    }
    if (i === 14) restored = new OnlineMmd(cfg, JSON.parse(JSON.stringify(det.snapshot())) as ReturnType<OnlineMmd['snapshot']>);
  }
  det.reset();
  t.is(det.t, 0);
  t.is(det.resets, 2);
  const held = heldOutRows(cfg, 2);
  t.deepEqual(det.snapshot().window, Array.from(held.subarray(0, 10)).flatMap((r) => Array.from(ref.subarray(r * d, r * d + d))));
});

test('online mmd - configuration is deterministic per seed and refuses bad settings', (t) => {
  const d = 3;
  const normal = gaussian(seededRandom(5));
  const ref = Float64Array.from({ length: 100 * d }, normal);
  const a = configureOnlineMmd(ref, d, { ert: 100, windowSize: 8, seed: 9, bootstraps: 3000 });
  const b = configureOnlineMmd(ref, d, { ert: 100, windowSize: 8, seed: 9, bootstraps: 3000 });
  t.deepEqual(Array.from(a.thresholds), Array.from(b.thresholds));
  t.deepEqual(Array.from(heldOutRows(a, 0)), Array.from(heldOutRows(b, 0)));
  t.notDeepEqual(Array.from(heldOutRows(a, 0)), Array.from(heldOutRows(a, 1)));
  t.true(a.thresholds.every((v) => Number.isFinite(v)));
  const c = configureOnlineMmd(ref, d, { ert: 100, windowSize: 8, seed: 10, bootstraps: 3000 });
  t.notDeepEqual(Array.from(c.thresholds), Array.from(a.thresholds));
  t.throws(() => configureOnlineMmd(ref, d, { ert: 1, windowSize: 8, seed: 1 }), { instanceOf: RangeError, message: /ert/ });
  t.throws(() => configureOnlineMmd(ref, d, { ert: 100, windowSize: 1, seed: 1 }), { instanceOf: RangeError, message: /window_size/ });
  t.throws(() => configureOnlineMmd(ref, d, { ert: 100, windowSize: 50, seed: 1 }), { instanceOf: RangeError, message: /2 \* window_size \+ 2/ });
});

test('online mmd - on clean Gaussian streams the run length to a false alarm is the configured ERT', (t) => {
  const d = 8;
  for (const [ert, w] of [[200, 20], [500, 20]] as const) {
    const normal = gaussian(seededRandom(1000 + ert));
    const lens: number[] = [];
    for (let r = 0; r < 10; r++) {
      // A fresh reference per configuration: the guarantee is over references too.
      const ref = Float64Array.from({ length: 500 * d }, normal);
      const det = new OnlineMmd(configureOnlineMmd(ref, d, { ert, windowSize: w, seed: 77 + r }));
      for (let k = 0; k < 40; k++) lens.push(runLength(det, () => Array.from({ length: d }, normal), 50 * ert));
    }
    const { mean, median } = summary(lens);
    t.log(`ERT ${ert}, W ${w}, ${lens.length} runs: mean run length ${mean.toFixed(1)}, median ${median} (geometric: ${(ert * Math.LN2).toFixed(1)})`);
    t.true(Math.abs(mean / ert - 1) <= 0.2, `mean ${mean} vs ERT ${ert}`);
    t.true(Math.abs(median / (ert * Math.LN2) - 1) <= 0.25, `median ${median} vs ${ert * Math.LN2}`);
  }
});

test('online mmd - on clean digits streams the run length to a false alarm is the configured ERT', (t) => {
  const digits = allDigits();
  const ert = 200;
  const rand = seededRandom(2024);
  const lens: number[] = [];
  for (let r = 0; r < 5; r++) {
    const refIdx = drawRows(digits.rows, 500, rand);
    const pool = drawRows(digits.rows, digits.rows - 500, rand, new Set(refIdx));
    const det = new OnlineMmd(configureOnlineMmd(rowsOf(digits, refIdx).data, 64, { ert, windowSize: 20, seed: r }));
    const next = cycle(pool, digits, rand);
    for (let k = 0; k < 40; k++) lens.push(runLength(det, next, 50 * ert));
  }
  const { mean, median } = summary(lens);
  t.log(`digits, ERT ${ert}, W 20, ${lens.length} runs over 5 references: mean run length ${mean.toFixed(1)}, median ${median}`);
  t.true(Math.abs(mean / ert - 1) <= 0.3, `mean ${mean} vs ERT ${ert}`);
});

/** Rows of `pool` in a shuffled order, shuffled again at the end of each pass (no repeats within a window but at a pass's end). */
function cycle(pool: readonly number[], m: Matrix, rand: () => number): () => Float64Array {
  let order: number[] = [];
  let pos = 0;
  return () => {
    if (pos === order.length) {
      order = drawRows(pool.length, pool.length, rand).map((i) => pool[i] as number);
      pos = 0;
    }
    const i = order[pos++] as number;
    return m.data.subarray(i * m.cols, (i + 1) * m.cols);
  };
}

/** Rows after the change to the alarm, over runs whose clean prefix did not alarm. */
function delays(cfg: OnlineMmdConfig, clean: () => ArrayLike<number>, drifted: () => ArrayLike<number>, runs: number, prefix: number): number[] {
  const det = new OnlineMmd(cfg);
  const out: number[] = [];
  while (out.length < runs) {
    det.reset();
    let alarmed = false;
    for (let i = 0; i < prefix && !alarmed; i++) alarmed = det.update(clean()).alarm;
    if (alarmed) continue;
    for (let i = 1; ; i++) {
      if (det.update(drifted()).alarm || i >= 100 * cfg.ert) {
        out.push(i);
        break;
      }
    }
  }
  return out;
}

test('online mmd - a shift is detected after a short delay (Gaussian mean shift, blurred digits)', (t) => {
  const d = 8;
  const ert = 500;
  const normal = gaussian(seededRandom(31));
  const ref = Float64Array.from({ length: 500 * d }, normal);
  const cfg = configureOnlineMmd(ref, d, { ert, windowSize: 20, seed: 4 });
  const shifted = (delta: number) => () => Array.from({ length: d }, (_, j) => normal() + (j < 2 ? delta : 0));
  for (const delta of [1, 0.5]) {
    const ds = delays(cfg, () => Array.from({ length: d }, normal), shifted(delta), 50, 100);
    const { median } = summary(ds);
    t.log(`Gaussian, shift ${delta} sd in 2 of 8 features, ERT ${ert}, W 20: median delay ${median} rows (max ${Math.max(...ds)}) over 50 runs`);
    // Against a false-alarm median of ERT·ln 2 ≈ 347 rows.
    t.true(median <= (delta === 1 ? 30 : 150), `median delay ${median}`);
  }
  const digits = allDigits();
  const rand = seededRandom(77);
  const refIdx = drawRows(digits.rows, 500, rand);
  const pool = drawRows(digits.rows, digits.rows - 500, rand, new Set(refIdx));
  const blurred = blur(digits, 0.5);
  const dcfg = configureOnlineMmd(rowsOf(digits, refIdx).data, 64, { ert, windowSize: 20, seed: 5 });
  const ds = delays(dcfg, cycle(pool, digits, rand), cycle(pool, blurred, rand), 50, 100);
  const { median } = summary(ds);
  t.log(`digits blurred σ = 0.5, ERT ${ert}, W 20: median delay ${median} rows (max ${Math.max(...ds)}) over 50 runs`);
  t.true(median <= 30, `median delay ${median}`);
});
