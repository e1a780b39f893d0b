/**
 * Runs the configured detectors on one window against a reference and says whether the window
 * drifted. Each detector returns one DetectorResult with its statistic and its p-value
 * (corrected within the detector over features or classes); the window's decision is
 * family-wise over the detectors that produced a p-value (see {@link familyDecision}).
 *
 * - ks: per numeric input feature, two-sample KS; corrected over the features; PSI and
 *   Wasserstein/std reported per feature as effect sizes.
 * - chi2: per categorical input feature, chi-squared homogeneity on category counts; categories
 *   seen only in the window are listed.
 * - mmd: kernel MMD² on the input rows, permutation p-value, in a worker thread; with
 *   `mmdKernels`, also one entry `mmd_<kernel>` per other kernel, shown only (not in the
 *   window's decision: see {@link familyDecision}).
 * - bbsd: KS on each output probability (black-box shift detection), corrected over classes.
 * - confidence: one-sided Mann–Whitney U (tie-corrected) of the window's max-probabilities
 *   against the reference's: does the model's confidence drop?
 * - predicted_class: chi-squared homogeneity of predicted-class counts.
 * - c2st (opt-in): classifier two-sample test on the input rows — logistic regression with
 *   k-fold cross-validation, out-of-fold accuracy (binomial test) or AUC (permutation test);
 *   names the features that separate the samples most.
 * - cvm, ad (opt-in): Cramér–von Mises and Anderson–Darling two-sample tests per numeric input
 *   feature (scipy's cramervonmises_2samp and anderson_ksamp), corrected over the features.
 * - cosine (opt-in): mean cosine similarity of the window's rows to the reference centroid,
 *   permutation p-value (for embeddings: monitoring.input_from "outputs").
 */
import type { DetectorResult, FeatureDrift } from '../../shared/events/index.js';
import type { DetectorName } from './config.js';
import type { C2stSettings } from './c2st-settings.js';
import { familyResult, finiteRows, inFamily, markShownOnly, skipped, subsample } from './detector-results.js';
import { ad2Detector, c2stDetector, cosineDetector, cvmDetector } from './input-detectors.js';
import { argmaxRows, column } from './matrix.js';
import type { Matrix } from './matrix.js';
import type { Reference } from './reference.js';
import { chi2Homogeneity, ks2Samp, mannWhitneyU, normalizedWasserstein, psi, seedOf } from './stats/index.js';
import type { Correction, Kernel, MmdInput, MmdResult } from './stats/index.js';

/** What a window holds. */
export interface WindowData {
  inputs: Matrix | undefined;
  /** Class probabilities (already softmaxed for logit models). */
  outputs: Matrix | undefined;
  /** Feedback joined to this window's rows so far. */
  feedback?: { rows: number; correct: number };
}

/** How to test. */
export interface DetectorSettings {
  detectors: readonly DetectorName[];
  alpha: number;
  correction: Correction;
  kernel: Kernel;
  /**
   * Kernels MMD runs with (monitoring.mmd_kernels): `kernel` gives the entry `mmd`, each other
   * one an entry `mmd_<kernel>` marked shown only. @default [kernel]
   */
  mmdKernels?: readonly Kernel[] | undefined;
  permutations: number;
  mmdMaxRows: number;
  /**
   * How the window's decision combines the detectors: 'holm' (Holm's step-down over the
   * detectors' p-values: the chance that a clean window is drifted stays ≤ alpha) or 'none'
   * (drifted when any detector's own p-value is below alpha).
   */
  detectorCorrection: DetectorCorrection;
  /** MMD length scale ℓ; undefined: the median heuristic on the reference (cached per reference). */
  lengthScale?: number | undefined;
  /** Seeds the MMD permutations (e.g. from the report id), so a recomputed window gives the same p. */
  seed: string;
  /**
   * What the outputs are: 'regression' (predicted values: bbsd tests each output column;
   * confidence and predicted_class are skipped); else class probabilities. @default 'probabilities'
   */
  outputKind?: 'probabilities' | 'logits' | 'regression' | 'none' | undefined;
  /** Permutations of the cvm and ad detectors' refinement of p-values below 0.01. @default 2000 */
  rankPermutations?: number | undefined;
  /** The C2ST's settings. @default {@link DEFAULT_C2ST} */
  c2st?: C2stSettings | undefined;
}

export { DEFAULT_C2ST, c2stSettingsOf } from './c2st-settings.js';
export type { C2stSettings } from './c2st-settings.js';

/** How a window's decision combines its detectors (see {@link DetectorSettings.detectorCorrection}). */
export type DetectorCorrection = 'holm' | 'none';

/** Runs an MMD test (in a worker thread, in the service). */
export type MmdRunner = (input: MmdInput) => Promise<MmdResult>;

/** Outcome of {@link runDetectors}. */
export interface Verdict {
  drifted: boolean;
  results: DetectorResult[];
}

export { finiteRows, skipped } from './detector-results.js';

/**
 * MMD's reference subsample and length scale per (reference, kernel, cap), keyed by the
 * reference's SHA-256 so a worker reuses them across windows (bounded: oldest dropped).
 */
const mmdCache = new Map<string, { sample: Float64Array; lengthScale: number | undefined }>();
const MMD_CACHE_MAX = 16;

/**
 * KS of one column; a column with no finite values in one sample cannot be tested: p stays NaN
 * (never rejected by a correction) and D 0.
 */
function ksColumn(a: Float64Array, b: Float64Array): { p: number; d: number } {
  try {
    const r = ks2Samp(a, b);
    return { p: r.pValue, d: r.statistic };
  } catch {
    return { p: NaN, d: 0 };
  }
}

function ksDetector(ref: Reference, win: Matrix, s: DetectorSettings): DetectorResult {
  const refIn = ref.inputs as Matrix;
  const features: FeatureDrift[] = [];
  const ps: number[] = [];
  let maxD = 0;
  for (const j of ref.numeric) {
    const a = column(refIn, j);
    const b = column(win, j);
    const { p, d } = ksColumn(a, b);
    maxD = Math.max(maxD, d);
    ps.push(p);
    features.push({ feature: ref.featureNames[j], index: j, test: 'ks', statistic: d, p_value: Number.isNaN(p) ? 1 : p, psi: psi(a, b), wasserstein_std: normalizedWasserstein(a, b) || 0 });
  }
  for (const f of features) if (!Number.isFinite(f.psi)) f.psi = 0;
  return familyResult('ks', 'max KS D over features', maxD, features, ps, s, {
    features_tested: ps.filter((p) => !Number.isNaN(p)).length,
  });
}

function counts(values: Float64Array): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    const k = String(v);
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

function chi2OfCounts(refCounts: Map<string, number>, winCounts: Map<string, number>): { statistic: number; pValue: number; unseen: string[] } {
  const cats = [...new Set([...refCounts.keys(), ...winCounts.keys()])].sort();
  const unseen = cats.filter((c) => !refCounts.has(c));
  const r = chi2Homogeneity(cats.map((c) => refCounts.get(c) ?? 0), cats.map((c) => winCounts.get(c) ?? 0));
  return { statistic: r.statistic, pValue: r.pValue, unseen };
}

function chi2Detector(ref: Reference, win: Matrix, s: DetectorSettings): DetectorResult {
  const refIn = ref.inputs as Matrix;
  const features: FeatureDrift[] = [];
  const ps: number[] = [];
  let maxStat = 0;
  for (const j of ref.categorical) {
    let p = NaN;
    let stat = 0;
    let unseen: string[] = [];
    try {
      const r = chi2OfCounts(counts(column(refIn, j)), counts(column(win, j)));
      p = r.pValue;
      stat = r.statistic;
      unseen = r.unseen;
    } catch {
      // A column with no values in one sample cannot be tested: it stays NaN (not rejected).
    }
    maxStat = Math.max(maxStat, stat);
    ps.push(p);
    features.push({ feature: ref.featureNames[j], index: j, test: 'chi2', statistic: stat, p_value: Number.isNaN(p) ? 1 : p, unseen_categories: unseen });
  }
  return familyResult('chi2', 'max chi-squared over categorical features', maxStat, features, ps, s, {
    features_tested: ps.filter((p) => !Number.isNaN(p)).length,
    unseen_categories: features.reduce((n, f) => n + (f.unseen_categories?.length ?? 0), 0),
  });
}

async function mmdDetector(ref: Reference, winAll: Matrix, s: DetectorSettings, run: MmdRunner, name = 'mmd'): Promise<DetectorResult> {
  const refIn = ref.inputs as Matrix;
  // MMD needs every coordinate: rows with a missing (NaN) or infinite value are left out (and
  // counted); a window larger than mmdMaxRows is subsampled, seeded by the report id.
  const finite = finiteRows(winAll);
  if (finite.rows < 2) return skipped(name, `fewer than 2 window rows with all values finite (${winAll.rows - finite.rows} of ${winAll.rows} have NaN or infinite values)`);
  const win = subsample(finite, s.mmdMaxRows, s.seed);
  const key = `${ref.sha256}/${s.kernel}/${s.mmdMaxRows}`;
  let cached = mmdCache.get(key);
  if (!cached) {
    // A fixed subsample per reference (seeded by its hash) bounds the (n+m)² kernel matrix.
    const sample = subsample(refIn, s.mmdMaxRows, ref.sha256).data;
    cached = { sample, lengthScale: undefined };
    mmdCache.set(key, cached);
    if (mmdCache.size > MMD_CACHE_MAX) mmdCache.delete(mmdCache.keys().next().value as string);
  }
  // mmdTest only reads its inputs (and runs in the detector worker already): no copies.
  const input: MmdInput = { reference: cached.sample, window: win.data, dim: refIn.cols, kernel: s.kernel, permutations: s.permutations, seed: seedOf(s.seed) };
  // A configured length scale wins; else the median heuristic's, computed once per reference.
  if (s.lengthScale !== undefined) input.lengthScale = s.lengthScale;
  else if (cached.lengthScale !== undefined) input.lengthScale = cached.lengthScale;
  const r = await run(input);
  if (s.lengthScale === undefined) cached.lengthScale = r.lengthScale;
  return {
    detector: name,
    statistic_name: `MMD² (unbiased, ${s.kernel} kernel)`,
    statistic: r.statistic,
    p_value: r.pValue,
    has_p_value: true,
    drifted: r.pValue < s.alpha,
    correction: 'none',
    features: [],
    details: {
      length_scale: r.lengthScale,
      permutations: r.permutations,
      exceedances: r.exceedances,
      reference_rows: cached.sample.length / refIn.cols,
      window_rows: win.rows,
      window_rows_not_finite: winAll.rows - finite.rows,
    },
    skipped_reason: '',
  };
}

function bbsdDetector(ref: Reference, win: Matrix, s: DetectorSettings): DetectorResult {
  const refOut = ref.outputs as Matrix;
  const regression = s.outputKind === 'regression';
  const ps: number[] = [];
  const features: FeatureDrift[] = [];
  let maxD = 0;
  for (let j = 0; j < refOut.cols; j++) {
    const { p, d } = ksColumn(column(refOut, j), column(win, j));
    maxD = Math.max(maxD, d);
    ps.push(p);
    features.push({ feature: regression ? `prediction_${j}` : `class_${j}`, index: j, test: 'ks', statistic: d, p_value: Number.isNaN(p) ? 1 : p });
  }
  if (regression) return familyResult('bbsd', 'max KS D over predicted values', maxD, features, ps, s, { outputs: refOut.cols });
  return familyResult('bbsd', 'max KS D over output probabilities', maxD, features, ps, s, { classes: refOut.cols });
}

/**
 * Is the model less confident on the window than on the reference? One-sided (alternative: the
 * window's max-probabilities tend to be smaller): a window on which the model is *more* confident
 * is not a reason to retrain, and a two-sided test would spend half of alpha on it.
 */
function confidenceDetector(ref: Reference, win: Matrix, s: DetectorSettings): DetectorResult {
  const refMax = (ref.predicted as { max: Float64Array }).max;
  const winMax = argmaxRows(win).max;
  const r = mannWhitneyU(winMax, refMax, 'less');
  const mean = (a: Float64Array): number => a.reduce((x, y) => x + y, 0) / a.length;
  return {
    detector: 'confidence',
    statistic_name: 'Mann–Whitney U of max-probability (window vs reference; one-sided: window lower)',
    statistic: r.statistic,
    p_value: r.pValue,
    has_p_value: true,
    drifted: r.pValue < s.alpha,
    correction: 'none',
    features: [],
    details: {
      window_mean: mean(winMax),
      reference_mean: mean(refMax),
      // P(window row more confident than a reference row) + ½·P(tie): 0.5 when nothing changed.
      auc: r.statistic / (winMax.length * refMax.length),
      z: Number.isFinite(r.z) ? r.z : 0,
    },
    skipped_reason: '',
  };
}

function predictedClassDetector(ref: Reference, win: Matrix, s: DetectorSettings): DetectorResult {
  const refLabels = (ref.predicted as { labels: Int32Array }).labels;
  const winLabels = argmaxRows(win).labels;
  const toCounts = (l: Int32Array): Map<string, number> => counts(Float64Array.from(l));
  const r = chi2OfCounts(toCounts(refLabels), toCounts(winLabels));
  return {
    detector: 'predicted_class',
    statistic_name: 'chi-squared of predicted-class counts',
    statistic: r.statistic,
    p_value: r.pValue,
    has_p_value: true,
    drifted: r.pValue < s.alpha,
    correction: 'none',
    features: [],
    details: { classes_unseen_in_reference: r.unseen.length },
    skipped_reason: '',
  };
}

/**
 * Runs every configured detector. A detector that cannot run (no reference, inputs omitted
 * from the logs, no outputs, no categorical features…) is reported with `skipped_reason`.
 */
export async function runDetectors(ref: Reference | undefined, win: WindowData, s: DetectorSettings, run: MmdRunner): Promise<Verdict> {
  const results: DetectorResult[] = [];
  for (const d of s.detectors) {
    try {
      await runOne(d, ref, win, s, run, results);
    } catch (e: unknown) {
      // One detector failing (a bug, an allocation failure) must not stop the window or the others.
      results.push(skipped(d, `the detector failed: ${e instanceof Error ? e.message : String(e)}`));
    }
    if (d !== 'mmd') continue;
    // MMD with the other kernels of mmdKernels: the same rows, subsamples and permutations
    // (seed), each kernel with its own median-heuristic length scale; shown only.
    for (const kernel of extraKernels(s)) {
      const name = `mmd_${kernel}`;
      try {
        await runOne('mmd', ref, win, { ...s, kernel }, run, results, name);
      } catch (e: unknown) {
        results.push(skipped(name, `the detector failed: ${e instanceof Error ? e.message : String(e)}`));
      }
      markShownOnly(results[results.length - 1] as DetectorResult, s.alpha);
    }
  }
  return finish(results, win, s);
}

/** The kernels of `mmdKernels` other than `kernel`, in their listed order. */
export function extraKernels(s: Pick<DetectorSettings, 'kernel' | 'mmdKernels'>): Kernel[] {
  return (s.mmdKernels ?? []).filter((k) => k !== s.kernel);
}

/** Every entry a window's report would have (each detector, after mmd its shown-only `mmd_<kernel>`), skipped with `reason`. */
export function skippedAll(s: Pick<DetectorSettings, 'detectors' | 'kernel' | 'mmdKernels' | 'alpha'>, reason: string): DetectorResult[] {
  return s.detectors.flatMap((d) => [skipped(d, reason), ...(d === 'mmd' ? extraKernels(s).map((k) => markShownOnly(skipped(`mmd_${k}`, reason), s.alpha)) : [])]);
}

/** Runs one detector, appending its result (named `name`: mmd's other kernels are `mmd_<kernel>`). */
async function runOne(d: DetectorName, ref: Reference | undefined, win: WindowData, s: DetectorSettings, run: MmdRunner, results: DetectorResult[], name: string = d): Promise<void> {
  if (!ref) {
    results.push(skipped(name, 'no reference for this model version'));
    return;
  }
  const needsInputs = d === 'ks' || d === 'chi2' || d === 'mmd' || d === 'c2st' || d === 'cvm' || d === 'ad' || d === 'cosine';
  if (needsInputs) {
    if (!ref.inputs) results.push(skipped(name, 'the reference has no inputs'));
    else if (!win.inputs) results.push(skipped(name, 'the window has no inputs (inputs omitted from the prediction logs)'));
    else if (win.inputs.cols !== ref.inputs.cols) results.push(skipped(name, `the window has ${win.inputs.cols} input columns, the reference ${ref.inputs.cols}`));
    else if (d === 'ks') results.push(ref.numeric.length ? ksDetector(ref, win.inputs, s) : skipped(d, 'no numeric features'));
    else if (d === 'chi2') results.push(ref.categorical.length ? chi2Detector(ref, win.inputs, s) : skipped(d, 'no categorical features'));
    else if (d === 'c2st') results.push(c2stDetector(ref, win.inputs, s));
    else if (d === 'cosine') results.push(cosineDetector(ref, win.inputs, s));
    else if (d === 'cvm') results.push(ref.numeric.length ? cvmDetector(ref, win.inputs, s) : skipped(d, 'no numeric features'));
    else if (d === 'ad') results.push(ref.numeric.length ? ad2Detector(ref, win.inputs, s) : skipped(d, 'no numeric features'));
    else results.push(await mmdDetector(ref, win.inputs, s, run, name));
    return;
  }
  if (!ref.outputs) results.push(skipped(d, 'the reference has no outputs'));
  else if (!win.outputs) results.push(skipped(d, 'the window has no outputs'));
  else if (win.outputs.cols !== ref.outputs.cols) results.push(skipped(d, `the window has ${win.outputs.cols} output columns, the reference ${ref.outputs.cols}`));
  else if (d === 'bbsd') results.push(bbsdDetector(ref, win.outputs, s));
  else if (s.outputKind === 'regression') results.push(skipped(d, 'the model is a regressor (output_kind "regression"): its outputs are predicted values, not class probabilities'));
  else {
    // Max-probability and argmax need whole rows: rows with a non-finite output are left out.
    const finite = finiteRows(win.outputs);
    if (finite.rows < 2) results.push(skipped(d, 'fewer than 2 window rows with finite outputs'));
    else if (d === 'confidence') results.push(confidenceDetector(ref, finite, s));
    else results.push(predictedClassDetector(ref, finite, s));
  }
}

function finish(results: DetectorResult[], win: WindowData, s: DetectorSettings): Verdict {
  if (win.feedback && win.feedback.rows > 0) {
    // Live accuracy is reported, not tested: the reference carries no labels to test it against.
    results.push({
      detector: 'accuracy',
      statistic_name: 'accuracy of the window rows that received feedback',
      statistic: win.feedback.correct / win.feedback.rows,
      p_value: 1,
      has_p_value: false,
      drifted: false,
      correction: 'none',
      features: [],
      details: { labelled_rows: win.feedback.rows, correct: win.feedback.correct },
      skipped_reason: '',
    });
  }
  return familyDecision(results, s);
}

/**
 * The window's decision over its detectors. Each tested detector (one with a p-value) gets
 * `details.holm_p_value`, its Holm-adjusted p-value over the m tested detectors
 * (max over j ≤ i of min(1, (m − j + 1)·p_(j)) in ascending order), and `details.alone_drifted`,
 * its own decision at alpha (1/0). With 'holm' a detector's `drifted` is Holm's rejection
 * (adjusted p < alpha) — the family-wise error over the detectors is ≤ alpha whatever their
 * dependence — and the window is drifted when any detector is; with 'none' each detector keeps
 * its own decision. Skipped detectors, the untested accuracy entry and the shown-only entries
 * (`details.shown_only`: MMD's other kernels, whose `drifted` stays false) do not count in m.
 */
export function familyDecision(results: DetectorResult[], s: Pick<DetectorSettings, 'alpha' | 'detectorCorrection'>): Verdict {
  const tested = results.filter(inFamily);
  const order = [...tested].sort((a, b) => (a.p_value as number) - (b.p_value as number));
  let running = 0;
  order.forEach((r, i) => {
    const p = r.p_value as number;
    running = Math.max(running, Math.min(1, (order.length - i) * p));
    const alone = r.drifted as boolean;
    r.details = { ...r.details, holm_p_value: running, alone_drifted: alone ? 1 : 0 };
    if (s.detectorCorrection === 'holm') r.drifted = running < s.alpha;
  });
  return { drifted: results.some((r) => r.drifted), results };
}
