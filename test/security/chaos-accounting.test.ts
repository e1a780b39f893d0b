/**
 * The chaos run's accounting (bench/chaos/accounting.ts) on made-up requests and streams: each
 * kind of loss or duplicate it reports is planted once and must show up where it was planted,
 * and a clean stream must show none.
 */
import test from 'ava';
import { account, markdownTable, textTable } from '../../bench/chaos/accounting.js';
import type { Period } from '../../bench/chaos/accounting.js';
import type { Sent } from '../../bench/chaos/load.js';
import type { StreamContents, StreamWindow } from '../../bench/chaos/stream.js';

const periods: Period[] = [
  { name: 'steady', what: 'no fault', startMs: 0, endMs: 1000, injection: undefined },
  { name: 'kill-x', what: 'x', startMs: 1000, endMs: 2000, injection: { injectedMs: 1000, clearedMs: 1000, restoredMs: 1500, restoredBy: 'ready', dropped: 0, notes: [] } },
];

/** Ten requests per period, 100 ms apart, each answered 10 ms later. */
function requests(): Sent[] {
  const out: Sent[] = [];
  for (let i = 0; i < 20; i++) out.push({ id: `r${i}`, sentMs: i * 100, doneMs: i * 100 + 10, outcome: 'ok', attempts: 1, error: undefined, message: undefined });
  return out;
}

/** One single-row log per request, sequences 1..20, and windows of 5 logs. */
function clean(): StreamContents {
  const logs = Array.from({ length: 20 }, (_, i) => ({ seq: i + 1, requestId: `r${i}`, eventId: `e${i}`, rows: 1 }));
  const windows: StreamWindow[] = [0, 1, 2, 3].map((w) => ({ reportId: `m/1/${w}`, windowIndex: w, rows: 5, firstSeq: w * 5 + 1, lastSeq: w * 5 + 5, firstRow: 0, lastRow: 0 }));
  return { logs, windows, repeatedReports: 0, monitorCaughtUp: true };
}

test('chaos accounting - a clean run shows nothing lost or twice', (t) => {
  const a = account(periods, requests(), clean());
  for (const p of a.periods) {
    t.is(p.sent, 10);
    t.is(p.ok, 10);
    t.is(p.logsMissing + p.logsTwice + p.loggedButFailed + p.windowRowsLost + p.windowRowsDouble + p.windowRowsOpen, 0, p.fault);
    t.is(p.windows, 2);
  }
  t.is(a.periods[1]?.recoveredMs, 0, 'no request disturbed');
  t.is(a.periods[1]?.restoredMs, 500);
  t.deepEqual(a.totals.windowIndexGaps, []);
  t.regex(textTable(a), /kill-x/);
  t.regex(markdownTable(a), /\| kill-x \| 10 \|/);
});

test('chaos accounting - planted failures, retries, missing and double logs land in their period', (t) => {
  const sent = requests();
  const s = (i: number): Sent => sent[i] as Sent;
  Object.assign(s(11), { outcome: 'failed', error: 'UNAVAILABLE', attempts: 3 });
  Object.assign(s(12), { outcome: 'retried', attempts: 2 });
  // Sent in steady, in flight at the injection: belongs to kill-x, where it settled.
  Object.assign(s(9), { doneMs: 1200, outcome: 'failed', error: 'DEADLINE_EXCEEDED' });
  const stream = clean();
  // r13 answered but never logged; r14 logged twice (the second log in the open window); r11 failed but logged.
  stream.logs = stream.logs.filter((l) => l.requestId !== 'r13');
  stream.logs.push({ seq: 21, requestId: 'r14', eventId: 'e14-again', rows: 1 });
  // r15's one prediction stored twice (same event id): a replay JetStream did not deduplicate.
  stream.logs.push({ seq: 22, requestId: 'r15', eventId: 'e15', rows: 1 });
  const a = account(periods, sent, stream);
  const k = a.periods[1];
  t.is(a.periods[0]?.sent, 9);
  t.is(k?.sent, 11);
  t.is(k?.failed, 2);
  t.deepEqual(k?.errors, { UNAVAILABLE: 1, DEADLINE_EXCEEDED: 1 });
  t.is(k?.hiddenByRetry, 1);
  t.is(k?.ok, 8);
  t.is(k?.logsMissing, 1, 'r13');
  t.is(k?.logsTwice, 2, 'r14 and r15');
  t.is(k?.logsTwiceSameEvent, 1, 'r15');
  t.is(k?.loggedButFailed, 2, 'r9 and r11');
  t.is(k?.windowRowsOpen, 2, 'the second r14 and r15');
  // The window holding seq 11..15 claims 5 rows but the stream has 4 there (r13 gone): one counted beyond the stream.
  t.is(k?.windowRowsDouble, 1);
  // Last disturbed: r12 sent at 1200; the first clean answer after it: r13 (sent 1300, done 1310).
  t.is(k?.recoveredMs, 310);
});

test('chaos accounting - rows in no window, in two windows, and skipped inside a window', (t) => {
  const stream = clean();
  // Window 1 (seq 6..10) never reported: its five steady rows are in no window.
  // Window 2 overlaps window 3 by one message (seq 15 in both).
  // Window 3 says 4 rows for a range of 6 messages (seq 15..20): it skipped two.
  stream.windows = [
    { reportId: 'm/1/0', windowIndex: 0, rows: 5, firstSeq: 1, lastSeq: 5, firstRow: 0, lastRow: 0 },
    { reportId: 'm/1/2', windowIndex: 2, rows: 5, firstSeq: 11, lastSeq: 15, firstRow: 0, lastRow: 0 },
    { reportId: 'm/1/3', windowIndex: 3, rows: 4, firstSeq: 15, lastSeq: 20, firstRow: 0, lastRow: 0 },
  ];
  const a = account(periods, requests(), stream);
  t.is(a.periods[0]?.windowRowsLost, 5);
  t.is(a.periods[1]?.windowRowsDouble, 1, 'seq 15 in two windows');
  t.is(a.periods[1]?.windowRowsLost, 2, 'window 3 skipped two of its six');
  t.is(a.periods[1]?.windows, 2);
  t.deepEqual(a.totals.windowIndexGaps, [1], 'window 1 never reported');
});

test('chaos accounting - a multi-row log split between two windows is counted once per row', (t) => {
  const sent = requests().slice(0, 2);
  const stream: StreamContents = {
    logs: [
      { seq: 1, requestId: 'r0', eventId: 'e0', rows: 3 },
      { seq: 2, requestId: 'r1', eventId: 'e1', rows: 3 },
    ],
    windows: [
      { reportId: 'm/1/0', windowIndex: 0, rows: 4, firstSeq: 1, lastSeq: 2, firstRow: 0, lastRow: 0 },
      { reportId: 'm/1/1', windowIndex: 1, rows: 2, firstSeq: 2, lastSeq: 2, firstRow: 1, lastRow: 2 },
    ],
    repeatedReports: 0,
    monitorCaughtUp: true,
  };
  const a = account(periods, sent, stream);
  t.is(a.periods[0]?.windowRowsLost, 0);
  t.is(a.periods[0]?.windowRowsDouble, 0);
  t.is(a.periods[0]?.windows, 2);
});
