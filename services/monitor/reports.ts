/** Closed-window reports: built, kept in memory (loaded from the state folder at start), queried by time, and streamed to watchers. */
import type { DriftReport } from '../../shared/events/index.js';
import type { Verdict } from './detectors.js';
import type { Reference } from './reference.js';
import { reportIdOf } from './retrain.js';
import type { WindowHeader } from './window.js';

/** The DriftReport of a closing window (its header not yet reset; the streak already updated). */
export function buildDriftReport(h: WindowHeader, reason: 'count' | 'time', alpha: number, verdict: Verdict, ref: Reference | null, source: string, nowMs: number): DriftReport {
  const reportId = reportIdOf(h.model, h.version, h.windowIndex);
  return {
    meta: { event_id: reportId, time_unix_ms: String(nowMs), source, producer_version: '' },
    report_id: reportId,
    model: h.model,
    version: h.version,
    window_index: String(h.windowIndex),
    window_start_ms: String(h.startMs),
    window_end_ms: String(h.endMs),
    rows: String(h.rows),
    first_sequence: String(h.firstSeq),
    first_row: h.firstRow,
    last_sequence: String(h.lastSeq),
    last_row: h.lastRow,
    close_reason: reason,
    alpha,
    drifted: verdict.drifted,
    detectors: verdict.results,
    reference_rows: String(ref?.rows ?? 0),
    reference_sha256: ref?.sha256 ?? '',
    consecutive_drifted: h.consecutiveDrifted,
  };
}

/** A listener for new reports; returns nothing, must not throw. */
export type ReportListener = (report: DriftReport) => void;

/** In-memory index of reports per model, oldest first. */
export class ReportIndex {
  private readonly byModel = new Map<string, DriftReport[]>();
  private readonly byId = new Map<string, DriftReport>();
  private readonly listeners = new Set<ReportListener>();

  /** Adds a report; false when one with the same id is already there (a recomputed window). */
  add(report: DriftReport, notify = true): boolean {
    const id = report.report_id as string;
    if (this.byId.has(id)) return false;
    this.byId.set(id, report);
    const model = report.model as string;
    let list = this.byModel.get(model);
    if (!list) this.byModel.set(model, (list = []));
    list.push(report);
    if (notify) for (const l of this.listeners) l(report);
    return true;
  }

  /** The report with this id, if stored. */
  get(id: string): DriftReport | undefined {
    return this.byId.get(id);
  }

  /** Reports of `model` (and `version` when given) whose window ended in [fromMs, toMs], the newest `limit`. */
  list(model: string, version: string, fromMs: number, toMs: number, limit: number): DriftReport[] {
    const all = this.byModel.get(model) ?? [];
    const hits = all.filter((r) => {
      const end = Number(r.window_end_ms);
      return (version === '' || r.version === version) && (fromMs <= 0 || end >= fromMs) && (toMs <= 0 || end <= toMs);
    });
    return hits.slice(Math.max(0, hits.length - limit));
  }

  models(): string[] {
    return [...this.byModel.keys()];
  }

  /** Registers a listener; returns the function that removes it. */
  watch(listener: ReportListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
