/**
 * Sequential detection over the stream of window p-values, with a configured expected run time
 * (ERT) between false alarms: a one-sided CUSUM (Page 1954) on z_t = Φ⁻¹(1 − p_t),
 *
 *   S_t = max(0, S_{t−1} + z_t − k),   alarm when S_t ≥ h, then S restarts at 0.
 *
 * Under no drift a valid p-value is uniform or larger (super-uniform), so z_t is N(0, 1) or
 * stochastically smaller, and the run length to a false alarm is at least that of the CUSUM on
 * independent N(0, 1) scores. h is set by simulating that CUSUM ({@link cusumThreshold}) so its
 * mean run length is the configured ERT (in windows). A drift that keeps p small (z around
 * 2–4) reaches h within a few windows: the delay is about h / (E z − k).
 *
 * This differs from alibi-detect's online detectors, which update per row with thresholds
 * simulated on the reference; here the unit is the window (so any detector's p-value feeds it).
 * The guarantee assumes independent windows: windows tested against one fixed reference are
 * positively correlated, which shortens run lengths somewhat (docs/monitor.md).
 */
import { seededRandom } from './rng.js';

/** Φ⁻¹(p), Acklam's rational approximation (relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p <= 0 ? -Infinity : Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239] as const;
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1] as const;
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783] as const;
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416] as const;
  const lo = 0.02425;
  let x: number;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - lo) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  return x;
}

/** The CUSUM score of a window p-value: Φ⁻¹(1 − p), p clipped to [1e-300, 1 − 1e-16]. */
export function cusumScore(p: number): number {
  const q = Math.min(Math.max(p, 1e-300), 1 - 1e-16);
  // Φ⁻¹(1 − q) = −Φ⁻¹(q): accurate for tiny q.
  return -normalQuantile(q);
}

/** One CUSUM step: the new S and whether it alarms (S is then restarted at 0 by the caller). */
export function cusumStep(s: number, p: number, k: number, h: number): { s: number; alarm: boolean } {
  const next = Math.max(0, s + cusumScore(p) - k);
  return { s: next, alarm: next >= h };
}

/** Mean run length to the first alarm of the CUSUM on N(0, 1) scores, by simulation. */
export function simulatedRunLength(k: number, h: number, runs: number, seed: number, cap = 1e7): number {
  const rand = seededRandom(seed);
  const normal = (): number => {
    let u = 0;
    while (u === 0) u = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  let total = 0;
  for (let r = 0; r < runs; r++) {
    let s = 0;
    let t = 0;
    while (t < cap) {
      t++;
      s = Math.max(0, s + normal() - k);
      if (s >= h) break;
    }
    total += t;
  }
  return total / runs;
}

/**
 * The threshold h whose simulated mean run length (N(0, 1) scores, `runs` runs) is `ert`
 * windows, by bisection on h (the run length grows with h).
 * @throws RangeError when ert < 2 or k < 0.
 */
export function cusumThreshold(ert: number, k: number, runs = 2000, seed = 1): number {
  if (!(ert >= 2)) throw new RangeError(`cusum: ert must be >= 2 windows, got ${ert}`);
  if (!(k >= 0)) throw new RangeError(`cusum: k must be >= 0, got ${k}`);
  let lo = 0;
  let hi = 1;
  while (simulatedRunLength(k, hi, runs, seed) < ert) hi *= 2;
  for (let i = 0; i < 30 && hi - lo > 1e-3; i++) {
    const mid = (lo + hi) / 2;
    if (simulatedRunLength(k, mid, runs, seed) < ert) lo = mid;
    else hi = mid;
  }
  return hi;
}
