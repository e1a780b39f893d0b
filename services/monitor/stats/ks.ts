/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, as scipy's `ks_2samp(method='auto')`:
 * D = max |F_ref(x) − F_win(x)| over the pooled values; the p-value is exact (the lattice-path
 * recursion of Hodges 1958) when both samples have at most {@link KS_EXACT_MAX_N} values, and
 * asymptotic otherwise.
 */
import { kolmogorovNSf } from './kolmogorov.js';

/** Largest sample size for which the exact p-value is computed (scipy's MAX_AUTO_N). */
export const KS_EXACT_MAX_N = 10_000;

/** Result of {@link ks2Samp}. */
export interface KsResult {
  /** D, the largest distance between the two empirical CDFs. */
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymp';
}

function sorted(a: ArrayLike<number>): Float64Array {
  const s = Float64Array.from(a);
  s.sort();
  return s;
}

/** D for two ascending-sorted samples (ties handled as scipy's searchsorted(side='right')). */
export function ksStatistic(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const m = b.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = Math.min(a[i] as number, b[j] as number);
    while (i < n && (a[i] as number) <= x) i++;
    while (j < m && (b[j] as number) <= x) j++;
    const diff = Math.abs(i / n - j / m);
    if (diff > d) d = diff;
  }
  return d;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Exact P(D ≥ h/lcm(m, n)) under the null: the share of monotone lattice paths from (0,0) to
 * (m,n) that touch |x·n/g − y·m/g| ≥ h. B(x,y), the probability that a uniformly random path to
 * (x,y) has touched the boundary, obeys B = (x·B(x−1,y) + y·B(x,y−1))/(x+y) inside the band and
 * 1 outside, so every value stays in [0, 1] (no binomial overflow). Only a band of each column
 * is stored: O(m · band) time.
 */
export function ksExactSf(m: number, n: number, h: number): number {
  if (h <= 0) return 1;
  if (m < n) [m, n] = [n, m];
  const g = gcd(m, n);
  const mg = m / g;
  const ng = n / g;
  // Column x (0..m) holds B(x, y) for y in 0..n. Outside the band |ng·x − mg·y| < h, B = 1.
  let prev = new Float64Array(n + 1);
  let cur = new Float64Array(n + 1);
  for (let y = 0; y <= n; y++) prev[y] = Math.abs(mg * y) >= h ? 1 : y === 0 ? 0 : (prev[y - 1] as number);
  for (let x = 1; x <= m; x++) {
    const lo = Math.max(0, Math.floor((ng * x - h) / mg));
    const hi = Math.min(n, Math.ceil((ng * x + h) / mg));
    // Below the band in this column (y < lo): outside. Above (y > hi): outside as well.
    for (let y = 0; y < lo; y++) cur[y] = 1;
    for (let y = lo; y <= hi; y++) {
      if (Math.abs(ng * x - mg * y) >= h) {
        cur[y] = 1;
      } else {
        const left = prev[y] as number;
        const below = y === 0 ? 0 : (cur[y - 1] as number);
        cur[y] = (x * left + y * below) / (x + y);
      }
    }
    for (let y = hi + 1; y <= n; y++) cur[y] = 1;
    [prev, cur] = [cur, prev];
  }
  return Math.min(1, Math.max(0, prev[n] as number));
}

/**
 * Two-sided two-sample KS test. NaN values are ignored (as missing); empty samples throw.
 * @throws RangeError when a sample has no finite values.
 */
export function ks2Samp(reference: ArrayLike<number>, window: ArrayLike<number>): KsResult {
  const a = sorted(reference).filter((v) => !Number.isNaN(v));
  const b = sorted(window).filter((v) => !Number.isNaN(v));
  if (a.length === 0 || b.length === 0) throw new RangeError('ks2Samp: both samples need at least one value');
  const n1 = a.length;
  const n2 = b.length;
  const d = ksStatistic(a, b);
  if (Math.max(n1, n2) <= KS_EXACT_MAX_N) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    // As scipy: the statistic is snapped to the lattice before the exact tail is taken.
    const h = Math.round(d * lcm);
    return { statistic: h / lcm, pValue: ksExactSf(n1, n2, h), method: 'exact' };
  }
  const en = (n1 * n2) / (n1 + n2);
  return { statistic: d, pValue: ksAsymptoticSf(d, Math.round(en)), method: 'asymp' };
}

/**
 * Asymptotic tail of D for effective size `n` = round(n1·n2/(n1+n2)), as scipy's
 * `ks_2samp(method='asymp')`: the one-sample distribution `kstwo.sf(d, n)` (kolmogorov.ts).
 */
export function ksAsymptoticSf(d: number, n: number): number {
  return kolmogorovNSf(n, d);
}
