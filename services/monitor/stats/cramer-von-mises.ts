/**
 * Two-sample Cramér–von Mises test, as scipy's `cramervonmises_2samp(method='auto')`:
 *
 *   U = n Σᵢ (rᵢ − i)² + m Σⱼ (sⱼ − j)²,   T = U / (n m (n + m)) − (4 n m − 1) / (6 (n + m))
 *
 * with rᵢ, sⱼ the ranks of each sorted sample in the pooled one (Anderson 1962), computed as
 * n m / N² Σ (F_x − F_y)² over the pooled values, which equals it without ties and stays right
 * with them (see {@link cvm2Samp}). p-value: exact when both samples have at most {@link CVM_EXACT_MAX_N} values (Xiao,
 * Gordon & Yakovlev 2006: the distribution of U over the C(n+m, n) lattice paths, by dynamic
 * programming; exact without ties), else asymptotic: T normalised by its mean and variance
 * (Anderson's eq. 11, 14, 15) and referred to the limiting one-sample distribution (Csörgő &
 * Faraway 1996, a series in the Bessel function K_¼, summed until a term is below 1e-7, so
 * p-values below ~1e-7 are 0, as in scipy).
 */
import { lgamma } from './special.js';

/** Largest sample size of the exact p-value (scipy's 'auto' rule). */
export const CVM_EXACT_MAX_N = 20;

/** Result of {@link cvm2Samp}. */
export interface CvmResult {
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
}

/**
 * e^q · K_ν(q) by the trapezoidal rule on ∫₀^∞ exp(−q (cosh t − 1)) cosh(ν t) dt (the
 * integrand is even and analytic, so the rule converges geometrically in the step).
 */
function scaledBesselK(nu: number, q: number): number {
  const h = Math.min(0.02, 0.1 / Math.sqrt(q));
  let s = 0.5;
  for (let k = 1; ; k++) {
    const t = k * h;
    const v = Math.exp(-q * (Math.cosh(t) - 1)) * Math.cosh(nu * t);
    s += v;
    if (v < 1e-18 * s) break;
  }
  return s * h;
}

/** CDF of the limiting Cramér–von Mises distribution (scipy's `_cdf_cvm_inf`). */
export function cvmInfCdf(x: number): number {
  if (x <= 0) return 0;
  let tot = 0;
  for (let k = 0; k < 10_000; k++) {
    const u = Math.exp(lgamma(k + 0.5) - lgamma(k + 1)) / (Math.PI ** 1.5 * Math.sqrt(x));
    const y = 4 * k + 1;
    const q = (y * y) / (16 * x);
    // exp(−q)·K_¼(q) = exp(−2q)·(e^q K_¼(q))
    const z = u * Math.sqrt(y) * Math.exp(-2 * q) * scaledBesselK(0.25, q);
    tot += z;
    if (Math.abs(z) < 1e-7) break;
  }
  return tot;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** C(n, k) as a double (exact below 2⁵³, which covers n ≤ 40). */
function binom(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}

/** P(U ≥ u) over the lattice paths (scipy's `_pval_cvm_2samp_exact`, m = x's size, n = y's). */
export function cvmExactSf(u: number, m: number, n: number): number {
  const lcm = (m * n) / gcd(m, n);
  const a = lcm / m;
  const b = lcm / n;
  const mn = m * n;
  const zeta = Math.floor((lcm ** 2 * (m + n) * (6 * u - mn * (4 * mn - 1))) / (6 * mn ** 2));
  let gs: Map<number, number>[] = [new Map([[0, 1]]), ...Array.from({ length: m }, () => new Map<number, number>())];
  for (let uu = 0; uu <= n; uu++) {
    const next: Map<number, number>[] = [];
    let tmp = new Map<number, number>();
    for (let v = 0; v <= m; v++) {
      const merged = new Map(tmp);
      for (const [val, f] of gs[v] as Map<number, number>) merged.set(val, (merged.get(val) ?? 0) + f);
      const shift = (a * v - b * uu) ** 2;
      tmp = new Map();
      for (const [val, f] of merged) tmp.set(val + shift, f);
      next.push(tmp);
    }
    gs = next;
  }
  let hit = 0;
  for (const [val, f] of gs[m] as Map<number, number>) if (val >= zeta) hit += f;
  return hit / binom(m + n, m);
}

/**
 * Runs the test on the finite values of `x` and `y`.
 * @throws RangeError when a sample has fewer than 2 values.
 */
export function cvm2Samp(x: ArrayLike<number>, y: ArrayLike<number>): CvmResult {
  const xa = Float64Array.from(x).filter(Number.isFinite).sort();
  const ya = Float64Array.from(y).filter(Number.isFinite).sort();
  const nx = xa.length;
  const ny = ya.length;
  if (nx < 2 || ny < 2) throw new RangeError('cvm: each sample needs at least 2 values');
  // T = n m / N² · Σ over the N pooled values of (F_x − F_y)², each ECDF taken after every value
  // equal to it. Without ties this is exactly Anderson's U form (scipy's); with ties scipy's
  // midrank U is not this, and it is far too large (identical 5%-Bernoulli samples of 200 and
  // 100 get p ≈ 6e-10), so the ECDF form is used: with ties it is smaller than the continuous
  // statistic it would be, so the p-value errs on the safe side.
  let i = 0;
  let j = 0;
  let sum = 0;
  let ties = false;
  while (i < nx || j < ny) {
    const v = Math.min(i < nx ? (xa[i] as number) : Infinity, j < ny ? (ya[j] as number) : Infinity);
    let c = 0;
    while (i < nx && xa[i] === v) {
      i++;
      c++;
    }
    while (j < ny && ya[j] === v) {
      j++;
      c++;
    }
    if (c > 1) ties = true;
    sum += c * (i / nx - j / ny) ** 2;
  }
  const k = nx * ny;
  const N = nx + ny;
  const t = (k / (N * N)) * sum;
  // U of Anderson's eq. 10 (an integer without ties).
  const uRaw = (t + (4 * k - 1) / (6 * N)) * k * N;
  const u = ties ? uRaw : Math.round(uRaw);
  if (Math.max(nx, ny) <= CVM_EXACT_MAX_N) return { statistic: t, pValue: cvmExactSf(u, nx, ny), method: 'exact' };
  const et = (1 + 1 / N) / 6;
  const vt = ((N + 1) * (4 * k * N - 3 * (nx * nx + ny * ny) - 2 * k)) / (45 * N * N * 4 * k);
  const tn = 1 / 6 + (t - et) / Math.sqrt(45 * vt);
  const p = tn < 0.003 ? 1 : Math.max(0, 1 - cvmInfCdf(tn));
  return { statistic: t, pValue: p, method: 'asymptotic' };
}
