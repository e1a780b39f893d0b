/**
 * Drift streaks and RetrainRequests. A version's streak is the run of drifted windows up to the
 * last closed one; a RetrainRequest covers the drifted windows of the streak that no earlier
 * request covered, so a second request (after the cooldown, the streak going on) asks for the
 * new data only, and its report-id list does not grow with the streak.
 */
import type { DriftReport, RetrainRequest } from '../../shared/events/index.js';
import type { ModelMonitoring } from './model-monitoring.js';
import type { WindowHeader } from './window.js';

/** Most report ids a RetrainRequest lists (the newest; its sequence range still covers every window). */
export const MAX_RETRAIN_REPORT_IDS = 100;

/** The report id of window `index` of a version. */
export function reportIdOf(model: string, version: string, index: number): string {
  return `${model}/${version}/${index}`;
}

/** Updates a version's drift streak with the verdict on window `index`. */
export function updateStreak(h: WindowHeader, drifted: boolean, index: number): void {
  if (drifted) {
    if (h.consecutiveDrifted === 0) h.streakFirstIndex = index;
    h.consecutiveDrifted += 1;
  } else {
    h.consecutiveDrifted = 0;
    h.streakFirstIndex = -1;
  }
}

/**
 * The RetrainRequest for the streak ending with `report` (window `h.windowIndex`, not yet reset):
 * from the first drifted window after the last one an earlier request covered, to this one.
 * @param reportOf a stored report by id (for the range's first window).
 */
export function retrainRequest(h: WindowHeader, report: DriftReport, mon: ModelMonitoring, source: string, nowMs: number, reportOf: (id: string) => DriftReport | undefined): RetrainRequest {
  const requestId = `${report.report_id as string}/retrain`;
  const firstIndex = Math.max(h.streakFirstIndex, h.retrainedThroughIndex + 1, 0);
  const first = reportOf(reportIdOf(h.model, h.version, firstIndex)) ?? report;
  const ids: string[] = [];
  for (let i = Math.max(firstIndex, h.windowIndex - MAX_RETRAIN_REPORT_IDS + 1); i <= h.windowIndex; i++) ids.push(reportIdOf(h.model, h.version, i));
  return {
    meta: { event_id: requestId, time_unix_ms: String(nowMs), source, producer_version: '' },
    request_id: requestId,
    model: h.model,
    version: h.version,
    reason: `drift in ${h.consecutiveDrifted} consecutive windows (threshold ${mon.consecutiveWindows}) at alpha ${mon.alpha}`,
    report,
    first_sequence: String(first.first_sequence),
    first_row: Number(first.first_row ?? 0),
    last_sequence: String(report.last_sequence),
    last_row: Number(report.last_row ?? 0),
    consecutive_windows: h.consecutiveDrifted,
    drifted_report_ids: ids,
  };
}
