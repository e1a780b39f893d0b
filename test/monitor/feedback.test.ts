/**
 * The feedback join, on the engine with a real state folder: labels are credited to the window
 * (and version) of the prediction row they label, however late they come; multi-row predictions
 * are joined per row, also when split between windows; the join is durable (a restart keeps it),
 * bounded, and consistent across a crash between its rows and the window files.
 */
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { decodeDriftReport } from '../../shared/events/index.js';
import type { DriftReport__Output } from '../../shared/events/index.js';
import { feedback, isDrift, msg, setup, useEngineDir } from '../helpers/monitor-engine.js';
import type { EngineCtx, Published } from '../helpers/monitor-engine.js';

const test = anyTest as TestFn<EngineCtx>;
useEngineDir(test);

/** Class probabilities whose argmax is `c` (3 classes). */
const probs = (c: number): number[] => [0, 1, 2].map((k) => (k === c ? 0.8 : 0.1));
const row = (k: number): number[] => [Math.sin(k), Math.cos(k)];

function reports(published: Published[]): Map<string, DriftReport__Output> {
  return new Map(published.filter(isDrift).map((p) => decodeDriftReport(p.data)).map((r) => [r.report_id, r]));
}
const accuracyEntry = (r: DriftReport__Output | undefined) => r?.detectors.find((d) => d.detector === 'accuracy');

test('feedback - late labels are credited to the window of the prediction they label, not to the open one', async (t) => {
  const { engine, published, metric } = await setup(t.context, { window_rows: 10, window_seconds: 0, detectors: ['ks'] });
  // 120 single-row predictions: windows 0 … 11 close; request k predicts class k % 3.
  let seq = 0;
  for (let b = 0; b < 12; b++) {
    const batch = Array.from({ length: 10 }, () => {
      seq += 1;
      return msg(seq, [row(seq)], { requestId: `q${seq}`, probs: [probs(seq % 3)] });
    });
    await engine.applyPredictions(batch);
  }
  t.is(reports(published).size, 12);
  // Labels for window 0's ten predictions (q1 … q10) arrive now, with window 12 open: 7 right, 3 wrong.
  const labels = Array.from({ length: 10 }, (_, i) => feedback(i + 1, { request_id: `q${i + 1}`, model: 'm', label: String(i < 7 ? (i + 1) % 3 : ((i + 1) % 3) + 1) }));
  t.deepEqual((await engine.applyFeedback(labels)).retry, []);
  // Two labels for rows of the open window 12, then it fills and closes.
  const open = Array.from({ length: 10 }, () => {
    seq += 1;
    return msg(seq, [row(seq)], { requestId: `q${seq}`, probs: [probs(seq % 3)] });
  });
  await engine.applyPredictions(open.slice(0, 5));
  await engine.applyFeedback([feedback(11, { request_id: 'q121', model: 'm', label: String(121 % 3) }), feedback(12, { request_id: 'q122', model: 'm', label: 'nope' })]);
  await engine.applyPredictions(open.slice(5));

  const byId = reports(published);
  const w12 = accuracyEntry(byId.get('m/1/12'));
  t.is(w12?.details['labelled_rows'], 2, "window 12's report counts only its own rows' labels");
  t.is(w12?.statistic, 0.5);
  t.is(accuracyEntry(byId.get('m/1/0')), undefined, 'window 0 was published before its labels came');
  t.like(engine.performance('m/1/0'), { reportId: 'm/1/0', labelled: 10, correct: 7, late: 10 });
  t.like(engine.performance('m/1/12'), { labelled: 2, correct: 1, late: 0 });
  t.like(engine.performance('m/1/5'), { labelled: 0, correct: 0, late: 0 });
  t.is(engine.performance('m/1/99'), undefined);
  t.deepEqual(engine.versionFeedback('m', '1'), { labelled: 12, correct: 8 });
  t.is(await metric(engine, 'mlmesh_monitor_late_labels_total', { model: 'm', version: '1' }), 10);
  t.is(await metric(engine, 'mlmesh_monitor_feedback_total', { outcome: 'correct' }), 8);
  // The same labels again (a resend) change nothing.
  await engine.applyFeedback(labels.map((l, i) => ({ ...l, seq: 100 + i })));
  t.like(engine.performance('m/1/0'), { labelled: 10, correct: 7 });
  t.is(await metric(engine, 'mlmesh_monitor_feedback_total', { outcome: 'duplicate' }), 10);
});

test('feedback - a multi-row prediction split between windows is joined row by row; mismatched rows are refused', async (t) => {
  const { engine, published, metric } = await setup(t.context, { window_rows: 10, window_seconds: 0, detectors: ['ks'] });
  // Three 7-row requests: a (window 0), b (rows 0–2 in window 0, 3–6 in window 1), c (rows 0–5 in window 1, row 6 in window 2).
  const req = (seq: number, id: string, classes: number[]) => msg(seq, classes.map((_, i) => row(seq * 10 + i)), { requestId: id, probs: classes.map(probs) });
  await engine.applyPredictions([req(1, 'a', [0, 1, 2, 0, 1, 2, 0]), req(2, 'b', [1, 1, 1, 2, 2, 2, 0]), req(3, 'c', [2, 2, 2, 2, 2, 2, 1])]);
  const byId = reports(published);
  t.deepEqual([...byId.values()].map((r) => Number(r.rows)), [10, 10]);
  const fb = await engine.applyFeedback([
    // b: every row labelled, rows 0 and 6 wrong.
    feedback(1, { request_id: 'b', model: 'm', labels: ['0', '1', '1', '2', '2', '2', '2'] }),
    // c row 6 (in the open window 2), right.
    feedback(2, { request_id: 'c', model: 'm', label: '1', row: 6 }),
    // c row 0 with `row: 0` (explicitly the first row), right.
    feedback(3, { request_id: 'c', model: 'm', label: '2', row: 0 }),
    // Refused: one label for a 7-row prediction, a label list of the wrong length, a row out of range.
    feedback(4, { request_id: 'a', model: 'm', label: '0' }),
    feedback(5, { request_id: 'a', model: 'm', labels: ['0', '1'] }),
    feedback(6, { request_id: 'a', model: 'm', label: '0', row: 7 }),
  ]);
  t.deepEqual(fb.retry, []);
  t.is(await metric(engine, 'mlmesh_monitor_feedback_total', { outcome: 'rows_mismatch' }), 3);
  t.like(engine.performance('m/1/0'), { labelled: 3, correct: 2, late: 3 }, 'b rows 0–2');
  t.like(engine.performance('m/1/1'), { labelled: 5, correct: 4, late: 5 }, 'b rows 3–6 and c row 0');
  t.deepEqual(engine.versionFeedback('m', '1'), { labelled: 9, correct: 7 });
  // Window 2 closes with c's row 6 labelled in its report.
  await engine.applyPredictions([req(4, 'd', [0, 0, 0, 0, 0, 0, 0]), req(5, 'e', [0, 0, 0])]);
  t.is(accuracyEntry(reports(published).get('m/1/2'))?.details['labelled_rows'], 1);
  t.like(engine.performance('m/1/2'), { labelled: 1, correct: 1, late: 0 });
});

test('feedback - the join survives a restart, is bounded by feedbackRetentionRows, and waits while predictions lag', async (t) => {
  const { engine, clock, restart, store } = await setup(t.context, { window_rows: 1000, window_seconds: 0, detectors: ['ks'] }, { config: { feedbackRetentionRows: 20 } });
  // 30 rows: 6 single-row predictions, then three 8-row ones.
  const batch = Array.from({ length: 6 }, (_, i) => msg(i + 1, [row(i)], { requestId: `s${i + 1}`, probs: [probs(1)] }));
  for (let k = 0; k < 3; k++) batch.push(msg(7 + k, Array.from({ length: 8 }, (_, i) => row(i)), { requestId: `m${k}`, probs: Array.from({ length: 8 }, () => probs(2)) }));
  await engine.applyPredictions(batch);
  t.true(store.join.countRows() <= 20, `${store.join.countRows()} rows kept`);
  t.true(store.join.countRows() >= 20 - 8, 'whole predictions are dropped, oldest first');

  const again = await restart();
  // Right after a restart the predictions consumer has not caught up: a label whose prediction
  // is not found is retried, however old it is.
  const old = clock.now - 10 * 60_000;
  t.deepEqual((await again.applyFeedback([feedback(1, { request_id: 's1', model: 'm', label: '1' }, old)])).retry, [1]);
  // Still remembered after the restart: the newest predictions.
  t.deepEqual((await again.applyFeedback([feedback(2, { request_id: 'm2', model: 'm', labels: ['2', '2', '2', '2', '2', '2', '2', '0'] }, old)])).retry, []);
  t.deepEqual(again.versionFeedback('m', '1'), { labelled: 8, correct: 7 });
  // Once the consumer has caught up, a label for a prediction beyond the bound counts as unjoined.
  again.markCaughtUp();
  t.deepEqual((await again.applyFeedback([feedback(1, { request_id: 's1', model: 'm', label: '1' }, old)])).retry, []);
  // A fresh label (less than a minute old) for an unknown request is still retried.
  t.deepEqual((await again.applyFeedback([feedback(3, { request_id: 'later', model: 'm', label: '1' }, clock.now - 1000)])).retry, [3]);
  t.deepEqual(again.versionFeedback('m', '1'), { labelled: 8, correct: 7 });
});

test('feedback - a crash between the join rows and the window files neither loses a row nor counts a label twice', async (t) => {
  const { engine, store, restart } = await setup(t.context, { window_rows: 4, window_seconds: 0, detectors: ['ks'] });
  await engine.applyPredictions([msg(1, [row(1), row(2)], { requestId: 'a', probs: [probs(0), probs(1)] })]);
  // The batch that closes window 0 (b's row 0) and opens window 1 crashes after its join rows.
  store.fail.saveWindow = 1;
  const second = [msg(2, [row(3), row(4), row(5)], { requestId: 'b', probs: [probs(2), probs(2), probs(0)] })];
  await t.throwsAsync(engine.applyPredictions(second), { message: /saveWindow failed/ });
  // Its labels arrive before the batch is redelivered (the join rows were stored).
  await engine.applyFeedback([feedback(1, { request_id: 'b', model: 'm', labels: ['2', '2', '2'] })]);
  const again = await restart();
  await again.applyPredictions(second);
  await again.applyFeedback([feedback(1, { request_id: 'b', model: 'm', labels: ['2', '2', '2'] }), feedback(2, { request_id: 'a', model: 'm', labels: ['0', '1'] })]);
  t.like(again.performance('m/1/0'), { labelled: 4, correct: 4 }, 'a rows 0–1, b rows 0–1');
  t.deepEqual(again.versionFeedback('m', '1'), { labelled: 5, correct: 4 }, "b's row 2 (window 1) counted once, wrong");
  t.is(again.allWindows()[0]?.header.rows, 1);
});
