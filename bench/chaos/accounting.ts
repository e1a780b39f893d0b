/**
 * The chaos run's figures per period (the steady start, then one period per fault: from its
 * injection to the end of its settle time): requests sent, failed and hidden by the client's
 * retry; prediction logs answered but missing from the stream, stored twice, or stored for a
 * call the client saw fail; monitor window rows lost or double-counted; time to recover.
 *
 * A request belongs to the period in which it settled (a request in flight when a fault is
 * injected is that fault's), a prediction log to its request's period.
 *
 * Windows are compared with the stream row by row: each drift report names the stream range of
 * its window (first/last sequence and row), so every logged row of the model should be in exactly
 * one window, and a window should hold exactly the rows of the stream in its range. A row in no
 * window (before the last closed window's end) is lost; a row in two windows is double-counted;
 * a window whose `rows` exceeds the stream rows of its range counted some twice, one below it
 * skipped some. Rows after the last closed window are still in the open window (`open`).
 */
import type { Injection } from './faults.js';
import type { Sent } from './load.js';
import type { StreamContents, StreamLog } from './stream.js';

/** One period of the run. */
export interface Period {
  name: string;
  what: string;
  /** Epoch ms: requests settled in [startMs, endMs) belong to it. */
  startMs: number;
  endMs: number;
  injection: Injection | undefined;
}

/** The figures of one period. */
export interface PeriodFigures {
  fault: string;
  what: string;
  sent: number;
  ok: number;
  /** Answered with a prediction after a retry: failures the client's retry hid. */
  hiddenByRetry: number;
  failed: number;
  /** Failures by status. */
  errors: Record<string, number>;
  /** One message per failure status, with the attempts that call made. */
  errorSamples: Record<string, string>;
  /** Answered with a prediction, and no log with its request id in the stream. */
  logsMissing: number;
  /** Request ids with more than one log in the stream. */
  logsTwice: number;
  /** Of those, the ones with one event id stored twice (a replay JetStream did not deduplicate), as against two predictions made for one request (a retried hop). */
  logsTwiceSameEvent: number;
  /** Failed calls whose prediction was logged anyway (the model answered; the client did not get it). */
  loggedButFailed: number;
  /** Logged rows in no closed window (before the last window's end), plus rows a window skipped in its range. */
  windowRowsLost: number;
  /** Rows in two windows, plus rows a window counted beyond the stream's. */
  windowRowsDouble: number;
  /** Logged rows after the last closed window (in the open window). */
  windowRowsOpen: number;
  /** Windows whose first row is a log of this period. */
  windows: number;
  /** From the injection to the end of the first clean answer (first attempt) sent after the last failed or retried request of the period, in ms; 0 when no request was disturbed. */
  recoveredMs: number | undefined;
  /** From the injection to the fault's own "whole again" signal, in ms (see restoredBy). */
  restoredMs: number | undefined;
  restoredBy: string;
  /** Prediction logs inference counted as dropped at the spool cap. */
  dropped: number;
  p50Ms: number | undefined;
  maxMs: number | undefined;
  notes: string[];
}

/** The whole account. */
export interface Account {
  periods: PeriodFigures[];
  totals: { sent: number; ok: number; hiddenByRetry: number; failed: number; pending: number; logs: number; windows: number; repeatedReports: number; unknownLogs: number; unknownIds: string[]; windowIndexGaps: number[]; monitorCaughtUp: boolean };
}

function quantile(xs: number[], q: number): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** Index of the first log with seq >= `seq` in logs sorted by seq. */
function lowerBound(logs: readonly StreamLog[], seq: number): number {
  let lo = 0;
  let hi = logs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((logs[mid] as StreamLog).seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const settled = (s: Sent): number => s.doneMs ?? s.sentMs;

/** Window indexes missing between the first and the last report (a window never reported). */
function indexGaps(indexes: readonly number[]): number[] {
  const have = new Set(indexes);
  const gaps: number[] = [];
  if (indexes.length === 0) return gaps;
  for (let i = Math.min(...indexes); i <= Math.max(...indexes); i++) if (!have.has(i)) gaps.push(i);
  return gaps;
}

/** Accounts for every period. */
export function account(periods: readonly Period[], sent: readonly Sent[], stream: StreamContents): Account {
  const periodOf = (ms: number): number => periods.findIndex((p) => ms >= p.startMs && ms < p.endMs);
  const sentById = new Map(sent.map((s) => [s.id, s]));
  const logs = [...stream.logs].sort((a, b) => a.seq - b.seq);
  const logsById = new Map<string, StreamLog[]>();
  for (const l of logs) logsById.set(l.requestId, [...(logsById.get(l.requestId) ?? []), l]);
  const logPeriod = (l: StreamLog): number => {
    const s = sentById.get(l.requestId);
    return s ? periodOf(settled(s)) : -1;
  };

  // Row coverage by the windows, and each window's own count against the stream.
  const coverage = new Map<string, number>();
  const lost = periods.map(() => 0);
  const double = periods.map(() => 0);
  const windows = periods.map(() => 0);
  let maxLastSeq = 0;
  for (const w of stream.windows) {
    maxLastSeq = Math.max(maxLastSeq, w.lastSeq);
    let covered = 0;
    let firstPeriod = -1;
    for (let i = lowerBound(logs, w.firstSeq); i < logs.length && (logs[i] as StreamLog).seq <= w.lastSeq; i++) {
      const l = logs[i] as StreamLog;
      for (let r = 0; r < l.rows; r++) {
        if (l.seq === w.firstSeq && r < w.firstRow) continue;
        if (l.seq === w.lastSeq && r > w.lastRow) continue;
        if (firstPeriod < 0) firstPeriod = logPeriod(l);
        const key = `${l.seq}:${r}`;
        coverage.set(key, (coverage.get(key) ?? 0) + 1);
        covered++;
      }
    }
    if (firstPeriod >= 0) {
      windows[firstPeriod] = (windows[firstPeriod] ?? 0) + 1;
      if (covered > w.rows) lost[firstPeriod] = (lost[firstPeriod] ?? 0) + (covered - w.rows);
      if (w.rows > covered) double[firstPeriod] = (double[firstPeriod] ?? 0) + (w.rows - covered);
    }
  }
  const open = periods.map(() => 0);
  let unknownLogs = 0;
  const unknownIds: string[] = [];
  for (const l of logs) {
    const p = logPeriod(l);
    if (p < 0) {
      unknownLogs++;
      if (unknownIds.length < 5) unknownIds.push(l.requestId);
      continue;
    }
    for (let r = 0; r < l.rows; r++) {
      const c = coverage.get(`${l.seq}:${r}`) ?? 0;
      if (l.seq > maxLastSeq) open[p] = (open[p] ?? 0) + 1;
      else if (c === 0) lost[p] = (lost[p] ?? 0) + 1;
      else if (c > 1) double[p] = (double[p] ?? 0) + (c - 1);
    }
  }

  const figures = periods.map((p, i): PeriodFigures => {
    const mine = sent.filter((s) => periodOf(settled(s)) === i);
    const errors: Record<string, number> = {};
    const errorSamples: Record<string, string> = {};
    for (const s of mine) {
      if (s.outcome !== 'failed') continue;
      const k = s.error ?? '?';
      errors[k] = (errors[k] ?? 0) + 1;
      errorSamples[k] ??= `${s.message ?? ''} (${s.attempts} attempt${s.attempts > 1 ? 's' : ''})`;
    }
    const answered = mine.filter((s) => s.outcome === 'ok' || s.outcome === 'retried');
    const inj = p.injection;
    let recoveredMs: number | undefined;
    if (inj) {
      const disturbed = mine.filter((s) => s.outcome === 'failed' || s.outcome === 'retried');
      if (disturbed.length === 0) recoveredMs = 0;
      else {
        const last = Math.max(...disturbed.map((s) => s.sentMs));
        const clean = mine.filter((s) => s.sentMs > last && s.outcome === 'ok').sort((a, b) => a.sentMs - b.sentMs)[0];
        recoveredMs = clean?.doneMs === undefined ? undefined : clean.doneMs - inj.injectedMs;
      }
    }
    const latencies = answered.map((s) => (s.doneMs ?? s.sentMs) - s.sentMs);
    return {
      fault: p.name,
      what: p.what,
      sent: mine.length,
      ok: mine.filter((s) => s.outcome === 'ok').length,
      hiddenByRetry: mine.filter((s) => s.outcome === 'retried').length,
      failed: mine.filter((s) => s.outcome === 'failed').length,
      errors,
      errorSamples,
      logsMissing: answered.filter((s) => !logsById.has(s.id)).length,
      logsTwice: mine.filter((s) => (logsById.get(s.id)?.length ?? 0) > 1).length,
      logsTwiceSameEvent: mine.filter((s) => {
        const ls = logsById.get(s.id) ?? [];
        return new Set(ls.map((l) => l.eventId)).size < ls.length;
      }).length,
      loggedButFailed: mine.filter((s) => s.outcome === 'failed' && logsById.has(s.id)).length,
      windowRowsLost: lost[i] ?? 0,
      windowRowsDouble: double[i] ?? 0,
      windowRowsOpen: open[i] ?? 0,
      windows: windows[i] ?? 0,
      recoveredMs,
      restoredMs: inj?.restoredMs === undefined ? undefined : inj.restoredMs - inj.injectedMs,
      restoredBy: inj?.restoredBy ?? '',
      dropped: inj?.dropped ?? 0,
      p50Ms: quantile(latencies, 0.5),
      maxMs: latencies.length ? Math.max(...latencies) : undefined,
      notes: inj?.notes ?? [],
    };
  });
  return {
    periods: figures,
    totals: {
      sent: sent.length,
      ok: sent.filter((s) => s.outcome === 'ok').length,
      hiddenByRetry: sent.filter((s) => s.outcome === 'retried').length,
      failed: sent.filter((s) => s.outcome === 'failed').length,
      pending: sent.filter((s) => s.outcome === 'pending').length,
      logs: logs.length,
      windows: stream.windows.length,
      repeatedReports: stream.repeatedReports,
      unknownLogs,
      unknownIds,
      windowIndexGaps: indexGaps(stream.windows.map((w) => w.windowIndex)),
      monitorCaughtUp: stream.monitorCaughtUp,
    },
  };
}

const COLUMNS: [string, (f: PeriodFigures) => string][] = [
  ['fault', (f) => f.fault],
  ['sent', (f) => String(f.sent)],
  ['failed', (f) => String(f.failed)],
  ['hidden by retry', (f) => String(f.hiddenByRetry)],
  ['logs missing', (f) => String(f.logsMissing)],
  ['logs twice', (f) => String(f.logsTwice)],
  ['logged, call failed', (f) => String(f.loggedButFailed)],
  ['spool drops', (f) => String(f.dropped)],
  ['window rows lost', (f) => String(f.windowRowsLost)],
  ['window rows double', (f) => String(f.windowRowsDouble)],
  ['windows', (f) => String(f.windows)],
  ['recovered ms', (f) => (f.recoveredMs === undefined ? (f.fault === 'steady' ? '' : 'never') : String(f.recoveredMs))],
  ['restored ms', (f) => (f.restoredMs === undefined ? '' : String(f.restoredMs))],
  ['p50 / max ms', (f) => (f.p50Ms === undefined ? '' : `${f.p50Ms} / ${f.maxMs}`)],
];

/** The table as aligned text. */
export function textTable(a: Account): string {
  const rows = [COLUMNS.map(([h]) => h), ...a.periods.map((f) => COLUMNS.map(([, v]) => v(f)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ')).join('\n');
}

/** The table as markdown, with each period's failures and notes below it. */
export function markdownTable(a: Account): string {
  const head = `| ${COLUMNS.map(([h]) => h).join(' | ')} |\n|${COLUMNS.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`;
  const body = a.periods.map((f) => `| ${COLUMNS.map(([, v]) => v(f)).join(' | ')} |`).join('\n');
  const notes = a.periods
    .filter((f) => Object.keys(f.errors).length > 0 || f.notes.length > 0 || f.windowRowsOpen > 0 || f.logsTwice > 0)
    .map((f) => `- ${f.fault}: ${[...f.notes, ...(f.logsTwice ? [`logged twice: ${f.logsTwice - f.logsTwiceSameEvent} as two predictions (a retried hop ran the model again), ${f.logsTwiceSameEvent} as one event id stored twice`] : []), ...(Object.keys(f.errors).length ? [`failures ${Object.entries(f.errors).map(([k, v]) => `${k} ×${v}`).join(', ')}`] : []), ...(f.windowRowsOpen ? [`${f.windowRowsOpen} rows still in the open window`] : []), ...(f.restoredBy ? [`restored = ${f.restoredBy}`] : [])].join('; ')}`)
    .join('\n');
  return `${head}\n${body}\n\n${notes}\n`;
}
