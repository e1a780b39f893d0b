/**
 * The distribution of the one-sample two-sided KS statistic D_n, survival function
 * P(D_n ≥ d) — what scipy's `kstwo.sf(d, n)` computes (scipy/stats/_ksstats.py, `_kolmogn`),
 * rebuilt branch by branch so mlmesh's asymptotic two-sample p-value matches scipy's
 * `ks_2samp(method='asymp')`, which evaluates it at n = round(n1·n2/(n1+n2)):
 *
 * - d ≤ 1/(2n): 1; n·d ≤ 1: Ruben–Gambino's n!/nⁿ·(2nd−1)ⁿ; n·d ≥ n−1: 2(1−d)ⁿ;
 * - d ≥ 0.5, or n·d² large enough: 2 × Smirnov's one-sided exact tail (Birnbaum–Tingey sum);
 * - otherwise 1 − CDF with the CDF from the Durbin matrix (Marsaglia–Tsang–Wang 2003) for small
 *   n·d^1.5, else Pelz–Good's asymptotic series (1976).
 *
 * scipy uses Pomeranz's recursion for n ≤ 140 and 0.754693 < n·d² ≤ 4; the Durbin matrix
 * computes the same exact CDF there.
 */
import { lgamma } from './special.js';

const E128 = 2 ** 128;
const SQRT2PI = Math.sqrt(2 * Math.PI);
const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
const MIN_LOG = -708;

/** Smirnov's one-sided tail P(D_n⁺ ≥ d), exact (Birnbaum & Tingey 1951), summed in logs. */
export function smirnovSf(n: number, d: number): number {
  if (d <= 0) return 1;
  if (d >= 1) return 0;
  const jmax = Math.floor(n * (1 - d));
  const lgn = lgamma(n + 1);
  let sum = 0;
  for (let j = 0; j <= jmax; j++) {
    const a = 1 - d - j / n;
    const b = d + j / n;
    if (a <= 0) {
      // (1 − d − j/n)^(n−j) is 0 unless n − j = 0.
      if (n - j === 0) sum += Math.exp(lgn - lgamma(j + 1) - lgamma(n - j + 1) + (j - 1) * Math.log(b));
      continue;
    }
    sum += Math.exp(lgn - lgamma(j + 1) - lgamma(n - j + 1) + (n - j) * Math.log(a) + (j - 1) * Math.log(b));
  }
  return Math.min(1, Math.max(0, d * sum));
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k] as number;
      if (aik === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] = (out[i * m + j] as number) + aik * (b[k * m + j] as number);
    }
  }
  return out;
}

/** P(D_n ≤ d) by the Durbin matrix, as scipy's `_kolmogn_DMTW`. */
export function kolmogorovCdfDurbin(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  let H: Float64Array = new Float64Array(m * m);
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1] as number;
  for (let r = 0; r < m; r++) H[r * m] = v[r] as number;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c] as number;
  let P: Float64Array = new Float64Array(m * m);
  for (let i = 0; i < m; i++) P[i * m + i] = 1;
  let nn = n;
  let expnt = 0;
  let hExpnt = 0;
  while (nn > 0) {
    if (nn % 2) {
      P = matmul(P, H, m);
      expnt += hExpnt;
    }
    H = matmul(H, H, m);
    hExpnt *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)] as number) > E128) {
      for (let i = 0; i < H.length; i++) H[i] = (H[i] as number) / E128;
      hExpnt += 128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = P[(k - 1) * m + (k - 1)] as number;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < 1 / E128) {
      p *= E128;
      expnt -= 128;
    }
  }
  if (expnt !== 0) p *= 2 ** expnt;
  return Math.min(1, Math.max(0, p));
}

/** P(D_n ≤ d) by Pelz & Good's asymptotic series, as scipy's `_kolmogn_PelzGood`. */
export function kolmogorovCdfPelzGood(n: number, d: number): number {
  if (d <= 0) return 0;
  if (d >= 1) return 1;
  const z = Math.sqrt(n) * d;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qp = q ** (8 * k);
    const c = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = (K[i] as number) * qp + (c[i] as number);
  }
  const div = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = ((K[i] as number) * q * SQRT2PI) / (div[i] as number);
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const s3z = Math.sqrt(3) * z;
  for (let k = maxk; k > 0; k--) {
    const qk = q ** (k * k);
    k2extra += k * k * qk;
    const kpi = Math.PI * k;
    k3extra += (s3z + kpi) * (s3z - kpi) * k * k * qk;
  }
  K[2] = (K[2] as number) + (k2extra * PI2 * SQRT2PI) / (-36 * z3);
  K[3] = (K[3] as number) + (k3extra * PI2 * SQRT2PI) / (216 * z6);
  let total = 0;
  for (let i = 0; i < 4; i++) total += (K[i] as number) / n ** (i / 2);
  return total;
}

/** P(D_n ≥ d) for the one-sample two-sided KS statistic (scipy's `kstwo.sf(d, n)`). */
export function kolmogorovNSf(n: number, d: number): number {
  const clip = (p: number): number => Math.min(1, Math.max(0, p));
  if (d >= 1) return 0;
  if (d <= 0) return 1;
  const t = n * d;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    const cdf = n <= 140 ? Array.from({ length: n }, (_, i) => ((i + 1) / n) * (2 * t - 1)).reduce((a, b) => a * b, 1) : Math.exp(lgamma(n + 1) - n * Math.log(n) + n * Math.log(2 * t - 1));
    return clip(1 - cdf);
  }
  if (t >= n - 1) return clip(2 * (1 - d) ** n);
  if (d >= 0.5) return clip(2 * smirnovSf(n, d));
  const nd2 = t * d;
  if (n <= 140) {
    if (nd2 <= 4) return clip(1 - kolmogorovCdfDurbin(n, d));
    return clip(2 * smirnovSf(n, d));
  }
  if (nd2 >= 370) return 0;
  if (nd2 >= 2.2) return clip(2 * smirnovSf(n, d));
  if (nd2 >= 18) return 0;
  const cdf = n <= 100_000 && n * d ** 1.5 <= 1.4 ? kolmogorovCdfDurbin(n, d) : kolmogorovCdfPelzGood(n, d);
  return clip(1 - cdf);
}
