/**
 * Effect sizes reported next to every p-value (large samples make tiny shifts significant):
 * PSI on reference-quantile bins and the 1-D Wasserstein distance normalised by the reference's
 * standard deviation.
 */

/** Smallest bin share used in PSI so an empty bin does not make it infinite (Evidently's 0.0001). */
export const PSI_FLOOR = 1e-4;

function sortedFinite(a: ArrayLike<number>): Float64Array {
  const s = Float64Array.from(a).filter((v) => Number.isFinite(v));
  s.sort();
  return s;
}

/** numpy's default (linear) quantile of an ascending-sorted array. */
export function quantileSorted(s: Float64Array, q: number): number {
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}

/**
 * Population stability index with `bins` bins whose inner edges are the reference's quantiles
 * 1/bins … (bins−1)/bins (duplicate edges merged), the outer bins open-ended, so each bin holds
 * about the same share of the reference. PSI = Σ (r_i − w_i)·ln(r_i/w_i) with shares floored
 * at {@link PSI_FLOOR}. Under no drift PSI ≈ (1/n + 1/m)·χ²(B−1), so it grows as windows shrink:
 * it is an effect size, not a test.
 */
export function psi(reference: ArrayLike<number>, window: ArrayLike<number>, bins = 10): number {
  const r = sortedFinite(reference);
  const w = sortedFinite(window);
  if (r.length === 0 || w.length === 0) return NaN;
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const e = quantileSorted(r, k / bins);
    if (edges.length === 0 || e > (edges[edges.length - 1] as number)) edges.push(e);
  }
  const share = (s: Float64Array): number[] => {
    const counts = new Array<number>(edges.length + 1).fill(0);
    let b = 0;
    for (const v of s) {
      while (b < edges.length && v > (edges[b] as number)) b++;
      counts[b] = (counts[b] as number) + 1;
    }
    return counts.map((c) => Math.max(PSI_FLOOR, c / s.length));
  };
  const rs = share(r);
  const ws = share(w);
  let total = 0;
  for (let k = 0; k < rs.length; k++) total += ((rs[k] as number) - (ws[k] as number)) * Math.log((rs[k] as number) / (ws[k] as number));
  return total;
}

/** First Wasserstein distance between two empirical distributions (scipy's wasserstein_distance). */
export function wasserstein(reference: ArrayLike<number>, window: ArrayLike<number>): number {
  const a = sortedFinite(reference);
  const b = sortedFinite(window);
  if (a.length === 0 || b.length === 0) return NaN;
  // Integrate |F_a − F_b| over the pooled support.
  let i = 0;
  let j = 0;
  let prev = Math.min(a[0] as number, b[0] as number);
  let dist = 0;
  while (i < a.length || j < b.length) {
    const x = Math.min(i < a.length ? (a[i] as number) : Infinity, j < b.length ? (b[j] as number) : Infinity);
    dist += Math.abs(i / a.length - j / b.length) * (x - prev);
    while (i < a.length && (a[i] as number) <= x) i++;
    while (j < b.length && (b[j] as number) <= x) j++;
    prev = x;
  }
  return dist;
}

/** Population standard deviation of the finite values. */
export function std(values: ArrayLike<number>): number {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let k = 0; k < values.length; k++) {
    const v = values[k] as number;
    if (!Number.isFinite(v)) continue;
    n++;
    const d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
  }
  return n > 0 ? Math.sqrt(m2 / n) : NaN;
}

/**
 * Smallest reference standard deviation {@link normalizedWasserstein} divides by (Evidently's
 * `max(np.std(reference), 0.001)`): a constant reference still gives a finite, large score when
 * the window moves, instead of 0 or infinity.
 */
export const WASSERSTEIN_STD_FLOOR = 0.001;

/**
 * Wasserstein distance divided by the reference's population standard deviation floored at
 * {@link WASSERSTEIN_STD_FLOOR} (Evidently's drift score); NaN when a sample has no finite value.
 */
export function normalizedWasserstein(reference: ArrayLike<number>, window: ArrayLike<number>): number {
  const s = std(reference);
  if (Number.isNaN(s)) return NaN;
  return wasserstein(reference, window) / Math.max(s, WASSERSTEIN_STD_FLOOR);
}
