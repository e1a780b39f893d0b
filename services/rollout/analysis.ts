/**
 * The canary analysis: pure functions from what the candidate and the baseline did over the
 * same period (one step) to one {@link CriterionResult} per criterion. Every test is one-sided
 * (only a worse candidate fails) and a criterion fails only when its test rejects at `alpha`
 * AND its effect size passes `threshold`, so the false-failure rate on a candidate as good as
 * the baseline is at most alpha (test/rollout/analysis.test.ts checks it over seeded trials).
 * A criterion without `minSamples` on each side waits: waiting never counts as passed.
 */
import { chi2Homogeneity, ks2Samp, lgamma, psi, binomialSf } from '../monitor/stats/index.js';
import type { CriterionResult } from '../../shared/events/index.js';

/** The criteria, in the order they are reported. */
export const CRITERIA = ['error_rate', 'latency_p99_ratio', 'prediction_distribution', 'agreement', 'accuracy', 'drift'] as const;
/** One criterion's name. */
export type CriterionName = (typeof CRITERIA)[number];

/** `on`, `off`, or `auto` (on once its data exists at all: a label, a drift report, shadow traffic). */
export type Enabled = 'on' | 'off' | 'auto';

/** Thresholds of one criterion (every field set). */
export interface CriterionSettings {
  enabled: Enabled;
  /** The effect size the candidate must pass to fail (per criterion, see {@link DEFAULT_CRITERIA}). */
  threshold: number;
  /** Significance level of its test. */
  alpha: number;
  /** Samples needed on each side (requests, labels, pairs, reports). */
  minSamples: number;
}

/** Settings of every criterion. */
export type CriteriaSettings = Record<CriterionName, CriterionSettings>;

/**
 * The defaults (docs/rollout.md): error_rate margin 1 percentage point; p99 ratio 1.5;
 * prediction distribution total-variation distance (classes) or KS D (values) 0.1 at
 * alpha 0.001; agreement at least 90% on identical inputs; accuracy 2 points below the
 * baseline; drift: any drifted report of the candidate's windows.
 */
export const DEFAULT_CRITERIA: CriteriaSettings = {
  error_rate: { enabled: 'on', threshold: 0.01, alpha: 0.01, minSamples: 100 },
  latency_p99_ratio: { enabled: 'on', threshold: 1.5, alpha: 0.01, minSamples: 100 },
  prediction_distribution: { enabled: 'on', threshold: 0.1, alpha: 0.001, minSamples: 100 },
  agreement: { enabled: 'auto', threshold: 0.9, alpha: 0.01, minSamples: 50 },
  accuracy: { enabled: 'auto', threshold: 0.02, alpha: 0.01, minSamples: 50 },
  drift: { enabled: 'auto', threshold: 0, alpha: 0, minSamples: 1 },
};

/** What one version did in the step. */
export interface VersionSample {
  /** Requests answered or failed (inference metrics), and the failures among them. */
  requests: number;
  errors: number;
  /** Latency of each logged (primary) prediction, in µs. */
  latenciesUs: readonly number[];
  /** Predicted class counts (argmax of the output), for a classifier. */
  classCounts: ReadonlyMap<number, number>;
  /** First output value of each prediction, for a regressor. */
  values: readonly number[];
  /** Predictions with a label, and those the label agreed with. */
  labeled: number;
  correct: number;
}

/** The step's evidence. */
export interface AnalysisInput {
  candidate: VersionSample;
  baseline: VersionSample;
  /** How predictions are compared: classes (chi-squared) or values (KS). */
  kind: 'class' | 'value';
  /** Shadow pairs (a candidate shadow copy and the baseline answer to the same request), and how many agreed. */
  pairs: number;
  agreed: number;
  /** Drift reports of the candidate's version in the step, and the drifted ones. */
  driftReports: number;
  driftedReports: number;
  /** Any label for the model arrived in the step (turns accuracy `auto` on). */
  anyLabel: boolean;
  /** Shadow traffic was asked for (turns agreement `auto` on). */
  shadow: boolean;
}

/** An empty sample. */
export function emptySample(): VersionSample {
  return { requests: 0, errors: 0, latenciesUs: [], classCounts: new Map(), values: [], labeled: 0, correct: 0 };
}

type Result = Required<Omit<CriterionResult, 'details'>> & { details: Record<string, number> };

function result(name: CriterionName, s: CriterionSettings, r: Partial<Result>): Result {
  return {
    name,
    state: 'waiting',
    statistic_name: '',
    statistic: 0,
    threshold: s.threshold,
    p_value: 0,
    has_p_value: false,
    candidate_samples: 0,
    baseline_samples: 0,
    min_samples: s.minSamples,
    detail: '',
    details: {},
    ...r,
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

/**
 * One-sided two-proportion test, the p-value of "a's rate is above b's": Fisher's exact test
 * (given the xa + xb events, xa is hypergeometric under equal rates), which is conservative,
 * where the pooled z-test is liberal at the small counts of a canary step. 1 when nothing
 * happened on either side.
 */
export function twoProportionGreater(xa: number, na: number, xb: number, nb: number): number {
  if (na === 0 || nb === 0) return 1;
  return hypergeometricSf(xa, na + nb, xa + xb, na);
}

function lchoose(n: number, k: number): number {
  return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1);
}

/** Upper tail P(X ≥ k) of the hypergeometric law: `draws` from `total` of which `marked` are marked. */
export function hypergeometricSf(k: number, total: number, marked: number, draws: number): number {
  const lo = Math.max(0, draws - (total - marked));
  const hi = Math.min(marked, draws);
  if (k <= lo) return 1;
  if (k > hi) return 0;
  const denom = lchoose(total, draws);
  let s = 0;
  for (let x = k; x <= hi; x++) s += Math.exp(lchoose(marked, x) + lchoose(total - marked, draws - x) - denom);
  return Math.min(1, s);
}

/** The q-quantile (0..1) of values, linear between order statistics (numpy's default). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const a = s[lo] as number;
  const b = s[Math.min(s.length - 1, lo + 1)] as number;
  return a + (h - lo) * (b - a);
}

function verdict(failed: boolean): 'failed' | 'passed' {
  return failed ? 'failed' : 'passed';
}

/** Error rate: candidate above baseline by more than `threshold` (absolute) with a one-sided two-proportion test. */
export function errorRate(c: VersionSample, b: VersionSample, s: CriterionSettings): Result {
  const rc = c.requests > 0 ? c.errors / c.requests : 0;
  const rb = b.requests > 0 ? b.errors / b.requests : 0;
  const base = { statistic_name: 'error rate difference candidate − baseline', statistic: rc - rb, candidate_samples: c.requests, baseline_samples: b.requests, details: { candidate_error_rate: rc, baseline_error_rate: rb, candidate_errors: c.errors, baseline_errors: b.errors } };
  if (c.requests < s.minSamples || b.requests < s.minSamples) return result('error_rate', s, { ...base, detail: `waiting: ${c.requests} candidate and ${b.requests} baseline requests, ${s.minSamples} needed on each side` });
  const p = twoProportionGreater(c.errors, c.requests, b.errors, b.requests);
  const failed = p < s.alpha && rc - rb > s.threshold;
  return result('error_rate', s, { ...base, state: verdict(failed), p_value: p, has_p_value: true, detail: `${pct(rc)} of ${c.requests} candidate requests failed vs ${pct(rb)} of ${b.requests} baseline (one-sided Fisher exact p=${p.toPrecision(3)}, fails when p<${s.alpha} and the difference exceeds ${pct(s.threshold)})` });
}

/**
 * p99 latency ratio candidate/baseline. Fails when the ratio passes `threshold` and the
 * candidate has significantly more requests above the pooled p99 than its share (an exact
 * conditional test: hypergeometric, which is exact under exchangeability).
 */
export function latencyP99Ratio(c: VersionSample, b: VersionSample, s: CriterionSettings): Result {
  const nc = c.latenciesUs.length;
  const nb = b.latenciesUs.length;
  if (nc < s.minSamples || nb < s.minSamples) return result('latency_p99_ratio', s, { statistic_name: 'p99 ratio candidate/baseline', candidate_samples: nc, baseline_samples: nb, detail: `waiting: ${nc} candidate and ${nb} baseline logged predictions, ${s.minSamples} needed on each side` });
  const pc = quantile(c.latenciesUs, 0.99);
  const pb = quantile(b.latenciesUs, 0.99);
  const ratio = pb > 0 ? pc / pb : pc > 0 ? Infinity : 1;
  const pooled = quantile([...c.latenciesUs, ...b.latenciesUs], 0.99);
  const kc = c.latenciesUs.filter((v) => v > pooled).length;
  const kb = b.latenciesUs.filter((v) => v > pooled).length;
  const p = hypergeometricSf(kc, nc + nb, kc + kb, nc);
  const failed = ratio > s.threshold && p < s.alpha;
  return result('latency_p99_ratio', s, {
    state: verdict(failed),
    statistic_name: 'p99 ratio candidate/baseline',
    statistic: ratio,
    p_value: p,
    has_p_value: true,
    candidate_samples: nc,
    baseline_samples: nb,
    details: { candidate_p99_ms: pc / 1000, baseline_p99_ms: pb / 1000, pooled_p99_ms: pooled / 1000, candidate_above_pooled_p99: kc, baseline_above_pooled_p99: kb },
    detail: `p99 ${(pc / 1000).toFixed(2)} ms vs ${(pb / 1000).toFixed(2)} ms (ratio ${ratio.toFixed(2)}); ${kc} of ${nc} candidate and ${kb} of ${nb} baseline requests above the pooled p99 (hypergeometric p=${p.toPrecision(3)}); fails when the ratio > ${s.threshold} and p<${s.alpha}`,
  });
}

/**
 * Distribution of predictions on the same traffic. Classes: chi-squared of homogeneity on the
 * predicted-class counts, effect = total-variation distance. Values: two-sample KS, effect = D
 * (PSI reported beside it).
 */
export function predictionDistribution(c: VersionSample, b: VersionSample, kind: 'class' | 'value', s: CriterionSettings): Result {
  if (kind === 'class') {
    const nc = sum(c.classCounts.values());
    const nb = sum(b.classCounts.values());
    if (nc < s.minSamples || nb < s.minSamples) return result('prediction_distribution', s, { statistic_name: 'total variation distance of predicted classes', candidate_samples: nc, baseline_samples: nb, detail: `waiting: ${nc} candidate and ${nb} baseline predictions, ${s.minSamples} needed on each side` });
    const classes = [...new Set([...c.classCounts.keys(), ...b.classCounts.keys()])].sort((x, y) => x - y);
    const bc = classes.map((k) => b.classCounts.get(k) ?? 0);
    const cc = classes.map((k) => c.classCounts.get(k) ?? 0);
    const chi = chi2Homogeneity(bc, cc);
    let tvd = 0;
    classes.forEach((_, i) => (tvd += Math.abs((cc[i] as number) / nc - (bc[i] as number) / nb)));
    tvd /= 2;
    const failed = chi.pValue < s.alpha && tvd > s.threshold;
    return result('prediction_distribution', s, {
      state: verdict(failed),
      statistic_name: 'total variation distance of predicted classes',
      statistic: tvd,
      p_value: chi.pValue,
      has_p_value: true,
      candidate_samples: nc,
      baseline_samples: nb,
      details: { chi_squared: chi.statistic, dof: chi.dof, classes: classes.length },
      detail: `predicted classes: chi-squared ${chi.statistic.toFixed(1)} (dof ${chi.dof}, p=${chi.pValue.toPrecision(3)}), total variation ${tvd.toFixed(3)}; fails when p<${s.alpha} and the distance > ${s.threshold}`,
    });
  }
  const nc = c.values.length;
  const nb = b.values.length;
  if (nc < s.minSamples || nb < s.minSamples) return result('prediction_distribution', s, { statistic_name: 'KS D of outputs', candidate_samples: nc, baseline_samples: nb, detail: `waiting: ${nc} candidate and ${nb} baseline predictions, ${s.minSamples} needed on each side` });
  const ks = ks2Samp(b.values, c.values);
  const p = psi(b.values, c.values);
  const failed = ks.pValue < s.alpha && ks.statistic > s.threshold;
  return result('prediction_distribution', s, {
    state: verdict(failed),
    statistic_name: 'KS D of outputs',
    statistic: ks.statistic,
    p_value: ks.pValue,
    has_p_value: true,
    candidate_samples: nc,
    baseline_samples: nb,
    details: { psi: p },
    detail: `outputs: KS D ${ks.statistic.toFixed(3)} (p=${ks.pValue.toPrecision(3)}), PSI ${p.toFixed(3)}; fails when p<${s.alpha} and D > ${s.threshold}`,
  });
}

/** Agreement on identical inputs (shadow pairs): fails when disagreement is significantly above 1 − threshold (binomial). */
export function agreement(pairs: number, agreed: number, shadow: boolean, s: CriterionSettings): Result {
  if (s.enabled === 'off' || (s.enabled === 'auto' && !shadow)) return result('agreement', s, { state: 'disabled', statistic_name: 'agreement on identical inputs', detail: s.enabled === 'off' ? 'off' : 'no shadow traffic in the plan (shadow_percent 0)' });
  if (pairs < s.minSamples) return result('agreement', s, { statistic_name: 'agreement on identical inputs', candidate_samples: pairs, baseline_samples: pairs, detail: `waiting: ${pairs} shadow pairs, ${s.minSamples} needed` });
  const rate = agreed / pairs;
  const p = binomialSf(pairs - agreed, pairs, 1 - s.threshold);
  const failed = rate < s.threshold && p < s.alpha;
  return result('agreement', s, { state: verdict(failed), statistic_name: 'agreement on identical inputs', statistic: rate, p_value: p, has_p_value: true, candidate_samples: pairs, baseline_samples: pairs, details: { pairs, agreed }, detail: `${agreed} of ${pairs} shadow pairs agree (${pct(rate)}); fails when below ${pct(s.threshold)} with binomial p<${s.alpha} (p=${p.toPrecision(3)})` });
}

/** Live accuracy from feedback: candidate below baseline by more than `threshold` with a one-sided two-proportion test. */
export function accuracy(c: VersionSample, b: VersionSample, anyLabel: boolean, s: CriterionSettings): Result {
  if (s.enabled === 'off' || (s.enabled === 'auto' && !anyLabel)) return result('accuracy', s, { state: 'disabled', statistic_name: 'accuracy difference baseline − candidate', detail: s.enabled === 'off' ? 'off' : 'no label for the model arrived in the step (auto: on once one does)' });
  const ac = c.labeled > 0 ? c.correct / c.labeled : 0;
  const ab = b.labeled > 0 ? b.correct / b.labeled : 0;
  const base = { statistic_name: 'accuracy difference baseline − candidate', statistic: ab - ac, candidate_samples: c.labeled, baseline_samples: b.labeled, details: { candidate_accuracy: ac, baseline_accuracy: ab } };
  if (c.labeled < s.minSamples || b.labeled < s.minSamples) return result('accuracy', s, { ...base, detail: `waiting: ${c.labeled} candidate and ${b.labeled} baseline labels, ${s.minSamples} needed on each side` });
  // The candidate's error (1 − accuracy) above the baseline's.
  const p = twoProportionGreater(c.labeled - c.correct, c.labeled, b.labeled - b.correct, b.labeled);
  const failed = p < s.alpha && ab - ac > s.threshold;
  return result('accuracy', s, { ...base, state: verdict(failed), p_value: p, has_p_value: true, detail: `accuracy ${pct(ac)} on ${c.labeled} labels vs ${pct(ab)} on ${b.labeled} (one-sided Fisher exact p=${p.toPrecision(3)}); fails when p<${s.alpha} and the gap exceeds ${pct(s.threshold)}` });
}

/** Drift reports of the candidate's windows (from the monitor): fails on a drifted one. */
export function drift(reports: number, drifted: number, s: CriterionSettings): Result {
  if (s.enabled === 'off' || (s.enabled === 'auto' && reports === 0)) return result('drift', s, { state: 'disabled', statistic_name: 'drifted reports of the candidate', detail: s.enabled === 'off' ? 'off' : "no drift report for the candidate's version in the step (monitor not running, or no window closed yet)" });
  if (reports < s.minSamples) return result('drift', s, { statistic_name: 'drifted reports of the candidate', candidate_samples: reports, detail: `waiting: ${reports} drift reports, ${s.minSamples} needed` });
  return result('drift', s, { state: verdict(drifted > 0), statistic_name: 'drifted reports of the candidate', statistic: drifted, candidate_samples: reports, detail: `${drifted} of ${reports} drift reports of the candidate's windows drifted` });
}

function sum(xs: Iterable<number>): number {
  let t = 0;
  for (const x of xs) t += x;
  return t;
}

/** Every criterion's result for the step (disabled ones included). */
export function analyse(input: AnalysisInput, settings: CriteriaSettings): Result[] {
  const off = (name: CriterionName): Result => result(name, settings[name], { state: 'disabled', detail: 'off' });
  const on = (name: CriterionName): boolean => settings[name].enabled !== 'off';
  const { candidate: c, baseline: b } = input;
  return [
    on('error_rate') ? errorRate(c, b, settings.error_rate) : off('error_rate'),
    on('latency_p99_ratio') ? latencyP99Ratio(c, b, settings.latency_p99_ratio) : off('latency_p99_ratio'),
    on('prediction_distribution') ? predictionDistribution(c, b, input.kind, settings.prediction_distribution) : off('prediction_distribution'),
    agreement(input.pairs, input.agreed, input.shadow, settings.agreement),
    accuracy(c, b, input.anyLabel, settings.accuracy),
    drift(input.driftReports, input.driftedReports, settings.drift),
  ];
}

/** The step's verdict: failed if any criterion failed, passed if every enabled one passed, else waiting. */
export function stepVerdict(results: readonly Pick<CriterionResult, 'state'>[]): 'failed' | 'passed' | 'waiting' {
  if (results.some((r) => r.state === 'failed')) return 'failed';
  if (results.some((r) => r.state === 'waiting')) return 'waiting';
  return 'passed';
}
