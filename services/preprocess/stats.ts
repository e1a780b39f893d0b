/**
 * Statistics the fitters need, written to match numpy/scikit-learn: quantiles with numpy's
 * default linear interpolation, population variance (ddof 0), sklearn's handling of zero scales.
 */

/** A growable float64 array: the values of one column, for the statistics that need them all. */
export class ValueCollector {
  private buf = new Float64Array(1024);
  private n = 0;

  push(v: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
  }

  get length(): number {
    return this.n;
  }

  /** The values sorted ascending (a copy). */
  sorted(): Float64Array {
    return this.buf.slice(0, this.n).sort();
  }

  /** The values in arrival order (a view). */
  values(): Float64Array {
    return this.buf.subarray(0, this.n);
  }
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of ascending `sorted` values, numpy's default method ('linear'):
 * h = (n − 1)·q, then linear interpolation between the neighbours, written as numpy's `_lerp`.
 */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  const t = h - lo;
  // numpy's _lerp: a + (b-a)·t, computed from the upper end when t ≥ 0.5 (exact at t = 1).
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** The median of ascending values (numpy's). */
export function medianSorted(sorted: Float64Array): number {
  return quantileSorted(sorted, 0.5);
}

/**
 * Running count, mean and population variance (Welford), for StandardScaler and mean
 * imputation without keeping values.
 */
export class MeanVar {
  n = 0;
  mean = 0;
  private m2 = 0;
  min = Infinity;
  max = -Infinity;

  push(v: number): void {
    this.n++;
    const d = v - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (v - this.mean);
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** Population variance (ddof 0), as StandardScaler. */
  get variance(): number {
    return this.n > 0 ? this.m2 / this.n : NaN;
  }
}

/**
 * StandardScaler's scale: √var, or 1 for a constant feature as sklearn decides it
 * (`_is_constant_feature`: var ≤ n·eps·var + (n·mean·eps)², which tolerates the rounding of
 * large constant values and keeps tiny but real spreads).
 */
export function standardScale(mv: MeanVar): number {
  const eps = Number.EPSILON;
  const v = mv.variance;
  const bound = mv.n * eps * v + (mv.n * mv.mean * eps) ** 2;
  return v <= bound ? 1 : Math.sqrt(v);
}

/** sklearn's `_handle_zeros_in_scale` (MinMaxScaler, RobustScaler): a scale of (nearly) zero becomes 1. */
export function handleZeroScale(scale: number): number {
  return scale < 10 * Number.EPSILON ? 1 : scale;
}

/**
 * Counts of the values of a categorical column, keyed by their text. With `numeric`, the keys
 * are numbers' {@link numberText} and sort by value, as numpy sorts a numeric column.
 */
export class CategoryCounts {
  readonly counts = new Map<string, number>();
  total = 0;

  constructor(readonly numeric = false) {}

  push(v: string): void {
    this.counts.set(v, (this.counts.get(v) ?? 0) + 1);
    this.total++;
  }

  /** Categories sorted as Python sorts strings (by code point), or numbers by value. */
  sortedCategories(): string[] {
    const keys = [...this.counts.keys()];
    return this.numeric ? keys.sort((a, b) => Number(a) - Number(b)) : keys.sort(compareCodePoints);
  }
}

/**
 * The text of a number as a category: an integer in full digits (`10`, not `1e+1`; as Python
 * writes an int), any other value in the shortest text that reads back as the same float64
 * (`2.5`). Distinct values get distinct texts (0 and −0 are one value, as in numpy's unique).
 */
export function numberText(v: number): string {
  return Number.isInteger(v) && !Number.isSafeInteger(v) ? BigInt(v).toString() : String(v === 0 ? 0 : v);
}

/** String order by code point (Python's `sorted`), not by UTF-16 unit or locale. */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0) as number;
    const cy = y.value.codePointAt(0) as number;
    if (cx !== cy) return cx - cy;
  }
}

/**
 * The most frequent value; ties go to the smallest (sklearn's SimpleImputer picks the smallest
 * of the modes, for numbers and strings alike).
 */
export function mostFrequent<T>(counts: Map<T, number>, compare: (a: T, b: T) => number): T | undefined {
  let best: T | undefined;
  let bestCount = -1;
  for (const [v, c] of counts) {
    if (c > bestCount || (c === bestCount && best !== undefined && compare(v, best) < 0)) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}

/**
 * numpy's pairwise summation (`pairwise_sum_DOUBLE`): blocks of 128 summed with 8
 * accumulators, larger arrays split in halves. `np.sum` and `np.var` of a float64 array give
 * exactly these bits; the Yeo-Johnson likelihood is so flat at its optimum that matching
 * sklearn's lambda to 1e-8 needs the same rounding.
 */
export function pairwiseSum(a: Float64Array, start = 0, n = a.length): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i] as number;
    return res;
  }
  if (n <= 128) {
    const r = [0, 0, 0, 0, 0, 0, 0, 0].map((_, j) => a[start + j] as number) as [number, number, number, number, number, number, number, number];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j as 0] += a[start + i + j] as number;
    }
    let res = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i] as number;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** numpy's `x.var()` (ddof 0): pairwise mean, then the pairwise mean of squared deviations. */
export function numpyVar(x: Float64Array): number {
  const n = x.length;
  const mean = pairwiseSum(x) / n;
  const sq = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = (x[i] as number) - mean;
    sq[i] = d * d;
  }
  return pairwiseSum(sq) / n;
}
