/**
 * Live quality on the engine: Wilson intervals (values and coverage), accuracy per window, MAE /
 * RMSE of a regressor from numeric feedback, calibration bins, and quality alerts (once per
 * window and metric, only when the interval is below the threshold).
 */
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { decodeQualityAlert } from '../../shared/events/index.js';
import { alertsFor, qualityOf, wilson } from '../../services/monitor/quality.js';
import { seededRandom } from '../../services/monitor/stats/index.js';
import { feedback, msg, setup, useEngineDir } from '../helpers/monitor-engine.js';
import type { EngineCtx } from '../helpers/monitor-engine.js';

const test = anyTest as TestFn<EngineCtx>;
useEngineDir(test);

const probs = (c: number, conf = 0.8): number[] => [0, 1, 2].map((k) => (k === c ? conf : (1 - conf) / 2));
const row = (k: number): number[] => [Math.sin(k), Math.cos(k)];

test('quality - Wilson intervals: known values, and 95% coverage at small n', (t) => {
  const [lo, hi] = wilson(3, 10);
  t.true(Math.abs(lo - 0.10779) < 1e-4 && Math.abs(hi - 0.60322) < 1e-4, `${lo} ${hi}`);
  const [lo0, hi0] = wilson(0, 10);
  t.is(lo0, 0);
  t.true(Math.abs(hi0 - 0.27753) < 1e-4, `${hi0}`);
  t.deepEqual(wilson(0, 0), [0, 1]);
  // Coverage: 4000 binomial samples per (n, p); the interval holds p in about 95% of them.
  const rand = seededRandom(19);
  for (const [n, p] of [[20, 0.9], [30, 0.5], [50, 0.95], [100, 0.8]] as const) {
    let covered = 0;
    for (let r = 0; r < 4000; r++) {
      let k = 0;
      for (let i = 0; i < n; i++) if (rand() < p) k++;
      const [a, b] = wilson(k, n);
      if (a <= p && p <= b) covered++;
    }
    t.true(covered / 4000 > 0.92 && covered / 4000 < 0.985, `n=${n} p=${p}: coverage ${covered / 4000}`);
  }
});

test('quality - accuracy alerts fire once per window, only when the Wilson upper bound is below the threshold', async (t) => {
  const { engine, published, metric } = await setup(t.context, { window_rows: 20, window_seconds: 0, detectors: ['ks'], label_queue_rows: 0, accuracy_threshold: 0.8, quality_min_labels: 10 });
  // Two windows of 20 single-row predictions, request k predicts class k % 3.
  await engine.applyPredictions(Array.from({ length: 40 }, (_, i) => msg(i + 1, [row(i)], { requestId: `q${i}`, probs: [probs(i % 3)] })));
  const label = (k: number, right: boolean) => String(right ? k % 3 : (k + 1) % 3);
  let seq = 0;
  const send = (ks: number[], right: (k: number) => boolean) => engine.applyFeedback(ks.map((k) => feedback(++seq, { request_id: `q${k}`, model: 'm', label: label(k, right(k)) })));
  // Window 0: 7 of 10 right. Accuracy 0.7 < 0.8, but the interval [0.40, 0.89] reaches it: no alert.
  await send([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], (k) => k < 7);
  // Window 1: 9 labels, 2 right: below min labels, no alert yet.
  await send([20, 21, 22, 23, 24, 25, 26, 27, 28], (k) => k < 22);
  t.deepEqual(engine.qualityAlerts('m'), []);
  // The tenth label: 2 of 10, interval [0.06, 0.51] below 0.8: one alert.
  await send([29], () => false);
  const alerts = engine.qualityAlerts('m');
  t.is(alerts.length, 1);
  t.like(alerts[0], { alertId: 'm/1/1/accuracy', windowIndex: 1, metric: 'accuracy', value: 0.2, threshold: 0.8, labelled: 10, reportId: 'm/1/1' });
  // More labels for window 1: still one alert.
  await send([30, 31, 32], () => false);
  t.is(engine.qualityAlerts('m').length, 1);
  const events = published.filter((p) => p.subject === 'mlmesh.events.quality.m');
  t.is(events.length, 1);
  t.is(events[0]?.msgId, 'm/1/1/accuracy');
  t.like(decodeQualityAlert(events[0]?.data as Uint8Array), { alert_id: 'm/1/1/accuracy', metric: 'accuracy', value: 0.2, labelled_rows: '10' });
  t.is(await metric(engine, 'mlmesh_monitor_quality_alerts_total', { model: 'm', version: '1', metric: 'accuracy' }), 1);
  // The series: per window with its interval, and the total.
  const q = engine.quality('m', '1');
  t.deepEqual(q.windows.map((w) => [w.windowIndex, w.labelled, w.correct]), [[0, 10, 7], [1, 13, 2]]);
  const [lo, hi] = wilson(2, 13);
  t.true(Math.abs((q.windows[1]?.ciLow ?? 0) - lo) < 1e-12 && Math.abs((q.windows[1]?.ciHigh ?? 0) - hi) < 1e-12);
  t.like(q.total, { labelled: 23, correct: 9 });
  t.is(await metric(engine, 'mlmesh_monitor_live_accuracy', { model: 'm', version: '1' }), 9 / 23);
});

test('quality - a failed alert publish is kept and published by a later tick', async (t) => {
  let down = true;
  const { engine, published } = await setup(t.context, { window_rows: 10, window_seconds: 0, detectors: ['ks'], label_queue_rows: 0, accuracy_threshold: 0.9, quality_min_labels: 5 }, { failPublish: () => down });
  down = false;
  await engine.applyPredictions(Array.from({ length: 10 }, (_, i) => msg(i + 1, [row(i)], { requestId: `q${i}`, probs: [probs(0)] })));
  down = true;
  await engine.applyFeedback(Array.from({ length: 6 }, (_, i) => feedback(i + 1, { request_id: `q${i}`, model: 'm', label: '2' })));
  t.is(engine.qualityAlerts('m').length, 1, 'recorded');
  t.is(published.filter((p) => p.subject.startsWith('mlmesh.events.quality.')).length, 0, 'not published: NATS down');
  down = false;
  await engine.tick();
  t.deepEqual(published.filter((p) => p.subject.startsWith('mlmesh.events.quality.')).map((p) => p.msgId), ['m/1/0/accuracy']);
  await engine.tick();
  t.is(published.filter((p) => p.subject.startsWith('mlmesh.events.quality.')).length, 1, 'published once');
});

test('quality - a regressor: MAE and RMSE from numeric feedback, the MAE alert, value strata in its queue', async (t) => {
  const { engine, metric } = await setup(t.context, { window_rows: 20, window_seconds: 0, detectors: ['ks'], output_kind: 'probabilities', label_queue_rows: 10, mae_threshold: 1.5, quality_min_labels: 5 });
  // A one-column output: request k predicts the value k.
  await engine.applyPredictions(Array.from({ length: 20 }, (_, k) => msg(k + 1, [row(k)], { requestId: `v${k}`, probs: [[k]] })));
  // Targets k + e with errors 1, −2, 1, −2, … for v0 … v5.
  const errs = [1, -2, 1, -2, 1, -2];
  await engine.applyFeedback(errs.map((e, k) => feedback(k + 1, { request_id: `v${k}`, model: 'm', numeric: k + e })));
  const w = engine.quality('m', '1').windows[0];
  t.like(w, { numeric: 6, labelled: 0 });
  t.true(Math.abs((w?.mae ?? 0) - 1.5) < 1e-9, `mae ${w?.mae}`);
  t.true(Math.abs((w?.rmse ?? 0) - Math.sqrt(2.5)) < 1e-9, `rmse ${w?.rmse}`);
  t.deepEqual(engine.qualityAlerts('m'), [], 'MAE 1.5 is not above 1.5');
  await engine.applyFeedback([feedback(7, { request_id: 'v6', model: 'm', numeric: 6 + 3 })]);
  t.like(engine.qualityAlerts('m')[0], { metric: 'mae', windowIndex: 0, labelled: 7 });
  t.true(Math.abs((engine.qualityAlerts('m')[0]?.value ?? 0) - 12 / 7) < 1e-9);
  t.true(Math.abs((await metric(engine, 'mlmesh_monitor_live_mae', { model: 'm', version: '1' })) - 12 / 7) < 1e-9);
  // A class label for a regressor's row is compared as before (to class 0); a numeric target for a
  // row labelled already is a duplicate.
  await engine.applyFeedback([feedback(8, { request_id: 'v0', model: 'm', numeric: 3 })]);
  t.like(engine.quality('m', '1').windows[0], { numeric: 7 });
  t.is(await metric(engine, 'mlmesh_monitor_feedback_total', { outcome: 'duplicate' }), 1);
  // The queue: quintiles of the predicted value, 2 rows each, no uncertainty part.
  const queue = engine.labelQueue({ model: 'm', version: '1', windows: [0], unlabelledOnly: false, limit: 100 });
  t.deepEqual(['value_q1', 'value_q2', 'value_q3', 'value_q4', 'value_q5'].map((s) => queue.filter((x) => x.stratum === s).length), [2, 2, 2, 2, 2]);
  t.true(queue.every((x) => x.confidence === null && x.uncertaintyRank === 0 && x.value !== null));
});

test('quality - numeric feedback for a classifier is not a label; calibration bins confidence against accuracy', async (t) => {
  const { engine, metric } = await setup(t.context, { window_rows: 100, window_seconds: 0, detectors: ['ks'], label_queue_rows: 0 });
  // 40 rows at confidence 0.45 (right half the time), 40 at 0.95 (always right).
  const rowsOf = Array.from({ length: 80 }, (_, k) => msg(k + 1, [row(k)], { requestId: `c${k}`, probs: [probs(k % 3, k < 40 ? 0.45 : 0.95)] }));
  await engine.applyPredictions(rowsOf);
  await engine.applyFeedback([feedback(1, { request_id: 'c0', model: 'm', numeric: 1 })]);
  t.is(await metric(engine, 'mlmesh_monitor_feedback_total', { outcome: 'not_a_label' }), 1);
  await engine.applyFeedback(Array.from({ length: 80 }, (_, k) => feedback(k + 2, { request_id: `c${k}`, model: 'm', label: String(k < 40 && k % 2 === 1 ? (k + 1) % 3 : k % 3) })));
  const { calibration, ece } = engine.quality('m', '1');
  t.deepEqual(calibration.map((b) => [b.lo, b.rows]), [[0.4, 40], [0.9, 40]]);
  t.true(Math.abs((calibration[0]?.accuracy ?? 0) - 0.5) < 1e-12 && Math.abs((calibration[0]?.meanConfidence ?? 0) - 0.45) < 1e-6);
  t.is(calibration[1]?.accuracy, 1);
  t.true(Math.abs(ece - (0.5 * 0.05 + 0.5 * 0.05)) < 1e-6, `ece ${ece}`);
});

test('quality - alertsFor needs the labels and the whole interval below the threshold', (t) => {
  const s = { accuracyThreshold: 0.9, maeThreshold: 0, minLabels: 30 };
  const q = (k: number, n: number) => qualityOf(0, { labelled: n, correct: k, numeric: 0, absErrorSum: 0, sqErrorSum: 0, late: 0, updatedMs: 0 });
  t.deepEqual(alertsFor(q(20, 29), s), [], 'too few labels');
  t.deepEqual(alertsFor(q(25, 30), s), [], '0.83: interval [0.66, 0.93] reaches 0.9');
  t.is(alertsFor(q(21, 30), s).length, 1, '0.70: interval [0.52, 0.83] below 0.9');
  t.deepEqual(alertsFor(q(0, 100), { ...s, accuracyThreshold: 0 }), [], 'off');
});
