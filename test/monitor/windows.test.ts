/**
 * How windows are cut, on the engine with a real state folder: exactly window_rows rows (a
 * multi-row log split between two windows, also across a crash in the middle of the split), and
 * in event time: a backlog is cut by the logs' own timestamps, not by batches and the wall clock.
 */
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { decodeDriftReport } from '../../shared/events/index.js';
import type { DriftReport__Output } from '../../shared/events/index.js';
import type { StreamMessage } from '../../services/monitor/engine.js';
import { isDrift, msg, setup, useEngineDir } from '../helpers/monitor-engine.js';
import type { EngineCtx, Published } from '../helpers/monitor-engine.js';

const test = anyTest as TestFn<EngineCtx>;
useEngineDir(test);

const drift = (published: Published[]): DriftReport__Output[] => published.filter(isDrift).map((p) => decodeDriftReport(p.data));

/** Request k (sequence k, from 1) of `size` rows; row values are the global row number, so a window's rows can be checked. */
function requests(count: number, size: number, first = 1): StreamMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const seq = first + i;
    return msg(seq, Array.from({ length: size }, (_, r) => [(seq - 1) * size + r, 0]), { requestId: `req-${seq}` });
  });
}

/** Window k of 100 rows with 7-row requests: where it starts and ends, as (sequence, row). */
function expectedRange(k: number): { first: [number, number]; last: [number, number] } {
  const firstRow = k * 100;
  const lastRow = firstRow + 99;
  return { first: [Math.floor(firstRow / 7) + 1, firstRow % 7], last: [Math.floor(lastRow / 7) + 1, lastRow % 7] };
}

test('windows - 7-row requests are split so that every window holds exactly window_rows rows', async (t) => {
  const { engine, published } = await setup(t.context, { window_rows: 100, window_seconds: 0, detectors: ['ks'] });
  // 50 requests of 7 rows = 350 rows, in batches of 16 (window ends fall inside requests and inside batches).
  const all = requests(50, 7);
  for (let i = 0; i < all.length; i += 16) await engine.applyPredictions(all.slice(i, i + 16));
  const reports = drift(published);
  t.deepEqual(reports.map((r) => Number(r.rows)), [100, 100, 100]);
  reports.forEach((r, k) => {
    const e = expectedRange(k);
    t.deepEqual([Number(r.first_sequence), r.first_row], e.first, `window ${k} start`);
    t.deepEqual([Number(r.last_sequence), r.last_row], e.last, `window ${k} end`);
  });
  const open = engine.allWindows()[0];
  t.is(open?.header.rows, 50);
  t.deepEqual(Array.from(open?.matrices().inputs?.data ?? []).filter((_, i) => i % 2 === 0), Array.from({ length: 50 }, (_, i) => 300 + i), 'the open window holds rows 300–349, none lost or repeated');
  t.is(open?.header.firstRow, 300 % 7);
});

test('windows - a crash in the middle of a split request loses and repeats no row', async (t) => {
  const { engine, published, store, restart } = await setup(t.context, { window_rows: 100, window_seconds: 0, detectors: ['ks'] });
  const all = requests(60, 7);
  await engine.applyPredictions(all.slice(0, 10));
  // The next batch closes windows 0 and 1 (both reports stored) and crashes before the window files.
  store.fail.saveWindow = 1;
  await t.throwsAsync(engine.applyPredictions(all.slice(10, 30)), { message: /saveWindow failed/ });
  t.deepEqual(drift(published).map((r) => r.report_id), ['m/1/0', 'm/1/1']);
  // A restart, and the consumer redelivers from the last stored sequence (10) on.
  const again = await restart();
  t.is(again.lastStoredSequence, 10);
  await again.applyPredictions(all.slice(10, 30));
  await again.applyPredictions(all.slice(30));
  const byId = new Map(drift(published).map((r) => [r.report_id, r]));
  t.deepEqual([...byId.keys()], ['m/1/0', 'm/1/1', 'm/1/2', 'm/1/3']);
  [...byId.values()].forEach((r, k) => {
    t.is(Number(r.rows), 100);
    const e = expectedRange(k);
    t.deepEqual([Number(r.first_sequence), r.first_row, Number(r.last_sequence), r.last_row], [...e.first, ...e.last], `window ${k}`);
  });
  const open = again.allWindows()[0];
  t.deepEqual(Array.from(open?.matrices().inputs?.data ?? []).filter((_, i) => i % 2 === 0), Array.from({ length: 20 }, (_, i) => 400 + i));
});

test('windows - a backlog is cut by the logs own times, not at the batch size', async (t) => {
  const { engine, published, clock } = await setup(t.context, { window_rows: 1000, window_seconds: 10, min_window_rows: 5, detectors: ['ks'] });
  // An outage: 600 logs stamped 10 per second (t0 … t0 + 59.9 s) wait in the stream; the monitor
  // comes back an hour later and reads them in batches of 256, its tick running between batches.
  const t0 = 5_000_000;
  clock.now = t0 + 3_600_000;
  const backlog = Array.from({ length: 600 }, (_, i) => msg(i + 1, [[Math.sin(i), Math.cos(i)]], { time: t0 + i * 100 }));
  for (let i = 0; i < backlog.length; i += 256) {
    const batch = backlog.slice(i, i + 256);
    await engine.applyPredictions(batch, { pending: backlog.length - i - batch.length });
    await engine.tick();
  }
  const reports = drift(published);
  t.deepEqual(reports.map((r) => Number(r.rows)), [100, 100, 100, 100, 100, 100]);
  reports.forEach((r, k) => {
    t.is(Number(r.window_start_ms), t0 + k * 10_000, `window ${k} starts at its first log's time`);
    t.is(Number(r.window_end_ms), t0 + k * 10_000 + 9_900);
    t.is(r.close_reason, 'time');
  });
  t.is(engine.allWindows()[0]?.header.rows, 0, 'the last window closed by the tick once the backlog was read');
});

test('windows - the tick waits while the consumer is behind, and a log older than the open window joins it', async (t) => {
  const { engine, published, clock } = await setup(t.context, { window_rows: 1000, window_seconds: 10, min_window_rows: 2, detectors: ['ks'] });
  const t0 = 5_000_000;
  clock.now = t0 + 60_000;
  await engine.applyPredictions([msg(1, [[0, 1]], { time: t0 }), msg(2, [[1, 0]], { time: t0 + 1000 })], { pending: 10 });
  await engine.tick();
  t.is(drift(published).length, 0, 'rows may still come for this window');
  // A late log (stamped before the window's first row): it joins the open window, it does not close it.
  await engine.applyPredictions([msg(3, [[1, 1]], { time: t0 - 5000 })], { pending: 0 });
  t.is(drift(published).length, 0);
  await engine.tick();
  t.deepEqual(drift(published).map((r) => [Number(r.rows), r.close_reason]), [[3, 'time']]);
});
