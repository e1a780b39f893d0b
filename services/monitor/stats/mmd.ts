/**
 * Kernel maximum mean discrepancy, the unbiased estimator with a permutation p-value.
 *
 *   MMD²_u = Σ_{i≠j} k(x_i,x_j)/(n(n−1)) + Σ_{i≠j} k(y_i,y_j)/(m(m−1)) − 2 Σ_{i,j} k(x_i,y_j)/(nm)
 *
 * (alibi-detect's estimator: the kernel diagonal is excluded). Kernels on the Euclidean distance
 * d with length scale ℓ: Gaussian exp(−d²/(2ℓ²)), Laplacian exp(−d/ℓ), rational quadratic
 * (1 + d²/(2αℓ²))^(−α) with α = 1. ℓ comes from the median heuristic on the reference alone,
 * ℓ² = median of squared pairwise distances (self-pairs excluded) / 2 (alibi-detect's), fixed per
 * reference so windows stay comparable. p = (k + 1)/(N + 1) where k counts the N random
 * relabellings of the pooled rows whose statistic is ≥ the observed one.
 *
 * The pooled kernel matrix is computed once; a permutation only re-sums the entries of the
 * relabelled window (m² terms) using precomputed row sums, so its cost is O(m²), not O((n+m)²).
 * This is CPU-bound: the service runs it in a worker thread (detector-pool.ts).
 */
import { seededRandom } from './rng.js';

/** Kernels offered. */
export const KERNELS = ['gaussian', 'laplacian', 'rational_quadratic'] as const;
/** A kernel name. */
export type Kernel = (typeof KERNELS)[number];

/** Input of {@link mmdTest}: row-major matrices with `dim` columns. */
export interface MmdInput {
  reference: Float64Array;
  window: Float64Array;
  dim: number;
  kernel: Kernel;
  /** Number of permutations N. */
  permutations: number;
  seed: number;
  /** ℓ; when absent, the median heuristic on the reference. */
  lengthScale?: number;
}

/** Result of {@link mmdTest}. */
export interface MmdResult {
  /** MMD²_u of reference vs window. */
  statistic: number;
  pValue: number;
  lengthScale: number;
  permutations: number;
  /** Permuted statistics ≥ the observed one (k). */
  exceedances: number;
}

/** Squared Euclidean distance between row i of `a` and row j of `b` (row-major, `dim` columns). */
export function squaredDistance(a: Float64Array, i: number, b: Float64Array, j: number, dim: number): number {
  let s = 0;
  const oi = i * dim;
  const oj = j * dim;
  for (let k = 0; k < dim; k++) {
    const d = (a[oi + k] as number) - (b[oj + k] as number);
    s += d * d;
  }
  return s;
}

/** ℓ by the median heuristic on one sample: √(median_{i<j} ‖x_i − x_j‖² / 2); 1 when that is 0. */
export function medianLengthScale(x: Float64Array, dim: number): number {
  const n = x.length / dim;
  const d2 = new Float64Array((n * (n - 1)) / 2);
  let p = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) d2[p++] = squaredDistance(x, i, x, j, dim);
  d2.sort();
  const len = d2.length;
  const median = len === 0 ? 0 : len % 2 === 1 ? (d2[(len - 1) / 2] as number) : ((d2[len / 2 - 1] as number) + (d2[len / 2] as number)) / 2;
  const l = Math.sqrt(median / 2);
  return l > 0 ? l : 1;
}

function kernelOf(kernel: Kernel, l: number): (d2: number) => number {
  switch (kernel) {
    case 'gaussian':
      return (d2) => Math.exp(-d2 / (2 * l * l));
    case 'laplacian':
      return (d2) => Math.exp(-Math.sqrt(d2) / l);
    case 'rational_quadratic':
      return (d2) => 1 / (1 + d2 / (2 * l * l));
  }
}

/**
 * Runs the test.
 * @throws RangeError when a sample has fewer than 2 rows or sizes do not match `dim`.
 */
export function mmdTest(input: MmdInput): MmdResult {
  const { dim } = input;
  if (dim <= 0 || input.reference.length % dim !== 0 || input.window.length % dim !== 0) throw new RangeError('mmd: matrix sizes do not match dim');
  const n = input.reference.length / dim;
  const m = input.window.length / dim;
  if (n < 2 || m < 2) throw new RangeError('mmd: each sample needs at least 2 rows');
  const l = input.lengthScale ?? medianLengthScale(input.reference, dim);
  const k = kernelOf(input.kernel, l);
  const N = n + m;
  const pooled = new Float64Array(N * dim);
  pooled.set(input.reference, 0);
  pooled.set(input.window, n * dim);
  // Pooled kernel matrix with a zero diagonal, and its row sums.
  const K = new Float64Array(N * N);
  const rowSum = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    for (let j = i + 1; j < N; j++) {
      const v = k(squaredDistance(pooled, i, pooled, j, dim));
      K[i * N + j] = v;
      K[j * N + i] = v;
      rowSum[i] = (rowSum[i] as number) + v;
      rowSum[j] = (rowSum[j] as number) + v;
    }
  }
  let total = 0;
  for (let i = 0; i < N; i++) total += rowSum[i] as number;
  // The smaller group is the one re-summed; the statistic is symmetric in which one it is.
  const small = Math.min(n, m);
  const large = N - small;
  const statOf = (idx: Int32Array): number => {
    let sSS = 0;
    let rows = 0;
    for (let a = 0; a < small; a++) {
      const i = idx[a] as number;
      const base = i * N;
      rows += rowSum[i] as number;
      for (let b = 0; b < small; b++) sSS += K[base + (idx[b] as number)] as number;
    }
    const sSL = rows - sSS;
    const sLL = total - sSS - 2 * sSL;
    return sSS / (small * (small - 1)) + sLL / (large * (large - 1)) - (2 * sSL) / (small * large);
  };
  const observedIdx = new Int32Array(small);
  const offset = m <= n ? n : 0;
  for (let a = 0; a < small; a++) observedIdx[a] = offset + a;
  const statistic = statOf(observedIdx);
  const rand = seededRandom(input.seed);
  const perm = new Int32Array(N);
  for (let i = 0; i < N; i++) perm[i] = i;
  const pick = new Int32Array(small);
  let exceed = 0;
  for (let p = 0; p < input.permutations; p++) {
    // Partial Fisher–Yates: the first `small` entries are a uniform random subset.
    for (let a = 0; a < small; a++) {
      const r = a + Math.floor(rand() * (N - a));
      const t = perm[a] as number;
      perm[a] = perm[r] as number;
      perm[r] = t;
    }
    pick.set(perm.subarray(0, small));
    pick.sort(); // row-ordered access is kinder to the cache
    // A tiny tolerance so float noise on ties counts as "≥" (the observed labelling itself).
    if (statOf(pick) >= statistic - 1e-12 * Math.abs(statistic)) exceed++;
  }
  return { statistic, pValue: (exceed + 1) / (input.permutations + 1), lengthScale: l, permutations: input.permutations, exceedances: exceed };
}
