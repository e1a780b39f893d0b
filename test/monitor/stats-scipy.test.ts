import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { chi2Homogeneity, chi2Sf, correct, kolmogorovNSf, ks2Samp, mannWhitneyU, mmdTest, normalizedWasserstein, studentTTwoSided, wasserstein } from '../../services/monitor/stats/index.js';
import type { Alternative } from '../../services/monitor/stats/index.js';
import { runDetectors } from '../../services/monitor/detectors.js';
import { buildReference } from '../../services/monitor/reference.js';
import { parseMonitoring } from '../../services/monitor/model-monitoring.js';
import { resolveMonitorConfig } from '../../services/monitor/config.js';

interface Fixtures {
  ks: Array<{ a: number[]; b: number[]; statistic: number; pvalue: number; method: 'exact' | 'asymp' }>;
  chi2: Array<{ reference: number[]; window: number[]; statistic: number; pvalue: number; dof: number }>;
  wasserstein: Array<{ a: number[]; b: number[]; distance: number }>;
  mmd: { x: number[][]; y: number[][]; length_scale: number; values: Record<string, number> };
  kstwo: Array<{ n: number; d: number; sf: number }>;
  wasserstein_norm: Array<{ a: number[]; b: number[]; value: number }>;
  mannwhitneyu: Array<{ x: number[]; y: number[]; alternative: Alternative; statistic: number; pvalue: number; method: 'exact' | 'asymptotic' }>;
}
const fx = JSON.parse(readFileSync(join(projectRoot(), 'test/fixtures/drift/scipy.json'), 'utf8')) as Fixtures;

test('stats - KS statistic and exact p-value equal scipy ks_2samp within 1e-6 (ties included)', (t) => {
  const exact = fx.ks.filter((c) => c.method === 'exact');
  t.true(exact.length >= 8);
  for (const c of exact) {
    const r = ks2Samp(c.a, c.b);
    t.is(r.method, 'exact');
    t.true(Math.abs(r.statistic - c.statistic) < 1e-12, `D ${r.statistic} vs ${c.statistic}`);
    t.true(Math.abs(r.pValue - c.pvalue) < 1e-6, `n=${c.a.length},${c.b.length}: p ${r.pValue} vs scipy ${c.pvalue}`);
  }
});

test('stats - KS asymptotic p-value (samples over 10,000) equals scipy within 1e-6', (t) => {
  const asymp = fx.ks.filter((c) => c.method === 'asymp');
  t.true(asymp.length >= 2);
  for (const c of asymp) {
    const r = ks2Samp(c.a, c.b);
    t.is(r.method, 'asymp');
    t.true(Math.abs(r.statistic - c.statistic) < 1e-12);
    t.true(Math.abs(r.pValue - c.pvalue) < 1e-6, `p ${r.pValue} vs scipy ${c.pvalue}`);
  }
});

test('stats - chi-squared homogeneity equals scipy chi2_contingency within 1e-6 (Yates at dof 1, unseen categories)', (t) => {
  for (const c of fx.chi2) {
    const r = chi2Homogeneity(c.reference, c.window);
    t.is(r.dof, c.dof);
    t.true(Math.abs(r.statistic - c.statistic) < 1e-9, `stat ${r.statistic} vs ${c.statistic}`);
    t.true(Math.abs(r.pValue - c.pvalue) < 1e-6, `p ${r.pValue} vs ${c.pvalue}`);
  }
});

test('stats - chi-squared drops categories empty in both rows and refuses empty rows', (t) => {
  const a = chi2Homogeneity([10, 0, 20], [12, 0, 18]);
  const b = chi2Homogeneity([10, 20], [12, 18]);
  t.deepEqual(a, b);
  t.throws(() => chi2Homogeneity([0, 0], [1, 2]), { instanceOf: RangeError });
  t.throws(() => chi2Homogeneity([1], [1, 2]), { instanceOf: RangeError });
});

test('stats - Wasserstein distance equals scipy wasserstein_distance', (t) => {
  for (const c of fx.wasserstein) t.true(Math.abs(wasserstein(c.a, c.b) - c.distance) < 1e-9);
});

test('stats - MMD² (unbiased) equals the numpy reference for the three kernels', (t) => {
  const x = Float64Array.from(fx.mmd.x.flat());
  const y = Float64Array.from(fx.mmd.y.flat());
  for (const [kernel, expected] of Object.entries(fx.mmd.values)) {
    const r = mmdTest({ reference: x, window: y, dim: 5, kernel: kernel as 'gaussian', permutations: 10, seed: 1, lengthScale: fx.mmd.length_scale });
    t.true(Math.abs(r.statistic - expected) < 1e-12, `${kernel}: ${r.statistic} vs ${expected}`);
  }
  // The median heuristic on the reference alone gives the same length scale numpy did.
  const r = mmdTest({ reference: x, window: y, dim: 5, kernel: 'gaussian', permutations: 10, seed: 1 });
  t.true(Math.abs(r.lengthScale - fx.mmd.length_scale) < 1e-12);
  t.true(r.pValue > 0 && r.pValue <= 1);
});

test('stats - corrections: Bonferroni and Benjamini–Hochberg reject what their definitions say', (t) => {
  const p = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216];
  const bon = correct(p, 0.05, 'bonferroni');
  t.deepEqual(bon.rejected.map((r, i) => (r ? i : -1)).filter((i) => i >= 0), [0]);
  t.true(Math.abs(bon.pValue - 0.01) < 1e-12);
  const bh = correct(p, 0.05, 'bh');
  // p_(2) = 0.008 ≤ 0.05·2/10 = 0.01; p_(3) = 0.039 > 0.015 … none later qualifies.
  t.deepEqual(bh.rejected.map((r, i) => (r ? i : -1)).filter((i) => i >= 0), [0, 1]);
  t.true(Math.abs((bh.adjusted[1] as number) - 0.04) < 1e-12);
  const withNaN = correct([0.01, NaN], 0.05, 'bonferroni');
  t.deepEqual(withNaN.rejected, [true, false]);
  t.true(Math.abs(withNaN.pValue - 0.01) < 1e-12);
});

test('stats - kstwo.sf (every branch: Ruben–Gambino, Smirnov, Durbin matrix, Pelz–Good) equals scipy within 1e-9', (t) => {
  t.true(fx.kstwo.length >= 60);
  for (const c of fx.kstwo) {
    const p = kolmogorovNSf(c.n, c.d);
    t.true(Math.abs(p - c.sf) < 1e-9, `n=${c.n} d=${c.d}: ${p} vs scipy ${c.sf}`);
  }
});

test('stats - distribution tails match known values', (t) => {
  t.true(Math.abs(chi2Sf(3.841458820694124, 1) - 0.05) < 1e-12);
  t.true(Math.abs(chi2Sf(18.307038053275146, 10) - 0.05) < 1e-12);
  t.true(Math.abs(studentTTwoSided(2.0, 10) - 0.07338803477074024) < 1e-12);
  t.true(Math.abs(studentTTwoSided(1.959963984540054, 1e7) - 0.05) < 1e-6);
});

test('stats - Mann–Whitney U and p-value equal scipy mannwhitneyu (auto: exact, and tie-corrected asymptotic) within 1e-9', (t) => {
  const cases = fx.mannwhitneyu;
  t.true(cases.filter((c) => c.method === 'exact').length >= 3);
  t.true(cases.filter((c) => c.method === 'asymptotic' && new Set([...c.x, ...c.y]).size < c.x.length + c.y.length).length >= 4, 'cases with ties');
  for (const c of cases) {
    const r = mannWhitneyU(c.x, c.y, c.alternative);
    const where = `n=${c.x.length},${c.y.length} ${c.alternative}`;
    t.is(r.method, c.method, where);
    t.true(Math.abs(r.statistic - c.statistic) < 1e-9, `${where}: U ${r.statistic} vs scipy ${c.statistic}`);
    t.true(Math.abs(r.pValue - c.pvalue) < 1e-9 * Math.max(1, c.pvalue) || Math.abs(r.pValue - c.pvalue) / c.pvalue < 1e-9, `${where}: p ${r.pValue} vs scipy ${c.pvalue}`);
  }
  t.throws(() => mannWhitneyU([], [1]), { instanceOf: RangeError });
  t.throws(() => mannWhitneyU([NaN, 1], [1, 2]), { instanceOf: RangeError });
});

test('stats - wasserstein_std equals Evidently\'s normed Wasserstein (std floored at 0.001), a constant reference included', (t) => {
  t.true(fx.wasserstein_norm.length >= 4);
  for (const c of fx.wasserstein_norm) {
    const v = normalizedWasserstein(c.a, c.b);
    t.true(Math.abs(v - c.value) < 1e-9 * Math.max(1, c.value), `${v} vs ${c.value}`);
  }
  // A constant reference and a window that moved: a large score, not 0 (or NaN, or infinity).
  t.is(normalizedWasserstein([0.25, 0.25, 0.25], [0.5, 0.5]), 250);
  t.true(Number.isNaN(normalizedWasserstein([NaN], [1])));
});

test('stats - the ks detector reports wasserstein_std for a drifted feature whose reference is constant (not 0)', async (t) => {
  const mon = parseMonitoring(undefined, resolveMonitorConfig({ env: {} }), 'wasserstein');
  // Column 0 is constant in the reference and moves in the window; column 1 is noise.
  const rows = 40;
  const ref = Float32Array.from({ length: rows * 2 }, (_, i) => (i % 2 === 0 ? 0.25 : (i * 7919) % 13));
  const win = Float64Array.from({ length: rows * 2 }, (_, i) => (i % 2 === 0 ? 0.5 : (i * 104729) % 13));
  const reference = buildReference('m', '1', { datatype: 'FP32', shape: [rows, 2], data: new Uint8Array(ref.buffer) }, undefined, mon, { inputs: 'w', outputs: null }, null);
  const v = await runDetectors(reference, { inputs: { rows, cols: 2, data: win }, outputs: undefined }, { detectors: ['ks'], alpha: 0.05, correction: 'bonferroni', detectorCorrection: 'holm', kernel: 'gaussian', permutations: 10, mmdMaxRows: 100, seed: 's' }, () => Promise.reject(new Error('no mmd')));
  const f0 = v.results[0]?.features?.[0];
  t.true(f0?.drifted);
  t.is(f0?.wasserstein_std, 250);
});
