/**
 * Mean cosine similarity of the window's rows to the reference centroid, with a permutation
 * p-value (the embedding detector of Evidently's and TorchDrift's examples, made a test):
 *
 *   c = mean of the reference rows,   s = (1/m) Σ_w cos(w, c)
 *
 * Under no drift the window's rows are as close to the centroid as reference rows not used to
 * build it. p: the pooled rows are split at random N times into a reference and a window of the
 * observed sizes, the centroid recomputed each time. Two-sided: with k₋ splits whose s is ≤ the
 * observed one and k₊ whose s is ≥ it, p = min(1, 2 · (min(k₋, k₊) + 1)/(N + 1)). Both ways are
 * drift: a window that moved away from the centroid (new content) has a lower s, a window that
 * collapsed towards it (blurred digits: smoother, more average images) a higher one. Rows of
 * norm 0 count as cosine 0.
 * A split costs O(m · d) (the centroid from the pooled sum less the window's).
 */
import { seededRandom } from './rng.js';

/** Input of {@link cosineTest}: row-major matrices with `dim` columns. */
export interface CosineInput {
  reference: Float64Array;
  window: Float64Array;
  dim: number;
  permutations: number;
  seed: number;
}

/** Result of {@link cosineTest}. */
export interface CosineResult {
  /** Mean cosine similarity of the window's rows to the reference centroid. */
  statistic: number;
  pValue: number;
  /** Mean cosine similarity of the reference's own rows to its centroid (in-sample, so a little higher). */
  referenceMean: number;
  centroidNorm: number;
  /** Splits with s ≤ the observed (k₋) and ≥ it (k₊). */
  below: number;
  above: number;
}

/**
 * Runs the test.
 * @throws RangeError when sizes do not match `dim`, a sample has fewer than 2 rows or the
 *   reference centroid is the zero vector.
 */
export function cosineTest(input: CosineInput): CosineResult {
  const { dim } = input;
  if (dim <= 0 || input.reference.length % dim !== 0 || input.window.length % dim !== 0) throw new RangeError('cosine: matrix sizes do not match dim');
  const n = input.reference.length / dim;
  const m = input.window.length / dim;
  if (n < 2 || m < 2) throw new RangeError('cosine: each sample needs at least 2 rows');
  const N = n + m;
  const pooled = new Float64Array(N * dim);
  pooled.set(input.reference);
  pooled.set(input.window, n * dim);
  const norms = new Float64Array(N);
  const total = new Float64Array(dim);
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const v = pooled[i * dim + j] as number;
      s += v * v;
      total[j] = (total[j] as number) + v;
    }
    norms[i] = Math.sqrt(s);
  }
  const centroid = new Float64Array(dim);
  /** Mean cosine of rows `win` to the centroid of the other pooled rows. */
  const meanCos = (win: ArrayLike<number>): number => {
    centroid.set(total);
    for (let a = 0; a < win.length; a++) {
      const o = (win[a] as number) * dim;
      for (let j = 0; j < dim; j++) centroid[j] = (centroid[j] as number) - (pooled[o + j] as number);
    }
    let cn = 0;
    for (let j = 0; j < dim; j++) cn += (centroid[j] as number) ** 2;
    cn = Math.sqrt(cn);
    if (cn === 0) return 0;
    let s = 0;
    for (let a = 0; a < win.length; a++) {
      const r = win[a] as number;
      const nr = norms[r] as number;
      if (nr === 0) continue;
      let dot = 0;
      const o = r * dim;
      for (let j = 0; j < dim; j++) dot += (pooled[o + j] as number) * (centroid[j] as number);
      s += dot / (nr * cn);
    }
    return s / win.length;
  };
  const observed = Int32Array.from({ length: m }, (_, i) => n + i);
  const refCentroid = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) refCentroid[j] = (refCentroid[j] as number) + (pooled[i * dim + j] as number) / n;
  const centroidNorm = Math.sqrt(refCentroid.reduce((a, v) => a + v * v, 0));
  if (centroidNorm === 0) throw new RangeError('cosine: the reference centroid is the zero vector');
  const statistic = meanCos(observed);
  // The reference rows' own mean cosine to the full reference centroid.
  let refMean = 0;
  for (let i = 0; i < n; i++) {
    if (norms[i] === 0) continue;
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += (pooled[i * dim + j] as number) * (refCentroid[j] as number);
    refMean += dot / ((norms[i] as number) * centroidNorm);
  }
  refMean /= n;
  const rand = seededRandom(input.seed);
  const perm = Int32Array.from({ length: N }, (_, i) => i);
  let below = 0;
  let above = 0;
  const tol = 1e-12 * Math.abs(statistic);
  for (let p = 0; p < input.permutations; p++) {
    for (let a = 0; a < m; a++) {
      const r = a + Math.floor(rand() * (N - a));
      const t = perm[a] as number;
      perm[a] = perm[r] as number;
      perm[r] = t;
    }
    const sp = meanCos(perm.subarray(0, m));
    if (sp <= statistic + tol) below++;
    if (sp >= statistic - tol) above++;
  }
  const pValue = Math.min(1, (2 * (Math.min(below, above) + 1)) / (input.permutations + 1));
  return { statistic, pValue, referenceMean: refMean, centroidNorm, below, above };
}
