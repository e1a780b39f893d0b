/**
 * The monitor engine without NATS: a recording publisher, a real state folder and a fake clock.
 * Covers time-based windows, redelivery, malformed logs, failure → reload → exactly once,
 * the retrain cooldown, and the on-disk formats.
 */
import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { decodeDriftReport, decodeRetrainRequest, encodeFeedback } from '../../shared/events/index.js';
import { encodeNpy } from '../../shared/tensors/index.js';
import type { StreamMessage } from '../../services/monitor/engine.js';
import { StateStore } from '../../services/monitor/state-store.js';
import { OpenWindow } from '../../services/monitor/window.js';
import { parseMonitoring } from '../../services/monitor/model-monitoring.js';
import { buildReference, loadReference, replaceReference } from '../../services/monitor/reference.js';
import { resolveMonitorConfig } from '../../services/monitor/config.js';
import { msg, setup, useEngineDir } from '../helpers/monitor-engine.js';
import type { EngineCtx, Published } from '../helpers/monitor-engine.js';

const test = anyTest as TestFn<EngineCtx>;
useEngineDir(test);

const row = (k: number): number[] => [Math.sin(k), Math.cos(k)];

test('engine - a count window closes at window_rows; redelivered sequences are skipped', async (t) => {
  const { engine, published } = await setup(t.context, { window_rows: 4, window_seconds: 0, detectors: ['ks'] });
  await engine.applyPredictions([msg(1, [row(1), row(2)]), msg(2, [row(3)])]);
  t.is(published.length, 0);
  await engine.applyPredictions([msg(2, [row(3)]), msg(3, [row(4)])]);
  t.is(published.length, 1, 'closed at 4 rows (the redelivered seq 2 was not counted twice)');
  const r = decodeDriftReport((published[0] as Published).data);
  t.is(Number(r.rows), 4);
  t.is(r.close_reason, 'count');
  t.is(Number(r.first_sequence), 1);
  t.is(Number(r.last_sequence), 3);
  t.is((published[0] as Published).msgId, 'm/1/0');
});

test('engine - a time window closes once old enough and holding min_window_rows', async (t) => {
  const { engine, published, clock } = await setup(t.context, { window_rows: 100, window_seconds: 60, min_window_rows: 3, detectors: ['ks'] });
  await engine.applyPredictions([msg(1, [row(1), row(2)], { time: 1_000_000 })]);
  clock.now = 1_000_000 + 61_000;
  await engine.tick();
  t.is(published.length, 0, 'too few rows');
  await engine.applyPredictions([msg(2, [row(3)], { time: 1_000_500 })]);
  clock.now = 1_000_000 + 59_000;
  await engine.tick();
  t.is(published.length, 0, 'not old enough');
  clock.now = 1_000_000 + 60_000;
  await engine.tick();
  t.is(published.length, 1);
  t.is(decodeDriftReport((published[0] as Published).data).close_reason, 'time');
});

test('engine - malformed logs are skipped and counted, the rest applied', async (t) => {
  const { engine, published } = await setup(t.context, { window_rows: 3, window_seconds: 0, detectors: ['ks'] });
  await engine.applyPredictions([
    msg(1, [row(1)]),
    msg(2, [], { garbage: true }),
    msg(3, [[1, 2, 3]], { cols: 3 }), // wrong width for this window
    msg(4, [row(2)]),
    msg(5, [row(3)]),
  ]);
  t.is(published.length, 1);
  const r = decodeDriftReport((published[0] as Published).data);
  t.is(Number(r.rows), 3);
  t.is(Number(r.last_sequence), 5);
});

test('engine - a failed publish reloads the stored state; the batch again gives the same single report', async (t) => {
  let fail = true;
  const { engine, published, make } = await setup(t.context, { window_rows: 3, window_seconds: 0, detectors: ['ks'] }, { failPublish: () => fail });
  await engine.applyPredictions([msg(1, [row(1)])]);
  await t.throwsAsync(engine.applyPredictions([msg(2, [row(2)]), msg(3, [row(3)])]), { message: /publish failed/ });
  fail = false;
  t.is(engine.lastStoredSequence, 1, 'the failed batch is not stored');
  await engine.applyPredictions([msg(2, [row(2)]), msg(3, [row(3)])]);
  t.is(published.length, 1);
  t.is(Number(decodeDriftReport((published[0] as Published).data).rows), 3);
  // A second engine on the same folder (a restart) sees the stored state.
  const again = make();
  await again.load();
  t.is(again.lastStoredSequence, 3);
  t.is(again.reports.list('m', '1', 0, 0, 10).length, 1);
  t.is(again.allWindows()[0]?.header.windowIndex, 1);
});

test('engine - K drifted windows in a row publish one retrain request; the cooldown holds the next', async (t) => {
  const { engine, published, clock } = await setup(t.context, { window_rows: 20, window_seconds: 0, detectors: ['ks'], consecutive_windows: 2, cooldown_seconds: 100 });
  let seq = 0;
  const shiftedWindow = () => msg(++seq, Array.from({ length: 20 }, (_, k) => [5 + k / 20, 5]));
  for (let i = 0; i < 4; i++) await engine.applyPredictions([shiftedWindow()]);
  const retrains = published.filter((p) => p.subject.startsWith('mlmesh.events.retrain.'));
  t.is(retrains.length, 1);
  const rr = decodeRetrainRequest((retrains[0] as Published).data);
  t.deepEqual(rr.drifted_report_ids, ['m/1/0', 'm/1/1']);
  t.is(Number(rr.first_sequence), 1);
  t.is(Number(rr.last_sequence), 2);
  clock.now += 101_000;
  await engine.applyPredictions([shiftedWindow()]);
  t.is(published.filter((p) => p.subject.startsWith('mlmesh.events.retrain.')).length, 2, 'after the cooldown, the ongoing streak triggers again');
});

test('state - window files round-trip; a corrupt one is refused; a torn report line is skipped', async (t) => {
  const w = OpenWindow.empty('m', '1');
  const inputs = { rows: 2, cols: 2, data: Float64Array.of(1, 2, 3, 4) };
  const outputs = { rows: 2, cols: 1, data: Float64Array.of(0.5, 0.25) };
  t.is(w.check(inputs, outputs), undefined);
  w.append(inputs, outputs, 7, 0, 2, 123);
  const back = OpenWindow.deserialize(w.serialize(), 'x');
  t.deepEqual(back.header, w.header);
  t.deepEqual(back.matrices().inputs?.data, Float64Array.of(1, 2, 3, 4));
  t.deepEqual(back.matrices().outputs?.data, Float64Array.of(0.5, 0.25));
  t.throws(() => OpenWindow.deserialize(w.serialize().subarray(0, -8), 'x'), { message: /data bytes/ });
  t.throws(() => OpenWindow.deserialize(Buffer.from('{"format":"other"}\n'), 'x'), { message: /format/ });
  t.regex(w.check({ rows: 1, cols: 3, data: Float64Array.of(1, 2, 3) }, undefined) ?? '', /3 columns, the window 2/);
  const store = new StateStore(join(t.context.dir, 's'));
  await store.appendReport('m', { report_id: 'a' });
  await appendFile(join(t.context.dir, 's', 'reports', 'm.ndjson'), '{"report_id":"b"');
  t.deepEqual(await store.loadReports(), [{ report_id: 'a' }]);
  await store.saveWindow(w);
  // The header alone; the rows in the window's float32 segment (2 rows × 3 columns × 4 bytes).
  t.is((await readFile(join(t.context.dir, 's', 'windows', 'm@1.win'))).length, w.headerLine().length);
  t.is((await readFile(join(t.context.dir, 's', 'windows', 'm@1.0.f32'))).length, 24);
  store.close();
});

test('monitoring section - defaults, overrides and refusals naming the field', (t) => {
  const d = resolveMonitorConfig({ env: {} });
  const m = parseMonitoring({ window_rows: 10, detectors: ['ks'], feature_names: ['a', 'b'], categorical_features: ['b'] }, d, 'model x');
  t.is(m.windowRows, 10);
  t.deepEqual(m.detectors, ['ks']);
  t.is(m.alpha, 0.05);
  t.throws(() => parseMonitoring({ windw_rows: 1 }, d, 'model x'), { message: /model x: monitoring\.windw_rows: unknown field/ });
  t.throws(() => parseMonitoring({ detectors: ['ks', 'magic'] }, d, 'model x'), { message: /unknown detector "magic"/ });
  t.throws(() => parseMonitoring({ alpha: 2 }, d, 'model x'), { message: /monitoring\.alpha: must be a number in \(0, 1\)/ });
  t.throws(() => parseMonitoring({ feature_names: ['a'], categorical_features: ['z'] }, d, 'model x'), { message: /"z" is not in feature_names/ });
  t.throws(() => parseMonitoring({ window_rows: 1 }, d, 'model x'), { message: /window_rows: must be an integer >= 2/ });
  // Without feature_names the features are f0, f1…: a categorical name must be one of them.
  const noNames = parseMonitoring({ categorical_features: ['region'] }, d, 'model x');
  const npy = { datatype: 'FP32' as const, shape: [3, 2], data: new Uint8Array(24) };
  t.throws(() => buildReference('x', '1', npy, undefined, noNames, { inputs: 'a', outputs: null }, null), { message: /monitoring\.categorical_features: "region" is not a feature \(without feature_names the features are f0…f1\)/ });
  t.throws(() => resolveMonitorConfig({ env: { MLMESH_MONITOR_ALPHA: '0' } }), { message: /MLMESH_MONITOR_ALPHA/ });
  t.throws(() => resolveMonitorConfig({ env: { MLMESH_MONITOR_DETECTORS: 'ks,nope' } }), { message: /MLMESH_MONITOR_DETECTORS\)\[1\]: "nope"/ });
});

test('engine - a corrupt reference or config does not stop the stream: windows are reported untested with the reason', async (t) => {
  const { engine, published, config } = await setup(t.context, { window_rows: 2, window_seconds: 0, detectors: ['ks'] });
  // Version 1's reference no longer matches its reference.json; model "other" has a bad monitoring section.
  const refDir = join(config.modelRepository, 'm', '1', 'reference');
  await writeFile(join(refDir, 'reference.json'), JSON.stringify({ format: 'mlmesh.reference/v1', files: { 'inputs.npy': '0'.repeat(64) } }));
  await mkdir(join(config.modelRepository, 'other', '1'), { recursive: true });
  await writeFile(join(config.modelRepository, 'other', 'config.json'), JSON.stringify({ monitoring: { window_rows: 'many' } }));
  await engine.applyPredictions([msg(1, [row(1), row(2)]), msg(2, [row(3), row(4)], { model: 'other' })]);
  const m = decodeDriftReport((published.find((p) => p.msgId === 'm/1/0') as Published).data);
  t.false(m.drifted);
  t.regex(m.detectors[0]?.skipped_reason ?? '', /reference refused: .*inputs\.npy does not match the SHA-256/);
  t.is(engine.lastStoredSequence, 2, 'the batch was stored and can be acked');
  // "other" fell back to the defaults (500-row windows): still open, rows counted.
  t.is(engine.allWindows().find((w) => w.header.model === 'other')?.header.rows, 2);
});

test('engine - poison logs (negative shape, NaN rows) are skipped or tolerated; the stream goes on', async (t) => {
  const { engine, published } = await setup(t.context, { window_rows: 4, window_seconds: 0, detectors: ['ks', 'mmd'], permutations: 50 });
  await engine.applyPredictions([
    msg(1, [[1, 2, 3, 4, 5]], { cols: 5, shape: ['-1', '-5'] }), // (-1)·(-5)·4 bytes would pass a naive size check
    msg(2, [row(1)]),
    msg(3, [[NaN, 1]]),
    msg(4, [row(2)]),
    msg(5, [row(3)]),
  ]);
  t.is(engine.lastStoredSequence, 5, 'the batch was stored (acked), not retried forever');
  const r = decodeDriftReport((published[0] as Published).data);
  t.is(Number(r.rows), 4);
  const mmd = r.detectors.find((d) => d.detector === 'mmd');
  t.is(mmd?.details['window_rows_not_finite'], 1, 'the NaN row is left out of MMD');
  t.is(mmd?.details['window_rows'], 3);
  t.true((mmd?.p_value ?? 0) > 1 / 51, 'not the p = 1/(N+1) a NaN statistic would give');
});

test('engine - a crashed detector worker reports the window untested instead of blocking', async (t) => {
  const { engine, published } = await setup(t.context, { window_rows: 2, window_seconds: 0, detectors: ['ks'] }, { detect: () => Promise.reject(new Error('worker died')) });
  await engine.applyPredictions([msg(1, [row(1), row(2)])]);
  const r = decodeDriftReport((published[0] as Published).data);
  t.false(r.drifted);
  t.regex(r.detectors[0]?.skipped_reason ?? '', /the detector worker failed: worker died/);
});

test('engine - model names that map to the same subject token keep separate state across a restart', async (t) => {
  const { engine, make } = await setup(t.context, { window_rows: 100, window_seconds: 0, detectors: ['ks'] });
  await engine.applyPredictions([msg(1, [row(1)], { model: 'a.b' }), msg(2, [row(2), row(3)], { model: 'a_b' })]);
  const again = make();
  await again.load();
  const rows = Object.fromEntries(again.allWindows().map((w) => [w.header.model, w.header.rows]));
  t.deepEqual(rows, { 'a.b': 1, a_b: 2 });
});

test('engine - a crash after the report is stored but before the window file: the close is finished once, rows never counted twice', async (t) => {
  const { engine, published, store, make } = await setup(t.context, { window_rows: 3, window_seconds: 0, detectors: ['ks'] });
  await engine.applyPredictions([msg(1, [row(1)])]);
  store.fail.saveWindow = 1; // the batch that closes window 0 "crashes" before its window file is written
  await t.throwsAsync(engine.applyPredictions([msg(2, [row(2)]), msg(3, [row(3)]), msg(4, [row(4)])]));
  const reports = () => published.filter((p) => p.subject.startsWith('mlmesh.events.drift.')).map((p) => decodeDriftReport(p.data));
  t.is(reports().length, 1);
  // A restart on the same folder, and the batch redelivered.
  const again = make();
  await again.load();
  await again.applyPredictions([msg(2, [row(2)]), msg(3, [row(3)]), msg(4, [row(4)]), msg(5, [row(5)]), msg(6, [row(6)])]);
  const byId = new Map(reports().map((r) => [r.report_id, r]));
  t.deepEqual([...byId.keys()], ['m/1/0', 'm/1/1']);
  t.is(Number(byId.get('m/1/0')?.last_sequence), 3);
  t.is(Number(byId.get('m/1/1')?.first_sequence), 4, 'window 1 starts after window 0: rows 2 and 3 not counted again');
  t.is(Number(byId.get('m/1/1')?.rows), 3);
});

test('engine - a crash between the window files and applied.json loses and repeats nothing', async (t) => {
  const { engine, published, store, make } = await setup(t.context, { window_rows: 3, window_seconds: 0, detectors: ['ks'] });
  store.fail.saveAppliedSeq = 1;
  await t.throwsAsync(engine.applyPredictions([msg(1, [row(1)]), msg(2, [row(2)])]));
  const again = make();
  await again.load();
  t.is(again.lastStoredSequence, 0, 'the consumer resumes from the start of the batch');
  await again.applyPredictions([msg(1, [row(1)]), msg(2, [row(2)]), msg(3, [row(3)])]);
  const r = decodeDriftReport((published[0] as Published).data);
  t.is(Number(r.rows), 3);
  t.is(Number(r.first_sequence), 1);
});

test('engine - feedback from a failed batch counts when redelivered; feedback naming another model does not join', async (t) => {
  const { engine, store } = await setup(t.context, { window_rows: 100, window_seconds: 0, detectors: ['ks'] });
  await engine.applyPredictions([msg(1, [row(1)], { requestId: 'q1', probs: [[0.9, 0.1]] }), msg(2, [row(2)], { requestId: 'q2', probs: [[0.2, 0.8]] })]);
  const fb = (seq: number, requestId: string, model: string, label: string): StreamMessage => ({ seq, timeMs: 0, data: encodeFeedback({ request_id: requestId, model, label }) });
  store.fail.commitFeedback = 1;
  await t.throwsAsync(engine.applyFeedback([fb(1, 'q1', 'm', '0')]), { message: /commitFeedback failed/ });
  t.is(engine.versionFeedback('m', '1').labelled, 0, 'nothing stored from the failed batch');
  await engine.applyFeedback([fb(1, 'q1', 'm', '0')]);
  t.is(engine.versionFeedback('m', '1').labelled, 1, 'the redelivered feedback counts');
  t.is(engine.versionFeedback('m', '1').correct, 1);
  await engine.applyFeedback([fb(1, 'q1', 'm', '0'), fb(2, 'q2', 'other', '1')]);
  t.is(engine.versionFeedback('m', '1').labelled, 1, 'a repeat and a mismatched model do not count');
});

test('reference - a swap interrupted between its two renames is repaired at the next load', async (t) => {
  const { config } = await setup(t.context, { window_rows: 2 });
  const mon = parseMonitoring(undefined, config, 'm');
  const versionDir = join(config.modelRepository, 'm', '1');
  const inputs = encodeNpy('FP32', [3, 2], new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer));
  const first = await replaceReference(config.modelRepository, 'm', '1', inputs, undefined, mon, { produced_by: 't', source_data_sha256: null }, undefined);
  // The crash: the old folder moved aside, the new complete one not yet moved in.
  await rename(join(versionDir, 'reference'), join(versionDir, 'reference.new-crashed'));
  await mkdir(join(versionDir, 'reference.old-crashed'));
  const loaded = await loadReference(config.modelRepository, 'm', '1', mon);
  t.is(loaded?.sha256, first.sha256);
  // Only an old folder left (the new one was incomplete): the old one comes back.
  await rm(join(versionDir, 'reference.old-crashed'), { recursive: true });
  await rename(join(versionDir, 'reference'), join(versionDir, 'reference.old-crashed'));
  await mkdir(join(versionDir, 'reference.new-partial'));
  t.is((await loadReference(config.modelRepository, 'm', '1', mon))?.sha256, first.sha256);
});
