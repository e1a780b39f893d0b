/**
 * Classifier two-sample test (C2ST; alibi-detect's ClassifierDrift, Lopez-Paz & Oquab 2017): a
 * classifier learns to tell reference rows (label 0) from window rows (label 1); if it does
 * better than chance on rows it was not fitted on, the samples differ.
 *
 * - Balance: each sample is cut to the same number of rows m = min(reference, window, maxRows)
 *   (seeded subsamples), so chance is exactly ½ and the classifier has no majority class to
 *   fall back on.
 * - Features are standardised with the pooled mean and standard deviation (no labels are used,
 *   so this leaks nothing between folds); constant columns become 0.
 * - Classifier: L2-regularised logistic regression ({@link fitLogistic}, sklearn's objective
 *   with C).
 * - Stratified k-fold cross-validation: every row is scored once, by the model fitted on the
 *   other folds. Out-of-fold accuracy (decision > 0 means "window") and AUC (Mann–Whitney, ties
 *   ½) are both computed.
 * - p-value, `binomial` (default): per fold, a one-sided binomial test of its correct count c_f
 *   of n_f held-out rows against chance, P(X ≥ c_f) with X ~ Bin(n_f, ½); p = min(1, k · min_f
 *   p_f) (Bonferroni over the folds). Each fold's test is valid: its rows were not used to fit
 *   its model, and given the model the count is a sum of independent Bernoullis with mean n_f/2
 *   (the fold holds as many rows of each sample), whose upper tail is at most the binomial's
 *   (Hoeffding 1956). The folds share rows, so they are combined by Bonferroni, valid under any
 *   dependence. alibi-detect's rule — one binomial test on all out-of-fold predictions pooled —
 *   is not: the pooled count's variance is larger than binomial (1.48× on clean digits, 200 vs
 *   100 rows), and it flagged 6.9% of 1,000 clean digits windows at alpha 0.05 (9% with 100 vs
 *   100 rows). The statistic reported is the pooled out-of-fold accuracy. `permutation`: the labels are shuffled N times (class sizes kept) and the whole
 *   cross-validation is redone each time; p = (k + 1)/(N + 1), k = permutations whose AUC is
 *   ≥ the observed one; the statistic is the AUC. Exact in level, (N + 1)·k fits.
 * - Which features separate the samples: the model fitted on all 2m rows, its coefficients on
 *   the standardised features ranked by magnitude (sign: positive = larger in the window).
 *
 * Out-of-fold predictions of different folds are not independent, which is why the binomial
 * test is per fold (each valid on its own, as above) and combined by Bonferroni rather than
 * pooled; test/monitor/stats-c2st.test.ts measures its false-positive rate on clean data.
 */
import { betaI } from './special.js';
import { decision, fitLogistic } from './logistic.js';
import { seededRandom } from './rng.js';

/** How the C2ST gets its p-value. */
export const C2ST_TESTS = ['binomial', 'permutation'] as const;
/** A C2ST p-value method. */
export type C2stTest = (typeof C2ST_TESTS)[number];

/** Input of {@link c2stTest}: row-major matrices with `dim` columns. */
export interface C2stInput {
  reference: Float64Array;
  window: Float64Array;
  dim: number;
  /** Folds k (≥ 2). */
  folds: number;
  /** Logistic regression's C (inverse L2 strength). */
  C: number;
  test: C2stTest;
  /** Permutations N (test = permutation). */
  permutations: number;
  /** Rows used per sample at most. */
  maxRows: number;
  /** How many of the most separating features to return. */
  topFeatures: number;
  seed: number;
}

/** Result of {@link c2stTest}. */
export interface C2stResult {
  /** Out-of-fold accuracy (test = binomial) or AUC (permutation). */
  statistic: number;
  pValue: number;
  accuracy: number;
  auc: number;
  /** Rows used per sample (m). */
  rowsPerSample: number;
  /** Out-of-fold correct answers (of 2m). */
  correct: number;
  /** Columns of the largest |coefficient| of the model fitted on all rows, largest first. */
  top: { index: number; coefficient: number }[];
  /** Permutations run (0 for binomial). */
  permutations: number;
  exceedances: number;
  /**
   * Out-of-fold classifier scores as P(window) = σ(decision), in {@link SCORE_BINS} equal bins
   * of [0, 1]: counts of reference rows and of window rows. Overlapping histograms: the
   * classifier cannot tell the samples apart; reference rows low and window rows high: it can.
   */
  scoreBins: { reference: number[]; window: number[] };
}

/** Bins of the out-of-fold score histogram. */
export const SCORE_BINS = 10;

/** Upper tail P(X ≥ k) of Bin(n, p). */
export function binomialSf(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  return betaI(k, n - k + 1, p);
}

/** AUC of scores (label 1 higher) by ranks, ties counted ½. */
export function aucOf(scores: Float64Array, y: Uint8Array): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let rankSum = 0;
  let pos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1] as number] === scores[order[i] as number]) j++;
    const mid = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      if (y[order[t] as number]) {
        rankSum += mid;
        pos++;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return 0.5;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

function shuffle(a: Int32Array, rand: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const r = Math.floor(rand() * (i + 1));
    const t = a[i] as number;
    a[i] = a[r] as number;
    a[r] = t;
  }
}

/** A seeded subset of `k` of the rows 0..n−1, in order. */
function pick(n: number, k: number, rand: () => number): Int32Array {
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  if (k >= n) return idx;
  for (let i = 0; i < k; i++) {
    const r = i + Math.floor(rand() * (n - i));
    const t = idx[i] as number;
    idx[i] = idx[r] as number;
    idx[r] = t;
  }
  return idx.slice(0, k).sort();
}

/** Out-of-fold decision values of stratified k-fold cross-validation, and each row's fold. */
function crossValidate(x: Float64Array, dim: number, y: Uint8Array, folds: number, C: number, rand: () => number): { scores: Float64Array; fold: Int32Array } {
  const n = y.length;
  const fold = new Int32Array(n);
  for (const cls of [0, 1]) {
    const members = Int32Array.from([...y.keys()].filter((i) => y[i] === cls));
    shuffle(members, rand);
    members.forEach((r, i) => (fold[r] = i % folds));
  }
  const scores = new Float64Array(n);
  for (let f = 0; f < folds; f++) {
    const train: number[] = [];
    const held: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === f ? held : train).push(i);
    const model = fitLogistic(x, dim, y, Int32Array.from(train), { C });
    for (const r of held) scores[r] = decision(model, x, dim, r);
  }
  return { scores, fold };
}

/**
 * Runs the test.
 * @throws RangeError when sizes do not match `dim`, or a sample has fewer rows than folds.
 */
export function c2stTest(input: C2stInput): C2stResult {
  const { dim, folds } = input;
  if (dim <= 0 || input.reference.length % dim !== 0 || input.window.length % dim !== 0) throw new RangeError('c2st: matrix sizes do not match dim');
  if (!(Number.isInteger(folds) && folds >= 2)) throw new RangeError(`c2st: folds must be an integer >= 2, got ${folds}`);
  const n0 = input.reference.length / dim;
  const n1 = input.window.length / dim;
  const m = Math.min(n0, n1, input.maxRows);
  if (m < folds) throw new RangeError(`c2st: each sample needs at least ${folds} rows (one per fold), got ${Math.min(n0, n1)}`);
  const rand = seededRandom(input.seed);
  const r0 = pick(n0, m, rand);
  const r1 = pick(n1, m, rand);
  const N = 2 * m;
  const x = new Float64Array(N * dim);
  const y = new Uint8Array(N);
  r0.forEach((r, i) => x.set(input.reference.subarray(r * dim, (r + 1) * dim), i * dim));
  r1.forEach((r, i) => {
    x.set(input.window.subarray(r * dim, (r + 1) * dim), (m + i) * dim);
    y[m + i] = 1;
  });
  // Standardise with the pooled moments (label-free, so no leak between folds).
  for (let j = 0; j < dim; j++) {
    let s = 0;
    for (let i = 0; i < N; i++) s += x[i * dim + j] as number;
    const mean = s / N;
    let v = 0;
    for (let i = 0; i < N; i++) v += ((x[i * dim + j] as number) - mean) ** 2;
    const sd = Math.sqrt(v / N);
    const scale = sd > 1e-12 * Math.max(1, Math.abs(mean)) ? 1 / sd : 0;
    for (let i = 0; i < N; i++) x[i * dim + j] = ((x[i * dim + j] as number) - mean) * scale;
  }
  const { scores, fold } = crossValidate(x, dim, y, folds, input.C, rand);
  let correct = 0;
  const foldCorrect = new Float64Array(folds);
  const foldRows = new Float64Array(folds);
  for (let i = 0; i < N; i++) {
    const f = fold[i] as number;
    foldRows[f] = (foldRows[f] as number) + 1;
    if (scores[i] as number > 0 === (y[i] === 1)) {
      correct++;
      foldCorrect[f] = (foldCorrect[f] as number) + 1;
    }
  }
  const accuracy = correct / N;
  const auc = aucOf(scores, y);
  const scoreBins = { reference: new Array<number>(SCORE_BINS).fill(0), window: new Array<number>(SCORE_BINS).fill(0) };
  for (let i = 0; i < N; i++) {
    const prob = 1 / (1 + Math.exp(-(scores[i] as number)));
    const b = Math.min(SCORE_BINS - 1, Math.floor(prob * SCORE_BINS));
    const bins = y[i] === 1 ? scoreBins.window : scoreBins.reference;
    bins[b] = (bins[b] as number) + 1;
  }
  let pValue: number;
  let statistic: number;
  let exceed = 0;
  let perms = 0;
  if (input.test === 'binomial') {
    statistic = accuracy;
    let minP = 1;
    for (let f = 0; f < folds; f++) minP = Math.min(minP, binomialSf(foldCorrect[f] as number, foldRows[f] as number, 0.5));
    pValue = Math.min(1, folds * minP);
  } else {
    statistic = auc;
    perms = input.permutations;
    const yp = Uint8Array.from(y);
    const order = Int32Array.from({ length: N }, (_, i) => i);
    for (let p = 0; p < perms; p++) {
      shuffle(order, rand);
      for (let i = 0; i < N; i++) yp[i] = y[order[i] as number] as number;
      const s = crossValidate(x, dim, yp, folds, input.C, rand).scores;
      if (aucOf(s, yp) >= auc - 1e-12) exceed++;
    }
    pValue = (exceed + 1) / (perms + 1);
  }
  const all = fitLogistic(x, dim, y, Int32Array.from({ length: N }, (_, i) => i), { C: input.C });
  const top = [...all.weights.keys()]
    .filter((j) => all.weights[j] !== 0)
    .sort((a, b) => Math.abs(all.weights[b] as number) - Math.abs(all.weights[a] as number))
    .slice(0, input.topFeatures)
    .map((index) => ({ index, coefficient: all.weights[index] as number }));
  return { statistic, pValue, accuracy, auc, rowsPerSample: m, correct, top, permutations: perms, exceedances: exceed, scoreBins };
}
