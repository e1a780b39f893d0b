/**
 * The opt-in detectors on the input rows (or on the watched output tensor, an embedding): the
 * classifier two-sample test (c2st), the mean cosine similarity to the reference centroid
 * (cosine), and the Cramér–von Mises (cvm) and Anderson–Darling (ad) two-sample tests per
 * numeric feature.
 */
import type { DetectorResult, FeatureDrift } from '../../shared/events/index.js';
import { C2ST_WORK_BUDGET, DEFAULT_C2ST, c2stWork } from './c2st-settings.js';
import type { DetectorSettings } from './detectors.js';
import { familyResult, finiteRows, skipped, subsample } from './detector-results.js';
import { column } from './matrix.js';
import type { Matrix } from './matrix.js';
import type { Reference } from './reference.js';
import { ad2Samp, c2stTest, cosineTest, cvm2Samp, rankPermutationSf, seedOf } from './stats/index.js';

/**
 * The classifier two-sample test on the input rows (see stats/c2st.ts). Rows with a NaN or
 * infinite value are left out of both samples (and counted); the features that separate the
 * samples most are listed with their standardised coefficient as `statistic` (no p-value of
 * their own: `p_value` 1, `drifted` false). A window whose test would exceed
 * {@link C2ST_WORK_BUDGET} is skipped with the options and the work in the reason: the test runs
 * while the window closes, and the batch waits for it.
 */
export function c2stDetector(ref: Reference, winAll: Matrix, s: DetectorSettings): DetectorResult {
  const c = s.c2st ?? DEFAULT_C2ST;
  const refIn = finiteRows(ref.inputs as Matrix);
  const win = finiteRows(winAll);
  if (Math.min(refIn.rows, win.rows) < c.folds) return skipped('c2st', `needs at least ${c.folds} rows with all values finite in each sample (one per fold), has ${refIn.rows} reference and ${win.rows} window rows`);
  const m = Math.min(refIn.rows, win.rows, c.maxRows);
  const { work, crossValidations } = c2stWork(m, refIn.cols, c);
  if (work > C2ST_WORK_BUDGET) {
    const how = c.test === 'permutation' ? `c2stTest=permutation: c2stPermutations=${c.permutations} + 1 = ${crossValidations} cross-validations` : `c2stTest=binomial: 1 cross-validation`;
    return skipped('c2st', `work ${crossValidations} × c2stFolds=${c.folds} × 2 × ${m} rows (min(reference, window, c2stMaxRows=${c.maxRows})) × (${refIn.cols} columns + 1)² = ${work.toExponential(2)} (${how}) exceeds the C2ST work budget of ${C2ST_WORK_BUDGET.toExponential(1)}; lower c2stPermutations, c2stMaxRows or c2stFolds, or use c2stTest=binomial`);
  }
  const r = c2stTest({ reference: refIn.data, window: win.data, dim: refIn.cols, folds: c.folds, C: c.C, test: c.test, permutations: c.permutations, maxRows: c.maxRows, topFeatures: c.topFeatures, seed: seedOf(s.seed) });
  const features: FeatureDrift[] = r.top.map((f) => ({ feature: ref.featureNames[f.index] ?? `f${f.index}`, index: f.index, test: 'c2st', statistic: f.coefficient, p_value: 1, p_value_corrected: 1, drifted: false }));
  return {
    detector: 'c2st',
    statistic_name: c.test === 'binomial' ? 'out-of-fold accuracy of a logistic reference-vs-window classifier' : 'out-of-fold AUC of a logistic reference-vs-window classifier',
    statistic: r.statistic,
    p_value: r.pValue,
    has_p_value: true,
    drifted: r.pValue < s.alpha,
    correction: 'none',
    features,
    details: {
      accuracy: r.accuracy,
      auc: r.auc,
      folds: c.folds,
      rows_per_sample: r.rowsPerSample,
      correct: r.correct,
      permutations: r.permutations,
      exceedances: r.exceedances,
      window_rows_not_finite: winAll.rows - win.rows,
      // The out-of-fold score histogram, for the drift page's classifier-scores view.
      ...Object.fromEntries(r.scoreBins.reference.map((c, i) => [`oof_bin_ref_${i}`, c])),
      ...Object.fromEntries(r.scoreBins.window.map((c, i) => [`oof_bin_win_${i}`, c])),
    },
    skipped_reason: '',
  };
}

/** Whether every finite value of both samples is the same one. */
function isConstant(a: Float64Array, b: Float64Array): boolean {
  let first = NaN;
  for (const arr of [a, b]) {
    for (const v of arr) {
      if (!Number.isFinite(v)) continue;
      if (Number.isNaN(first)) first = v;
      else if (v !== first) return false;
    }
  }
  return true;
}

/** One univariate two-sample test per numeric feature, corrected over the features. */
function perFeature(name: 'cvm' | 'ad', statName: string, ref: Reference, win: Matrix, s: DetectorSettings, run: (a: Float64Array, b: Float64Array) => { statistic: number; pValue: number }): DetectorResult {
  const refIn = ref.inputs as Matrix;
  const features: FeatureDrift[] = [];
  const ps: number[] = [];
  let max = -Infinity;
  for (const j of ref.numeric) {
    let p = NaN;
    let stat = 0;
    const a = column(refIn, j);
    const b = column(win, j);
    try {
      // A column with a single value in both samples says nothing (and has no ranks to test).
      if (isConstant(a, b)) throw new RangeError('constant');
      const r = run(a, b);
      p = r.pValue;
      stat = r.statistic;
    } catch {
      // Too few finite values (or a single distinct one) in a sample: untestable, stays NaN.
    }
    if (!Number.isNaN(p)) max = Math.max(max, stat);
    ps.push(p);
    features.push({ feature: ref.featureNames[j] ?? `f${j}`, index: j, test: name, statistic: stat, p_value: Number.isNaN(p) ? 1 : p });
  }
  return familyResult(name, statName, Number.isFinite(max) ? max : 0, features, ps, s, { features_tested: ps.filter((p) => !Number.isNaN(p)).length });
}

/** Permutations of the cvm/ad refinement when none are configured. */
export const DEFAULT_RANK_PERMUTATIONS = 2000;
/** cvm and ad p-values below this are replaced by a permutation p-value. */
export const REFINE_BELOW = 0.01;

/**
 * A per-feature rank test whose small p-values (< {@link REFINE_BELOW}) are replaced by a
 * permutation p-value with `rankPermutations` splits, seeded per window and feature: the
 * asymptotic tails are too small when values tie (digits pixels are mostly 0).
 */
function refinedRankDetector(kind: 'cvm' | 'ad', statName: string, ref: Reference, win: Matrix, s: DetectorSettings, run: (a: Float64Array, b: Float64Array) => { statistic: number; pValue: number }): DetectorResult {
  const perms = s.rankPermutations ?? DEFAULT_RANK_PERMUTATIONS;
  let refined = 0;
  const r = perFeature(kind, statName, ref, win, s, (a, b) => {
    const res = run(a, b);
    if (res.pValue >= REFINE_BELOW) return res;
    refined++;
    return { statistic: res.statistic, pValue: rankPermutationSf(kind, a, b, perms, seedOf(`${s.seed}/${kind}/${refined}`)).pValue };
  });
  r.details = { ...r.details, permutation_refined: refined, permutations: perms };
  return r;
}

/** Cramér–von Mises per numeric feature (statistic T; p exact for ≤ 20 values per sample, else asymptotic; refined below 0.01). */
export function cvmDetector(ref: Reference, win: Matrix, s: DetectorSettings): DetectorResult {
  return refinedRankDetector('cvm', 'max Cramér–von Mises T over features', ref, win, s, cvm2Samp);
}

/** Anderson–Darling per numeric feature (normalised statistic; p from Scholz & Stephens' table, refined below 0.01). */
export function ad2Detector(ref: Reference, win: Matrix, s: DetectorSettings): DetectorResult {
  return refinedRankDetector('ad', 'max normalised Anderson–Darling statistic over features', ref, win, s, ad2Samp);
}

/**
 * Mean cosine similarity of the window's rows to the reference centroid, two-sided permutation
 * p-value (`permutations`); both samples capped at `mmdMaxRows` rows (seeded subsamples), rows
 * with a NaN or infinite value left out.
 */
export function cosineDetector(ref: Reference, winAll: Matrix, s: DetectorSettings): DetectorResult {
  const refIn = subsample(finiteRows(ref.inputs as Matrix), s.mmdMaxRows, ref.sha256);
  const finite = finiteRows(winAll);
  if (finite.rows < 2) return skipped('cosine', `fewer than 2 window rows with all values finite (${winAll.rows - finite.rows} of ${winAll.rows} have NaN or infinite values)`);
  const win = subsample(finite, s.mmdMaxRows, s.seed);
  const r = cosineTest({ reference: refIn.data, window: win.data, dim: refIn.cols, permutations: s.permutations, seed: seedOf(`${s.seed}/cosine`) });
  return {
    detector: 'cosine',
    statistic_name: 'mean cosine similarity of window rows to the reference centroid',
    statistic: r.statistic,
    p_value: r.pValue,
    has_p_value: true,
    drifted: r.pValue < s.alpha,
    correction: 'none',
    features: [],
    details: { reference_mean_cosine: r.referenceMean, centroid_norm: r.centroidNorm, permutations: s.permutations, splits_below: r.below, splits_above: r.above, reference_rows: refIn.rows, window_rows: win.rows, window_rows_not_finite: winAll.rows - finite.rows },
    skipped_reason: '',
  };
}
