/** Multiple-testing corrections over per-feature p-values. */

/** Name of a correction. */
export type Correction = 'bonferroni' | 'bh' | 'none';

/** Outcome of a correction: adjusted p-values and which hypotheses are rejected at alpha. */
export interface Corrected {
  /** Adjusted p-values (Bonferroni: min(1, p·d); BH: the step-up adjusted values), in input order. */
  adjusted: number[];
  rejected: boolean[];
  /** Smallest adjusted p-value: the family's p-value (drift when < alpha). */
  pValue: number;
}

/**
 * Bonferroni: reject p_i < alpha/d. Benjamini–Hochberg: sort ascending, find the largest i with
 * p_(i) ≤ alpha·i/d and reject every p ≤ p_(i); adjusted p_(i) = min_{j≥i} p_(j)·d/j. 'none'
 * rejects p < alpha. NaN p-values (untestable features) are never rejected and do not count in d.
 */
export function correct(pValues: readonly number[], alpha: number, method: Correction): Corrected {
  const idx = pValues.map((p, i) => [p, i] as const).filter(([p]) => !Number.isNaN(p));
  const d = idx.length;
  const adjusted = pValues.map(() => NaN);
  const rejected = pValues.map(() => false);
  if (d === 0) return { adjusted, rejected, pValue: NaN };
  if (method === 'none') {
    for (const [p, i] of idx) {
      adjusted[i] = p;
      rejected[i] = p < alpha;
    }
  } else if (method === 'bonferroni') {
    for (const [p, i] of idx) {
      adjusted[i] = Math.min(1, p * d);
      rejected[i] = p < alpha / d;
    }
  } else {
    const order = [...idx].sort((a, b) => a[0] - b[0]);
    let running = 1;
    for (let r = d; r >= 1; r--) {
      const [p, i] = order[r - 1] as readonly [number, number];
      running = Math.min(running, (p * d) / r);
      adjusted[i] = running;
    }
    let cutoff = -1;
    for (let r = 1; r <= d; r++) if ((order[r - 1] as readonly [number, number])[0] <= (alpha * r) / d) cutoff = r;
    for (let r = 1; r <= cutoff; r++) rejected[(order[r - 1] as readonly [number, number])[1]] = true;
  }
  let min = Infinity;
  for (const a of adjusted) if (!Number.isNaN(a) && a < min) min = a;
  return { adjusted, rejected, pValue: min };
}
