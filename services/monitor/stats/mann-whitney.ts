/**
 * Mann–Whitney U test (Wilcoxon rank-sum), as scipy's `mannwhitneyu(x, y, alternative,
 * use_continuity=True, method='auto')`:
 *
 * - U₁ = R₁ − n₁(n₁+1)/2 from the ranks of x in the pooled sample, ties given their average rank;
 *   U₂ = n₁n₂ − U₁. 'greater' (x tends to be larger) tests U₁, 'less' tests U₂, 'two-sided'
 *   max(U₁, U₂) with the tail doubled; the p-value is the survival function at that U.
 * - 'exact' (the permutation distribution of U, no ties) when one sample has at most 8 values
 *   and there are no ties; otherwise 'asymptotic': the normal approximation with the tie
 *   correction, s² = n₁n₂/12 · ((n+1) − Σ(t³−t)/(n(n−1))) over tie groups of size t, and the
 *   continuity correction z = (U − n₁n₂/2 − 0.5)/s. When every value is tied, s = 0 and p = 1.
 *
 * Ranks make the test exact in level for any continuous distribution and, with the tie
 * correction, close to it for discrete ones (max-probabilities tie often: float32 rounds many
 * confident rows to exactly 1).
 */
import { normalSf } from './special.js';

/** The alternative hypothesis about the first sample relative to the second. */
export type Alternative = 'less' | 'greater' | 'two-sided';

/** Result of {@link mannWhitneyU}. */
export interface MannWhitneyResult {
  /** U₁, the statistic of the first sample (scipy's `statistic`). */
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
  /** The standardized statistic (asymptotic method; NaN for exact). */
  z: number;
}

/** Largest size of the smaller sample for which 'auto' takes the exact distribution (scipy's). */
export const MWU_EXACT_MAX_N = 8;

/** Average ranks (1-based) of the pooled values and the tie term Σ(t³ − t). */
function rankPooled(x: ArrayLike<number>, y: ArrayLike<number>): { rankSumX: number; tieTerm: number } {
  const n1 = x.length;
  const n = n1 + y.length;
  const values = new Float64Array(n);
  for (let i = 0; i < n1; i++) values[i] = x[i] as number;
  for (let i = 0; i < y.length; i++) values[n1 + i] = y[i] as number;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (values[a] as number) - (values[b] as number));
  let rankSumX = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && values[order[j] as number] === values[order[i] as number]) j++;
    const t = j - i;
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if ((order[k] as number) < n1) rankSumX += rank;
    tieTerm += t * t * t - t;
    i = j;
  }
  return { rankSumX, tieTerm };
}

/**
 * P(U ≥ u) under the null for samples of sizes m and n without ties: the coefficients of the
 * Gaussian binomial ∏_{i=1..m} (1 − q^{n+i})/(1 − q^i), divided by C(m+n, m).
 */
export function mannWhitneyExactSf(u: number, m: number, n: number): number {
  if (m > n) [m, n] = [n, m];
  const max = m * n;
  if (u <= 0) return 1;
  if (u > max) return 0;
  let c = new Float64Array(max + 1);
  c[0] = 1;
  for (let i = 1; i <= m; i++) {
    // × (1 − q^{n+i}), then ÷ (1 − q^i) (a running sum with stride i).
    const next = Float64Array.from(c);
    for (let j = max; j >= n + i; j--) next[j] = (next[j] as number) - (c[j - n - i] as number);
    for (let j = i; j <= max; j++) next[j] = (next[j] as number) + (next[j - i] as number);
    c = next;
  }
  let total = 0;
  let tail = 0;
  for (let j = 0; j <= max; j++) {
    total += c[j] as number;
    if (j >= u) tail += c[j] as number;
  }
  return Math.min(1, Math.max(0, tail / total));
}

/**
 * Runs the test of `x` against `y`.
 * @throws RangeError when a sample is empty or holds NaN.
 */
export function mannWhitneyU(x: ArrayLike<number>, y: ArrayLike<number>, alternative: Alternative = 'two-sided'): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyU: both samples need at least one value');
  for (const s of [x, y]) for (let i = 0; i < s.length; i++) if (Number.isNaN(s[i])) throw new RangeError('mannWhitneyU: samples must not hold NaN');
  const { rankSumX, tieTerm } = rankPooled(x, y);
  const u1 = rankSumX - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const u = alternative === 'greater' ? u1 : alternative === 'less' ? u2 : Math.max(u1, u2);
  const f = alternative === 'two-sided' ? 2 : 1;
  const exact = (n1 <= MWU_EXACT_MAX_N || n2 <= MWU_EXACT_MAX_N) && tieTerm === 0;
  if (exact) return { statistic: u1, pValue: Math.min(1, f * mannWhitneyExactSf(u, n1, n2)), method: 'exact', z: NaN };
  const n = n1 + n2;
  const s = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (!(s > 0)) return { statistic: u1, pValue: 1, method: 'asymptotic', z: -Infinity };
  const z = (u - (n1 * n2) / 2 - 0.5) / s;
  return { statistic: u1, pValue: Math.min(1, Math.max(0, f * normalSf(z))), method: 'asymptotic', z };
}
