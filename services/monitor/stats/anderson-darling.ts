/**
 * Two-sample Anderson–Darling test, as scipy's `anderson_ksamp([x, y], midrank=True)`: the
 * midrank statistic A²akN of Scholz & Stephens (1987, eq. 7; ties allowed), normalised as
 * T = (A²akN − (k − 1)) / σ_N with their exact finite-sample variance σ²_N.
 *
 * p-value. scipy interpolates log p quadratically in Scholz & Stephens' table of critical
 * values (p from 0.25 down to 0.001) and caps it at 0.25 and floors it at 0.001 outside the
 * table. Inside the table this is the same interpolation. A floor of 0.001 would make a
 * feature untestable under Bonferroni over more than 50 features (alpha 0.05), so beyond the
 * table's largest critical value the p-value is the limiting distribution's tail instead:
 * A²akN → A²∞ (the one-sample Anderson–Darling limit, k − 1 = 1), Marsaglia & Marsaglia's
 * (2004) `ADinf`, never above 0.001 there; below the table's smallest value p is
 * max(0.25, that tail).
 *
 * With many ties (pixels that are mostly 0, counts) that tail is far too small: on clean digits
 * windows it flagged 18% at alpha 0.05 with Bonferroni over 64 features. The ad detector
 * therefore replaces every p-value below 0.01 by a permutation p-value (rank-permutation.ts).
 */

/** Result of {@link ad2Samp}. */
export interface AdResult {
  /** T, the normalised statistic (scipy's `statistic`). */
  statistic: number;
  /** A²akN before normalisation. */
  a2: number;
  pValue: number;
  /** 'table' (scipy's interpolation) or 'asymptotic' (beyond the table). */
  method: 'table' | 'asymptotic';
}

const B0 = [0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085];
const B1 = [-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615];
const B2 = [-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154];
const SIG = [0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001];

/** Index of the first element of sorted `a` ≥ v (left) or > v (right). */
function searchsorted(a: Float64Array, v: number, side: 'left' | 'right'): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((a[mid] as number) < v || (side === 'right' && (a[mid] as number) === v)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Least-squares quadratic c0 + c1 x + c2 x² through the points (numpy's polyfit, degree 2). */
function quadFit(x: readonly number[], y: readonly number[]): [number, number, number] {
  // Normal equations on the centred abscissa, for conditioning.
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const s = [0, 0, 0, 0, 0];
  const t = [0, 0, 0];
  x.forEach((xi, i) => {
    const d = xi - mx;
    for (let p = 0; p < 5; p++) s[p] = (s[p] as number) + d ** p;
    for (let p = 0; p < 3; p++) t[p] = (t[p] as number) + (y[i] as number) * d ** p;
  });
  const [s0, s1, s2, s3, s4] = s as [number, number, number, number, number];
  const [t0, t1, t2] = t as [number, number, number];
  // Cramer's rule on [[s0 s1 s2] [s1 s2 s3] [s2 s3 s4]] · c = t.
  const det = (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number) => a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  const D = det(s0, s1, s2, s1, s2, s3, s2, s3, s4);
  const c0 = det(t0, s1, s2, t1, s2, s3, t2, s3, s4) / D;
  const c1 = det(s0, t0, s2, s1, t1, s3, s2, t2, s4) / D;
  const c2 = det(s0, s1, t0, s1, s2, t1, s2, s3, t2) / D;
  // Back to powers of x: c0 + c1 (x − mx) + c2 (x − mx)².
  return [c0 - c1 * mx + c2 * mx * mx, c1 - 2 * c2 * mx, c2];
}

/** Upper tail of the limiting Anderson–Darling distribution, 1 − ADinf(z) (Marsaglia & Marsaglia 2004). */
export function adInfSf(z: number): number {
  if (z <= 0) return 1;
  if (z < 2) return 1 - (Math.exp(-1.2337141 / z) / Math.sqrt(z)) * (2.00012 + (0.247105 - (0.0649821 - (0.0347962 - (0.011672 - 0.00168691 * z) * z) * z) * z) * z);
  return -Math.expm1(-Math.exp(1.0776 - (2.30695 - (0.43424 - (0.082433 - (0.008056 - 0.0003146 * z) * z) * z) * z) * z));
}

/**
 * Runs the test on the finite values of `x` and `y`.
 * @throws RangeError when a sample has no values, there are fewer than 4 in all, or every value is the same.
 */
export function ad2Samp(x: ArrayLike<number>, y: ArrayLike<number>): AdResult {
  const samples = [Float64Array.from(x).filter(Number.isFinite).sort(), Float64Array.from(y).filter(Number.isFinite).sort()];
  const n = samples.map((s) => s.length);
  if (n.some((v) => v === 0)) throw new RangeError('anderson-darling: a sample has no values');
  const N = (n[0] as number) + (n[1] as number);
  if (N < 4) throw new RangeError('anderson-darling: needs at least 4 values in all');
  const Z = new Float64Array(N);
  Z.set(samples[0] as Float64Array);
  Z.set(samples[1] as Float64Array, n[0]);
  Z.sort();
  const Zstar = Z.filter((v, i) => i === 0 || v !== Z[i - 1]);
  if (Zstar.length < 2) throw new RangeError('anderson-darling: needs more than one distinct value');
  const k = 2;
  let A2 = 0;
  const left = Float64Array.from(Zstar, (v) => searchsorted(Z, v, 'left'));
  const lj = Float64Array.from(Zstar, (v, j) => searchsorted(Z, v, 'right') - (left[j] as number));
  for (let i = 0; i < k; i++) {
    const s = samples[i] as Float64Array;
    const ni = n[i] as number;
    let inner = 0;
    for (let j = 0; j < Zstar.length; j++) {
      const v = Zstar[j] as number;
      const l = lj[j] as number;
      const Bj = (left[j] as number) + l / 2;
      const right = searchsorted(s, v, 'right');
      const fij = right - searchsorted(s, v, 'left');
      const Mij = right - fij / 2;
      inner += ((l / N) * (N * Mij - Bj * ni) ** 2) / (Bj * (N - Bj) - (N * l) / 4);
    }
    A2 += inner / ni;
  }
  A2 *= (N - 1) / N;
  const H = 1 / (n[0] as number) + 1 / (n[1] as number);
  let h = 0;
  let g = 0;
  // hs_cs = cumsum(1 / (N−1, N−2, …, 2)); h = its last + 1; g = Σ hs_cs / (2, 3, …, N−1).
  let cum = 0;
  for (let i = 0; i < N - 2; i++) {
    cum += 1 / (N - 1 - i);
    g += cum / (i + 2);
  }
  h = cum + 1;
  const a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * H;
  const b = (2 * g - 4) * k ** 2 + 8 * h * k + (2 * g - 14 * h - 4) * H - 8 * h + 4 * g - 6;
  const c = (6 * h + 2 * g - 2) * k ** 2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * H + 4 * h;
  const d = (2 * h + 6) * k ** 2 - 4 * h * k;
  const sigmasq = (a * N ** 3 + b * N ** 2 + c * N + d) / ((N - 1) * (N - 2) * (N - 3));
  const m = k - 1;
  const T = (A2 - m) / Math.sqrt(sigmasq);
  const critical = B0.map((b0, i) => b0 + (B1[i] as number) / Math.sqrt(m) + (B2[i] as number) / m);
  const lo = Math.min(...critical);
  const hi = Math.max(...critical);
  if (T < lo) return { statistic: T, a2: A2, pValue: Math.max(0.25, adInfSf(A2)), method: 'asymptotic' };
  if (T > hi) return { statistic: T, a2: A2, pValue: Math.min(0.001, adInfSf(A2)), method: 'asymptotic' };
  const [c0, c1, c2] = quadFit(critical, SIG.map(Math.log));
  return { statistic: T, a2: A2, pValue: Math.exp(c0 + c1 * T + c2 * T * T), method: 'table' };
}
