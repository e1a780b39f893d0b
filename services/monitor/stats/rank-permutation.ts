/**
 * Permutation p-values of the two-sample Cramér–von Mises and Anderson–Darling statistics: the
 * pooled values are split at random N times into samples of the observed sizes; p = (k + 1) /
 * (N + 1), k = splits whose statistic is ≥ the observed one. Exact in level whatever the ties
 * (the asymptotic p-values are not: with many tied values their far tails are too small). The
 * pooled values are sorted once and grouped into blocks of equal values; a split then costs
 * O(n + m) (one pass over the blocks).
 */
import { seededRandom } from './rng.js';

/** Which statistic to permute. */
export type RankStatistic = 'cvm' | 'ad';

/** Result of {@link rankPermutationSf}. */
export interface RankPermutationResult {
  pValue: number;
  exceedances: number;
  /** The observed statistic: CvM T, or Anderson–Darling A²akN before normalisation. */
  statistic: number;
}

/**
 * Runs the permutation test on the finite values of `x` and `y`.
 * @throws RangeError when a sample has no finite values.
 */
export function rankPermutationSf(kind: RankStatistic, x: ArrayLike<number>, y: ArrayLike<number>, permutations: number, seed: number): RankPermutationResult {
  const xs = Float64Array.from(x).filter(Number.isFinite);
  const ys = Float64Array.from(y).filter(Number.isFinite);
  const n1 = xs.length;
  const n2 = ys.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('rank permutation: a sample has no values');
  const N = n1 + n2;
  const pooled = new Float64Array(N);
  pooled.set(xs);
  pooled.set(ys, n1);
  const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => (pooled[a] as number) - (pooled[b] as number));
  const starts: number[] = [];
  const lens: number[] = [];
  for (let i = 0; i < N; ) {
    let j = i;
    while (j + 1 < N && pooled[order[j + 1] as number] === pooled[order[i] as number]) j++;
    starts.push(i);
    lens.push(j - i + 1);
    i = j + 1;
  }
  /** The statistic of the split where sorted position p is in the first sample iff inX[p]. */
  const statOf = (inX: Uint8Array): number => {
    let before = 0;
    let s1 = 0;
    let s2 = 0;
    for (let b = 0; b < starts.length; b++) {
      const st = starts[b] as number;
      const l = lens[b] as number;
      let inBlock = 0;
      for (let p = st; p < st + l; p++) inBlock += inX[p] as number;
      if (kind === 'cvm') {
        // T = n m / N² Σ over pooled values of (F_x − F_y)², the ECDFs taken after the block.
        before += inBlock;
        const after2 = st + l - before;
        s1 += l * (before / n1 - after2 / n2) ** 2;
      } else {
        // Scholz & Stephens' midrank A²akN (scipy's _anderson_ksamp_midrank, k = 2).
        const Bj = st + l / 2;
        const M1 = before + inBlock / 2;
        const M2 = Bj - M1;
        const den = Bj * (N - Bj) - (N * l) / 4;
        s1 += ((l / N) * (N * M1 - Bj * n1) ** 2) / den;
        s2 += ((l / N) * (N * M2 - Bj * n2) ** 2) / den;
        before += inBlock;
      }
    }
    return kind === 'cvm' ? ((n1 * n2) / (N * N)) * s1 : ((s1 / n1 + s2 / n2) * (N - 1)) / N;
  };
  const observed = new Uint8Array(N);
  order.forEach((orig, p) => (observed[p] = orig < n1 ? 1 : 0));
  const obs = statOf(observed);
  const rand = seededRandom(seed);
  const idx = Int32Array.from({ length: N }, (_, i) => i);
  const mask = new Uint8Array(N);
  let exceed = 0;
  for (let k = 0; k < permutations; k++) {
    mask.fill(0);
    for (let i = 0; i < n1; i++) {
      const r = i + Math.floor(rand() * (N - i));
      const t = idx[i] as number;
      idx[i] = idx[r] as number;
      idx[r] = t;
      mask[idx[i] as number] = 1;
    }
    if (statOf(mask) >= obs - 1e-12 * Math.abs(obs)) exceed++;
  }
  return { pValue: (exceed + 1) / (permutations + 1), exceedances: exceed, statistic: obs };
}
