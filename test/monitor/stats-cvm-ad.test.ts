/**
 * The Cramér–von Mises and Anderson–Darling two-sample tests: statistics and p-values against
 * scipy (test/fixtures/drift/detectors.json, tools/make_detector_fixtures.py), and the cvm and
 * ad detectors' false-positive rate on clean data (Gaussian and digits) and power on blurred
 * digits, through runDetectors (the code the service runs).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { runDetectors } from '../../services/monitor/detectors.js';
import type { DetectorSettings } from '../../services/monitor/detectors.js';
import { buildReference } from '../../services/monitor/reference.js';
import { parseMonitoring } from '../../services/monitor/model-monitoring.js';
import { resolveMonitorConfig } from '../../services/monitor/config.js';
import type { Matrix } from '../../services/monitor/matrix.js';
import { ad2Samp, adInfSf, cvm2Samp, mmdTest, rankPermutationSf, seededRandom } from '../../services/monitor/stats/index.js';
import { allDigits, blur, drawRows, matrixNpy, rowsOf } from '../helpers/digits.js';

interface Case {
  x: number[];
  y: number[];
  statistic: number;
  pvalue: number;
  method?: string;
  ties?: boolean;
  ecdf_statistic?: number;
  ecdf_pvalue?: number;
}
const fx = JSON.parse(readFileSync(join(projectRoot(), 'test/fixtures/drift/detectors.json'), 'utf8')) as { cvm: Case[]; ad: Case[] };
const defaults = resolveMonitorConfig({ env: {} });
const mon = parseMonitoring(undefined, defaults, 'cvm-ad');
const mmdInline = (input: Parameters<typeof mmdTest>[0]) => Promise.resolve(mmdTest(input));
const bound = (alpha: number, n: number): number => alpha + 2.33 * Math.sqrt((alpha * (1 - alpha)) / n);
const close = (a: number, b: number, rel: number): boolean => Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-300) + 1e-15;

function settings(detectors: DetectorSettings['detectors']): DetectorSettings {
  return { detectors, alpha: 0.05, correction: 'bonferroni', detectorCorrection: 'none', kernel: 'gaussian', permutations: 100, mmdMaxRows: 1000, seed: 'x' };
}

test('cvm - equals scipy cramervonmises_2samp without ties (exact and asymptotic), and the ECDF form with scipy\'s asymptotics with ties', (t) => {
  for (const c of fx.cvm) {
    const r = cvm2Samp(c.x, c.y);
    t.is(r.method, c.method as typeof r.method);
    const [stat, p] = c.ties ? [c.ecdf_statistic as number, c.ecdf_pvalue as number] : [c.statistic, c.pvalue];
    if (!c.ties) t.true(close(c.ecdf_statistic as number, c.statistic, 1e-9), 'without ties the ECDF form is scipy\'s statistic');
    t.true(close(r.statistic, stat, 1e-9), `T ${r.statistic} vs ${stat}`);
    // scipy stops its series at terms below 1e-7: agreement to that, relative for the rest.
    t.true(Math.abs(r.pValue - p) <= Math.max(1e-6 * p, 2e-9), `${c.x.length}×${c.y.length}: p ${r.pValue} vs ${p}`);
  }
  const bern = fx.cvm.at(-1) as Case;
  t.true(bern.pvalue < 1e-6, 'scipy\'s midrank statistic rejects identical tied samples');
  t.true(cvm2Samp(bern.x, bern.y).pValue > 0.5, 'the ECDF form does not');
});

test('ad - statistic equals scipy anderson_ksamp (midrank), p-value too inside its table; beyond it the asymptotic tail', (t) => {
  for (const c of fx.ad) {
    const r = ad2Samp(c.x, c.y);
    t.true(close(r.statistic, c.statistic, 1e-9), `T ${r.statistic} vs ${c.statistic}`);
    if (c.pvalue > 0.001 && c.pvalue < 0.25) t.true(close(r.pValue, c.pvalue, 1e-9), `p ${r.pValue} vs ${c.pvalue}`);
    else if (c.pvalue === 0.001) t.true(r.pValue <= 0.001, `floored by scipy: ours ${r.pValue} must be ≤ 0.001`);
    else t.true(r.pValue >= 0.25, `capped by scipy: ours ${r.pValue} must be ≥ 0.25`);
  }
  // Marsaglia & Marsaglia's published values: ADinf(1.0) = 0.6427, ADinf(2.492) = 0.95, ADinf(3.857) = 0.99.
  t.true(Math.abs(adInfSf(2.492) - 0.05) < 2e-4);
  // ADinf is accurate to 2e-6 below z = 2 and 8e-7 above 4 (their paper); 3.857 is Stephens' rounded table value.
  t.true(Math.abs(adInfSf(3.857) - 0.01) < 3e-4);
});

test('rank permutations - the permuted statistics are cvm\'s T and ad\'s A²akN, and the p-values agree with the exact/table ones', (t) => {
  for (const c of fx.cvm) {
    const r = rankPermutationSf('cvm', c.x, c.y, 400, 1);
    t.true(close(r.statistic, cvm2Samp(c.x, c.y).statistic, 1e-9));
  }
  for (const c of fx.ad) {
    const r = rankPermutationSf('ad', c.x, c.y, 400, 1);
    const a = ad2Samp(c.x, c.y);
    t.true(close(r.statistic, a.a2, 1e-9));
    // Inside the table, 400 permutations land within 4 binomial sd of scipy's p.
    if (a.method === 'table') t.true(Math.abs(r.pValue - a.pValue) < 4 * Math.sqrt((a.pValue * (1 - a.pValue)) / 400) + 0.005, `${r.pValue} vs ${a.pValue}`);
  }
});

test('calibration - cvm and ad flag at most alpha + 2.33 sd of clean windows (Gaussian, 20 features, Bonferroni; 300 windows)', async (t) => {
  const rand = seededRandom(211);
  const g = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const mk = (rows: number): Matrix => ({ rows, cols: 20, data: Float64Array.from({ length: rows * 20 }, () => Float32Array.of(g())[0] as number) });
  const windows = 300;
  const flagged = { cvm: 0, ad: 0 };
  for (let k = 0; k < windows; k++) {
    const ref = buildReference('m', '1', matrixNpy(mk(300)), undefined, mon, { inputs: `g${k}`, outputs: null }, null);
    const v = await runDetectors(ref, { inputs: mk(150), outputs: undefined }, settings(['cvm', 'ad']), mmdInline);
    for (const r of v.results) if (r.drifted) flagged[r.detector as 'cvm' | 'ad']++;
  }
  t.log(`gaussian clean: cvm ${flagged.cvm}/${windows}, ad ${flagged.ad}/${windows} (bound ${bound(0.05, windows).toFixed(3)})`);
  t.true(flagged.cvm / windows <= bound(0.05, windows));
  t.true(flagged.ad / windows <= bound(0.05, windows));
  t.true(flagged.cvm > 0 || flagged.ad > 0, 'never flagging at all would be suspicious');
});

test('calibration and power on digits - clean windows at most alpha + 2.33 sd, blurred σ = 0.5 windows flagged', async (t) => {
  const digits = allDigits();
  const rand = seededRandom(223);
  const windows = 200;
  const clean = { cvm: 0, ad: 0 };
  const blurred = { cvm: 0, ad: 0 };
  for (let k = 0; k < windows; k++) {
    const r = drawRows(digits.rows, 300, rand);
    const ref = buildReference('digits_mlp', '1', matrixNpy(rowsOf(digits, r.slice(0, 200))), undefined, mon, { inputs: `d${k}`, outputs: null }, null);
    const win = rowsOf(digits, r.slice(200));
    const v = await runDetectors(ref, { inputs: win, outputs: undefined }, settings(['cvm', 'ad']), mmdInline);
    for (const res of v.results) if (res.drifted) clean[res.detector as 'cvm' | 'ad']++;
    if (k < 30) {
      const b = await runDetectors(ref, { inputs: blur(win, 0.5), outputs: undefined }, settings(['cvm', 'ad']), mmdInline);
      for (const res of b.results) if (res.drifted) blurred[res.detector as 'cvm' | 'ad']++;
    }
  }
  t.log(`digits clean: cvm ${clean.cvm}/${windows}, ad ${clean.ad}/${windows}; blurred σ=0.5: cvm ${blurred.cvm}/30, ad ${blurred.ad}/30`);
  t.true(clean.cvm / windows <= bound(0.05, windows));
  t.true(clean.ad / windows <= bound(0.05, windows));
  t.true(blurred.cvm >= 28);
  t.true(blurred.ad >= 28);
});

test('cvm, ad - a constant column is left untested, not flagged', async (t) => {
  const ref = buildReference('m', '1', matrixNpy({ rows: 30, cols: 2, data: Float64Array.from({ length: 60 }, (_, i) => (i % 2 ? 1 : i)) }), undefined, mon, { inputs: 'c', outputs: null }, null);
  const v = await runDetectors(ref, { inputs: { rows: 20, cols: 2, data: Float64Array.from({ length: 40 }, (_, i) => (i % 2 ? 1 : i + 3)) }, outputs: undefined }, settings(['cvm', 'ad']), mmdInline);
  for (const r of v.results) {
    t.is(r.details?.features_tested, 1, r.detector);
    t.is(r.features?.[1]?.p_value, 1);
  }
});
