/**
 * RetrainRequests over a long drift streak, on the engine with a real state folder: each request
 * covers the drifted windows no earlier request covered, its list of report ids stays bounded,
 * and a crash after a request is recorded neither suppresses nor repeats it.
 */
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { decodeDriftReport, decodeRetrainRequest } from '../../shared/events/index.js';
import type { DriftReport__Output, RetrainRequest__Output } from '../../shared/events/index.js';
import type { DetectorRunner, StreamMessage } from '../../services/monitor/engine.js';
import { MAX_RETRAIN_REPORT_IDS } from '../../services/monitor/retrain.js';
import { isDrift, isRetrain, msg, setup, useEngineDir } from '../helpers/monitor-engine.js';
import type { EngineCtx, Published } from '../helpers/monitor-engine.js';

const test = anyTest as TestFn<EngineCtx>;
useEngineDir(test);

/** Every window drifts (the statistics are tested elsewhere; this is about the streak). */
const alwaysDrifted: DetectorRunner = async () => ({ drifted: true, results: [] });
const retrains = (published: Published[]): RetrainRequest__Output[] => published.filter(isRetrain).map((p) => decodeRetrainRequest(p.data));
const reportsById = (published: Published[]): Map<string, DriftReport__Output> => new Map(published.filter(isDrift).map((p) => decodeDriftReport(p.data)).map((r) => [r.report_id, r]));

/** Windows of 2 rows, one 1-row log per message: window k is sequences 2k+1 and 2k+2. */
function windows(from: number, count: number): StreamMessage[] {
  return Array.from({ length: count * 2 }, (_, i) => msg(from * 2 + i + 1, [[i, i]]));
}

test('retrain - a second request covers only the windows after the first, and its report ids stay bounded', async (t) => {
  const { engine, published, clock } = await setup(t.context, { window_rows: 2, window_seconds: 0, detectors: ['ks'], consecutive_windows: 2, cooldown_seconds: 100 }, { detect: alwaysDrifted });
  await engine.applyPredictions(windows(0, 2));
  t.is(retrains(published).length, 1);
  const first = retrains(published)[0] as RetrainRequest__Output;
  t.deepEqual(first.drifted_report_ids, ['m/1/0', 'm/1/1']);
  t.deepEqual([first.first_sequence, first.last_sequence], ['1', '4']);
  // Windows 2–4 drift within the cooldown (held back); window 5 comes after it.
  await engine.applyPredictions(windows(2, 3));
  t.is(retrains(published).length, 1);
  clock.now += 101_000;
  await engine.applyPredictions(windows(5, 1));
  const second = retrains(published)[1] as RetrainRequest__Output;
  t.deepEqual(second.drifted_report_ids, ['m/1/2', 'm/1/3', 'm/1/4', 'm/1/5'], 'not the windows the first request had');
  t.deepEqual([second.first_sequence, second.last_sequence], ['5', '12']);
  t.is(second.consecutive_windows, 6, 'the streak itself goes on');
  // A long streak under the cooldown: 150 more drifted windows, then one after the cooldown.
  await engine.applyPredictions(windows(6, 150));
  clock.now += 101_000;
  await engine.applyPredictions(windows(156, 1));
  const third = retrains(published)[2] as RetrainRequest__Output;
  t.is(third.drifted_report_ids.length, MAX_RETRAIN_REPORT_IDS);
  t.is(third.drifted_report_ids[MAX_RETRAIN_REPORT_IDS - 1], 'm/1/156');
  t.is(third.first_sequence, '13', 'the range still starts after the second request (window 6)');
  t.is(reportsById(published).get('m/1/6')?.first_sequence, '13');
  t.is(third.last_sequence, '314');
  // The window file does not grow with the streak.
  t.true(engine.allWindows()[0]!.serialize().length < 1000);
});

test('retrain - a crash after the request is recorded: it is published again once, and the next one starts after it', async (t) => {
  const { engine, published, clock, store, restart } = await setup(t.context, { window_rows: 2, window_seconds: 0, detectors: ['ks'], consecutive_windows: 2, cooldown_seconds: 100 }, { detect: alwaysDrifted });
  await engine.applyPredictions(windows(0, 1));
  // The batch that triggers the request crashes after models.json, before the window file.
  store.fail.saveWindow = 1;
  await t.throwsAsync(engine.applyPredictions(windows(1, 1)), { message: /saveWindow failed/ });
  const again = await restart();
  await again.applyPredictions(windows(1, 2));
  const ids = published.filter(isRetrain).map((p) => p.msgId);
  t.deepEqual(ids, ['m/1/1/retrain', 'm/1/1/retrain'], 'the same request again (JetStream stores it once), not held back by its own cooldown');
  t.is(again.modelState('m')?.retrainRequests, 1);
  clock.now += 101_000;
  await again.applyPredictions(windows(3, 1));
  const next = retrains(published)[2] as RetrainRequest__Output;
  t.deepEqual(next.drifted_report_ids, ['m/1/2', 'm/1/3']);
  t.is(next.first_sequence, '5');
});
