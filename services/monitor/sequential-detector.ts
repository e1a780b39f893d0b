/**
 * The sequential detector of a version's windows: a CUSUM (stats/sequential.ts) fed with each
 * closed window's family-wise p-value — the smallest Holm-adjusted p-value over the window's
 * tested detectors, min(1, m·p_min), a valid p-value for "no detector sees drift" whatever the
 * detectors' dependence. Its threshold h is simulated once per (ERT, k) so that the mean run
 * length between false alarms on clean windows is the configured ERT. The CUSUM's state (S and
 * the window its current run started at) lives in the version's window header; each report
 * carries a `cusum` entry with S after the window, so a close finished from a stored report
 * after a crash restores the same state.
 */
import type { DetectorResult } from '../../shared/events/index.js';
import { cusumStep, cusumThreshold } from './stats/sequential.js';
import { inFamily } from './detector-results.js';

const thresholds = new Map<string, number>();

/** h for an ERT (in windows) and k, simulated once and cached. */
export function cusumH(ertWindows: number, k: number): number {
  const key = `${ertWindows}/${k}`;
  let h = thresholds.get(key);
  if (h === undefined) thresholds.set(key, (h = cusumThreshold(ertWindows, k)));
  return h;
}

/** The CUSUM's state before a window. */
export interface CusumState {
  s: number;
  /** Index of the window the current run (S > 0) started at; -1 when S is 0. */
  runStart: number;
}

/**
 * One window's CUSUM step.
 * @returns the report entry (detector "cusum": statistic S after the window, drifted on an
 *   alarm, no p-value) and the state after it (S restarted at 0 after an alarm).
 */
export function cusumWindow(results: readonly DetectorResult[], before: CusumState, windowIndex: number, ertWindows: number, k: number): { result: DetectorResult; after: CusumState; alarm: boolean } {
  const h = cusumH(ertWindows, k);
  const tested = results.filter((r) => inFamily(r) && r.detector !== 'cusum');
  const base = { detector: 'cusum', statistic_name: 'CUSUM S on Φ⁻¹(1 − p) of the window\'s family-wise p (alarm at S ≥ h)', correction: 'none', features: [], has_p_value: false, p_value: 1 };
  if (tested.length === 0) {
    return { result: { ...base, statistic: before.s, drifted: false, details: { k, h, ert_windows: ertWindows, run_start: before.runStart }, skipped_reason: 'no detector gave this window a p-value: the CUSUM is unchanged' }, after: before, alarm: false };
  }
  const p = tested.reduce((m, r) => Math.min(m, Number(r.details?.['holm_p_value'] ?? Math.min(1, tested.length * (r.p_value as number)))), 1);
  const step = cusumStep(before.s, p, k, h);
  const runStart = step.s > 0 ? (before.s > 0 ? before.runStart : windowIndex) : -1;
  return {
    result: { ...base, statistic: step.s, drifted: step.alarm, details: { k, h, ert_windows: ertWindows, family_p_value: p, run_start: runStart }, skipped_reason: '' },
    after: step.alarm ? { s: 0, runStart: -1 } : { s: step.s, runStart },
    alarm: step.alarm,
  };
}

/** The state after a stored report's window (for a close finished from the report). */
export function cusumAfterReport(entry: DetectorResult | undefined, before: CusumState): CusumState {
  if (!entry || entry.skipped_reason) return before;
  if (entry.drifted) return { s: 0, runStart: -1 };
  const s = entry.statistic as number;
  return { s, runStart: s > 0 ? Number(entry.details?.['run_start'] ?? -1) : -1 };
}
