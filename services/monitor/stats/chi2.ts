/**
 * Chi-squared test of homogeneity on a 2 × K table (reference counts; window counts), as scipy's
 * `chi2_contingency(table)` with its default Yates continuity correction when dof = 1.
 * Categories counted zero in both rows are dropped (they carry no information and would make an
 * expected count zero); categories seen only in the window stay in the table (their reference
 * count is 0) and are reported by the caller as unseen.
 */
import { chi2Sf } from './special.js';

/** Result of {@link chi2Homogeneity}. */
export interface Chi2Result {
  statistic: number;
  pValue: number;
  dof: number;
}

/**
 * @param reference counts per category in the reference
 * @param window counts per category in the window (same category order)
 * @throws RangeError when the rows differ in length or either row sums to zero.
 */
export function chi2Homogeneity(reference: readonly number[], window: readonly number[]): Chi2Result {
  if (reference.length !== window.length) throw new RangeError('chi2Homogeneity: rows differ in length');
  const cols: Array<[number, number]> = [];
  for (let k = 0; k < reference.length; k++) {
    const a = reference[k] as number;
    const b = window[k] as number;
    if (a + b > 0) cols.push([a, b]);
  }
  const r0 = cols.reduce((s, c) => s + c[0], 0);
  const r1 = cols.reduce((s, c) => s + c[1], 0);
  if (r0 === 0 || r1 === 0) throw new RangeError('chi2Homogeneity: a row has no counts');
  const dof = cols.length - 1;
  if (dof === 0) return { statistic: 0, pValue: 1, dof: 0 };
  const total = r0 + r1;
  let stat = 0;
  for (const [a, b] of cols) {
    const colSum = a + b;
    for (const [obs, rowSum] of [[a, r0], [b, r1]] as const) {
      const expected = (rowSum * colSum) / total;
      let o = obs;
      if (dof === 1) {
        // Yates: move each observed count up to 0.5 towards its expected count.
        const diff = expected - o;
        o += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      }
      stat += ((o - expected) * (o - expected)) / expected;
    }
  }
  return { statistic: stat, pValue: chi2Sf(stat, dof), dof };
}
