/**
 * Per-segment metrics ("look for bias"): a request parameter or an input feature (the model's
 * `segment_parameter` / `segment_feature`) puts each prediction row in a segment; per segment the
 * monitor reports rows, predicted-class shares, mean confidence, live accuracy (with its Wilson
 * interval) and MAE, and tests whether segments differ:
 *
 *   prediction rates  chi-squared homogeneity on the segments × predicted classes table
 *   accuracy          chi-squared on the segments × (right, wrong) table of labelled rows
 *
 * each as an omnibus test over every segment, and per segment one-vs-rest (that segment against
 * all others pooled, a 2 × C or 2 × 2 table) to name the segment that differs. Multiple
 * comparisons: the two omnibus p-values are Bonferroni-corrected over the two tests
 * (`p_adjusted` = min(1, 2p)); the one-vs-rest p-values are Holm-adjusted over the segments within
 * each test, and a segment is flagged when an adjusted p < alpha / 2 (Bonferroni over the two
 * tests, so a homogeneous stream flags some segment with probability ≤ alpha). A table with an expected count
 * below 5 is marked `sparse`: the chi-squared approximation is then rough.
 *
 * Computed from the join's rows (`feedback.sqlite`), so it covers the newest
 * `feedbackRetentionRows` prediction rows at most.
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import { chi2Sf } from './stats/index.js';
import { wilson } from './quality.js';

/** Segment name for rows without a value (the parameter missing from the request). */
export const NO_SEGMENT = '(none)';
/** Segment pooling the rarest segments beyond maxSegments. */
export const OTHER_SEGMENT = '(other)';

/**
 * The segment of row `i` of a prediction: the request parameter's value (NO_SEGMENT when the
 * request lacks it) or the input feature's value as a string; null when no segment is configured.
 */
export function segmentOf(
  spec: { parameter: string | undefined; featureIndex: number | undefined },
  parameters: Readonly<Record<string, string>> | undefined,
  inputs: { cols: number; data: Float64Array } | undefined,
  i: number,
): string | null {
  if (spec.parameter !== undefined) return parameters?.[spec.parameter] ?? NO_SEGMENT;
  if (spec.featureIndex !== undefined) {
    if (!inputs || spec.featureIndex >= inputs.cols) return NO_SEGMENT;
    return String(inputs.data[i * inputs.cols + spec.featureIndex]);
  }
  return null;
}

/** Column index of a model's segment_feature (f<index> without feature_names). */
export function segmentFeatureIndex(feature: string | undefined, featureNames: readonly string[] | undefined): number | undefined {
  if (feature === undefined) return undefined;
  if (featureNames) return featureNames.indexOf(feature);
  const m = /^f(\d+)$/.exec(feature);
  return m ? Number(m[1]) : undefined;
}

/** Result of a chi-squared test of independence on an r × c table. */
export interface ContingencyResult {
  statistic: number;
  pValue: number;
  dof: number;
  /** Some expected count below 5. */
  sparse: boolean;
}

/**
 * Pearson's chi-squared test of independence on an r × c table of counts (rows and columns that
 * are all zero dropped), with Yates' correction at 1 degree of freedom, as scipy's
 * `chi2_contingency`. p = 1 when fewer than two rows or columns remain.
 */
export function chi2Contingency(table: readonly (readonly number[])[]): ContingencyResult {
  const rowsKept = table.filter((r) => r.reduce((a, b) => a + b, 0) > 0);
  const width = rowsKept[0]?.length ?? 0;
  const colsKept: number[] = [];
  for (let j = 0; j < width; j++) if (rowsKept.some((r) => (r[j] as number) > 0)) colsKept.push(j);
  const t = rowsKept.map((r) => colsKept.map((j) => r[j] as number));
  if (t.length < 2 || colsKept.length < 2) return { statistic: 0, pValue: 1, dof: 0, sparse: false };
  const rowSum = t.map((r) => r.reduce((a, b) => a + b, 0));
  const colSum = colsKept.map((_, j) => t.reduce((a, r) => a + (r[j] as number), 0));
  const total = rowSum.reduce((a, b) => a + b, 0);
  const dof = (t.length - 1) * (colsKept.length - 1);
  let stat = 0;
  let sparse = false;
  t.forEach((r, i) =>
    r.forEach((obs, j) => {
      const e = ((rowSum[i] as number) * (colSum[j] as number)) / total;
      if (e < 5) sparse = true;
      let d = Math.abs(obs - e);
      if (dof === 1) d = Math.max(0, d - 0.5);
      stat += (d * d) / e;
    }),
  );
  return { statistic: stat, pValue: chi2Sf(stat, dof), dof, sparse };
}

/** Holm step-down adjusted p-values (same order as given). */
export function holmAdjust(ps: readonly number[]): number[] {
  const order = ps.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(ps.length).fill(1);
  let run = 0;
  order.forEach(([p, i], k) => {
    run = Math.max(run, Math.min(1, (ps.length - k) * p));
    out[i] = run;
  });
  return out;
}

/** One segment's metrics. */
export interface SegmentMetrics {
  segment: string;
  rows: number;
  /** Rows per predicted class (index = class), and their shares of the segment's rows. */
  classCounts: number[];
  meanConfidence: number;
  labelled: number;
  correct: number;
  accuracy: number;
  ciLow: number;
  ciHigh: number;
  numeric: number;
  mae: number;
  /** One-vs-rest tests (p = 1 when not testable), pAdjusted: Holm over the segments. */
  rates: ContingencyResult & { pAdjusted: number };
  accuracyTest: ContingencyResult & { pAdjusted: number };
  /** Either adjusted p below alpha. */
  flagged: boolean;
}

/** The segments of a version over a range of windows, with the tests. */
export interface SegmentReport {
  model: string;
  version: string;
  /** What defines the segments, e.g. `parameter region` (empty: not configured). */
  segmentBy: string;
  fromWindow: number;
  toWindow: number;
  alpha: number;
  segments: SegmentMetrics[];
  rates: ContingencyResult & { pAdjusted: number };
  accuracy: ContingencyResult & { pAdjusted: number };
  /** Rows in the range, and of those labelled. */
  rows: number;
  labelled: number;
  note: string;
}

/** The note every segment report carries about its multiple comparisons. */
export const MULTIPLE_COMPARISONS_NOTE =
  'omnibus p-values are Bonferroni-adjusted over the 2 tests (prediction rates, accuracy); per-segment one-vs-rest p-values are Holm-adjusted over the segments within each test; with many segments and windows looked at, expect some flags by chance at the alpha given';

interface GroupRow {
  segment: string | null;
  label: number;
  n: number;
  conf_sum: number | null;
  conf_n: number;
  labelled: number;
  correct: number;
  numeric: number;
  abs_err: number | null;
}

/** What is counted per segment. */
export interface SegmentCounts {
  rows: number;
  /** Rows per predicted class (index = class). */
  counts: number[];
  confSum: number;
  confN: number;
  labelled: number;
  correct: number;
  numeric: number;
  absErr: number;
}
type Acc = SegmentCounts;

/**
 * Metrics and tests of counted segments (the pure part of {@link SegmentStore.report}).
 * @param entries segment name → counts, every `counts` of the same length
 */
export function compareSegments(entries: ReadonlyArray<readonly [string, SegmentCounts]>, alpha: number): Pick<SegmentReport, 'segments' | 'rates' | 'accuracy' | 'rows' | 'labelled' | 'note'> {
  const accs = entries.map(([, a]) => a);
  const rates = chi2Contingency(accs.map((a) => a.counts));
  const accTable = accs.map((a) => [a.correct, a.labelled - a.correct]);
  const accuracy = chi2Contingency(accTable);
  const oneVsRest = (table: number[][], i: number): ContingencyResult => {
    const rest = (table[0] ?? []).map((_, j) => table.reduce((s, r, k) => s + (k === i ? 0 : (r[j] as number)), 0));
    return chi2Contingency([table[i] as number[], rest]);
  };
  const ratesP = accs.map((_, i) => oneVsRest(accs.map((a) => a.counts), i));
  const accuracyP = accs.map((_, i) => oneVsRest(accTable, i));
  const ratesAdj = holmAdjust(ratesP.map((t) => t.pValue));
  const accAdj = holmAdjust(accuracyP.map((t) => t.pValue));
  const segments: SegmentMetrics[] = entries.map(([segment, a], i) => {
    const [lo, hi] = wilson(a.correct, a.labelled);
    return {
      segment,
      rows: a.rows,
      classCounts: a.counts,
      meanConfidence: a.confN > 0 ? a.confSum / a.confN : 0,
      labelled: a.labelled,
      correct: a.correct,
      accuracy: a.labelled > 0 ? a.correct / a.labelled : 0,
      ciLow: a.labelled > 0 ? lo : 0,
      ciHigh: a.labelled > 0 ? hi : 0,
      numeric: a.numeric,
      mae: a.numeric > 0 ? a.absErr / a.numeric : 0,
      rates: { ...(ratesP[i] as ContingencyResult), pAdjusted: ratesAdj[i] as number },
      accuracyTest: { ...(accuracyP[i] as ContingencyResult), pAdjusted: accAdj[i] as number },
      // alpha / 2 per test (Bonferroni over the two): a homogeneous stream flags with probability ≤ alpha.
      flagged: (ratesAdj[i] as number) < alpha / 2 || (accAdj[i] as number) < alpha / 2,
    };
  });
  return {
    segments,
    rates: { ...rates, pAdjusted: Math.min(1, 2 * rates.pValue) },
    accuracy: { ...accuracy, pAdjusted: Math.min(1, 2 * accuracy.pValue) },
    rows: accs.reduce((s, a) => s + a.rows, 0),
    labelled: accs.reduce((s, a) => s + a.labelled, 0),
    note: MULTIPLE_COMPARISONS_NOTE,
  };
}

/** Segment queries on the join's database. */
export class SegmentStore {
  private readonly stmt: Statement<[string, string, number, number], GroupRow>;

  constructor(db: Db) {
    this.stmt = db.prepare(
      `SELECT segment, label, count(*) AS n, sum(confidence) AS conf_sum, count(confidence) AS conf_n,
         sum(CASE WHEN joined = 1 AND correct IS NOT NULL THEN 1 ELSE 0 END) AS labelled, sum(coalesce(correct, 0)) AS correct,
         count(abs_err) AS numeric, sum(abs_err) AS abs_err
       FROM predictions WHERE model = ? AND version = ? AND window_index >= ? AND window_index <= ? GROUP BY segment, label`,
    );
  }

  /**
   * The segment report of windows [fromWindow, toWindow] (inclusive) of a version.
   * @param maxSegments the most frequent segments kept, the rest pooled as OTHER_SEGMENT
   */
  report(model: string, version: string, fromWindow: number, toWindow: number, opts: { alpha: number; maxSegments: number; segmentBy: string }): SegmentReport {
    const groups = this.stmt.all(model, version, fromWindow, toWindow);
    const classes = groups.reduce((m, g) => Math.max(m, g.label + 1), 0);
    const bySeg = new Map<string, Acc>();
    for (const g of groups) {
      const name = g.segment ?? NO_SEGMENT;
      let a = bySeg.get(name);
      if (!a) bySeg.set(name, (a = { rows: 0, counts: new Array<number>(classes).fill(0), confSum: 0, confN: 0, labelled: 0, correct: 0, numeric: 0, absErr: 0 }));
      a.rows += g.n;
      a.counts[g.label] = (a.counts[g.label] as number) + g.n;
      a.confSum += g.conf_sum ?? 0;
      a.confN += g.conf_n;
      a.labelled += g.labelled;
      a.correct += g.correct;
      a.numeric += g.numeric;
      a.absErr += g.abs_err ?? 0;
    }
    // The most frequent segments, the rest pooled (ties by name, so the cut is stable).
    let entries = [...bySeg.entries()].sort((x, y) => y[1].rows - x[1].rows || (x[0] < y[0] ? -1 : 1));
    if (entries.length > opts.maxSegments) {
      const kept = entries.slice(0, opts.maxSegments - 1);
      const pooled: Acc = { rows: 0, counts: new Array<number>(classes).fill(0), confSum: 0, confN: 0, labelled: 0, correct: 0, numeric: 0, absErr: 0 };
      for (const [, a] of entries.slice(opts.maxSegments - 1)) {
        pooled.rows += a.rows;
        a.counts.forEach((c, k) => (pooled.counts[k] = (pooled.counts[k] as number) + c));
        pooled.confSum += a.confSum;
        pooled.confN += a.confN;
        pooled.labelled += a.labelled;
        pooled.correct += a.correct;
        pooled.numeric += a.numeric;
        pooled.absErr += a.absErr;
      }
      entries = [...kept, [OTHER_SEGMENT, pooled]];
    }
    const tested = compareSegments(entries, opts.alpha);
    return { model, version, segmentBy: opts.segmentBy, fromWindow, toWindow, alpha: opts.alpha, ...tested };
  }
}
