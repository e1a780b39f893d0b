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

/** The report's CUSUM alarm (its `cusum` entry, when the model runs the sequential detector). */
function cusumAlarm(report: DriftReport): { s: number; h: number; runStart: number; ert: number } | undefined {
  const c = report.detectors?.find((d) => d.detector === 'cusum');
  if (!c?.drifted) return undefined;
  const d = c.details ?? {};
  return { s: c.statistic as number, h: Number(d['h']), runStart: Number(d['run_start'] ?? -1), ert: Number(d['ert_windows']) };
}

/** The report's online-detector alarm (its `online_mmd` entry, drifted when the window's rows raised one). */
function onlineAlarm(report: DriftReport): { statistic: number; threshold: number; alarms: number; ert: number; seq: number; row: number } | undefined {
  const c = report.detectors?.find((d) => d.detector === 'online_mmd');
  if (!c?.drifted) return undefined;
  const d = c.details ?? {};
  return { statistic: Number(d['first_alarm_statistic']), threshold: Number(d['first_alarm_threshold']), alarms: Number(d['alarms']), ert: Number(d['ert']), seq: Number(d['first_alarm_sequence']), row: Number(d['first_alarm_row']) };
}

/**
 * Whether a closed window asks for retraining: with retrain_trigger "consecutive" (the default),
 * when it is drifted and ends a streak of at least consecutive_windows; with "cusum", when the
 * sequential detector alarmed on it; with "online", when the online detector alarmed on one of its rows.
 */
export function retrainDue(report: DriftReport, consecutiveDrifted: number, mon: ModelMonitoring): boolean {
  if (mon.retrainTrigger === 'cusum') return cusumAlarm(report) !== undefined;
  if (mon.retrainTrigger === 'online') return onlineAlarm(report) !== undefined;
  return (report.drifted as boolean) && consecutiveDrifted >= mon.consecutiveWindows;
}

/**
 * The RetrainRequest for the streak ending with `report` (window `h.windowIndex`, not yet reset):
 * from the first drifted window after the last one an earlier request covered, to this one.
 * @param reportOf a stored report by id (for the range's first window).
 */
export function retrainRequest(h: WindowHeader, report: DriftReport, mon: ModelMonitoring, source: string, nowMs: number, reportOf: (id: string) => DriftReport | undefined): RetrainRequest {
  const requestId = `${report.report_id as string}/retrain`;
  // A CUSUM alarm covers the windows of its run (S > 0 since run_start); a streak its drifted windows.
  // An online alarm covers its window (the rows that raised it are the last window_size before it).
  const alarm = mon.retrainTrigger === 'cusum' ? cusumAlarm(report) : undefined;
  const online = mon.retrainTrigger === 'online' ? onlineAlarm(report) : undefined;
  const firstIndex = Math.max(alarm ? alarm.runStart : online ? h.windowIndex : h.streakFirstIndex, h.retrainedThroughIndex + 1, 0);
  const first = reportOf(reportIdOf(h.model, h.version, firstIndex)) ?? report;
  const ids: string[] = [];
  for (let i = Math.max(firstIndex, h.windowIndex - MAX_RETRAIN_REPORT_IDS + 1); i <= h.windowIndex; i++) ids.push(reportIdOf(h.model, h.version, i));
  return {
    meta: { event_id: requestId, time_unix_ms: String(nowMs), source, producer_version: '' },
    request_id: requestId,
    model: h.model,
    version: h.version,
    reason: online
      ? `online detector alarm: MMD² ${online.statistic.toPrecision(3)} > threshold ${online.threshold.toPrecision(3)} at sequence ${online.seq} row ${online.row} (${online.alarms} alarm(s) in window ${h.windowIndex}; expected ${online.ert} rows between false alarms)`
      : alarm
      ? `sequential detector alarm: CUSUM S ${alarm.s.toFixed(2)} >= h ${alarm.h.toFixed(2)} (expected ${alarm.ert} windows between false alarms) over windows ${firstIndex}..${h.windowIndex}`
      : `drift in ${h.consecutiveDrifted} consecutive windows (threshold ${mon.consecutiveWindows}) at alpha ${mon.alpha}`,
    report,
    first_sequence: String(first.first_sequence),
    first_row: Number(first.first_row ?? 0),
    last_sequence: String(report.last_sequence),
    last_row: Number(report.last_row ?? 0),
    consecutive_windows: h.consecutiveDrifted,
    drifted_report_ids: ids,
  };
}
