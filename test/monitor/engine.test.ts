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
import { msg, isDrift, setup, useEngineDir } from '../helpers/monitor-engine.js';
import { familyDecision, runDetectors } from '../../services/monitor/detectors.js';
import { markShownOnly } from '../../services/monitor/detector-results.js';
import { cusumWindow } from '../../services/monitor/sequential-detector.js';
import { mmdTest, seededRandom } from '../../services/monitor/stats/index.js';
import type { DetectorResult } from '../../shared/events/index.js';
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

test('monitoring section - mmd_kernels: default just kernel; unknown, duplicate or missing kernels refused naming the field', (t) => {
  const d = resolveMonitorConfig({ env: {} });
  t.deepEqual(parseMonitoring(undefined, d, 'model x').mmdKernels, ['gaussian']);
  t.deepEqual(parseMonitoring({ kernel: 'laplacian' }, d, 'model x').mmdKernels, ['laplacian']);
  t.deepEqual(parseMonitoring({ mmd_kernels: ['laplacian', 'gaussian', 'rational_quadratic'] }, d, 'model x').mmdKernels, ['laplacian', 'gaussian', 'rational_quadratic']);
  t.throws(() => parseMonitoring({ mmd_kernels: ['gaussian', 'rq'] }, d, 'model x'), { message: /model x: monitoring\.mmd_kernels: unknown kernel "rq" \(known: gaussian, laplacian, rational_quadratic\)/ });
  t.throws(() => parseMonitoring({ mmd_kernels: ['gaussian', 'laplacian', 'gaussian'] }, d, 'model x'), { message: /monitoring\.mmd_kernels: "gaussian" is listed twice/ });
  t.throws(() => parseMonitoring({ mmd_kernels: ['laplacian'] }, d, 'model x'), { message: /monitoring\.mmd_kernels: must include the kernel whose MMD counts in the decision, monitoring\.kernel "gaussian"/ });
  t.throws(() => parseMonitoring({ mmd_kernels: [] }, d, 'model x'), { message: /monitoring\.mmd_kernels: must include/ });
  t.throws(() => parseMonitoring({ mmd_kernels: 'gaussian' }, d, 'model x'), { message: /monitoring\.mmd_kernels: must be a list of non-empty strings/ });
  t.throws(() => parseMonitoring({ detectors: ['ks'], mmd_kernels: ['gaussian', 'laplacian'] }, d, 'model x'), { message: /monitoring\.mmd_kernels: lists 2 kernels but "mmd" is not in detectors/ });
});

test('engine - mmd_kernels: the MMD of each kernel is reported (mmd, mmd_laplacian, mmd_rational_quadratic) with a valid p-value; the extra kernels are shown only and leave the verdict of a clean window as it was', async (t) => {
  const mon = { window_rows: 100, window_seconds: 0, detectors: ['ks', 'mmd'], permutations: 200, mmd_kernels: ['gaussian', 'laplacian', 'rational_quadratic'] };
  const { engine, published } = await setup(t.context, mon);
  // A clean window: the reference's distribution (uniform on [0, 1)²), other draws.
  const rand = seededRandom(11);
  const rows = Array.from({ length: 100 }, () => [rand(), rand()]);
  await engine.applyPredictions([msg(1, rows.slice(0, 50)), msg(2, rows.slice(50))]);
  const r = decodeDriftReport((published.find(isDrift) as Published).data);
  t.deepEqual(r.detectors.map((d) => d.detector), ['ks', 'mmd', 'mmd_laplacian', 'mmd_rational_quadratic']);
  const by = new Map(r.detectors.map((d) => [d.detector, d]));
  for (const [name, kernel] of [['mmd', 'gaussian'], ['mmd_laplacian', 'laplacian'], ['mmd_rational_quadratic', 'rational_quadratic']] as const) {
    const d = by.get(name);
    t.is(d?.skipped_reason, '', name);
    t.true(d?.has_p_value, name);
    t.true((d?.p_value ?? 0) > 0 && (d?.p_value ?? 2) <= 1, `${name}: p = ${d?.p_value}`);
    // p = (k + 1)/(N + 1) with N = 200 permutations.
    t.is(Math.round((d?.p_value ?? 0) * 201), Number(d?.details['exceedances']) + 1, name);
    t.true((d?.details['length_scale'] ?? 0) > 0, name);
    t.true(d?.statistic_name.includes(`${kernel} kernel`), d?.statistic_name);
    t.log(`${name}: MMD² ${d?.statistic.toExponential(3)}, p ${d?.p_value.toFixed(4)}, ℓ ${d?.details['length_scale']?.toFixed(4)}`);
  }
  for (const name of ['mmd_laplacian', 'mmd_rational_quadratic']) {
    const d = by.get(name);
    t.is(d?.details['shown_only'], 1, `${name} is shown only`);
    t.false(d?.drifted, `${name} never flags the window`);
    t.is(d?.details['holm_p_value'], undefined, `${name} is not in the Holm family`);
    t.is(d?.details['alone_drifted'], (d?.p_value ?? 1) < 0.05 ? 1 : 0);
  }
  t.is(by.get('mmd')?.details['shown_only'], undefined, 'the configured kernel votes');
  t.false(r.drifted, 'the clean window is not drifted');
  // The same window without the extra kernels: the same decision, the same Holm-adjusted p-values
  // (m = 2: ks and mmd), the same mmd.
  const plain = await runDetectors(
    engine.cachedReference('m', '1') ?? undefined,
    { inputs: { rows: 100, cols: 2, data: Float64Array.from(Float32Array.from(rows.flat())) }, outputs: undefined },
    { detectors: ['ks', 'mmd'], alpha: 0.05, correction: 'bonferroni', detectorCorrection: 'holm', kernel: 'gaussian', permutations: 200, mmdMaxRows: 1000, seed: 'm/1/0' },
    (input) => Promise.resolve(mmdTest(input)),
  );
  t.is(plain.results.length, 2);
  t.is(plain.drifted, r.drifted);
  for (const p of plain.results) {
    t.is(by.get(p.detector as string)?.p_value, p.p_value as number, `${p.detector}: same p`);
    t.is(by.get(p.detector as string)?.details['holm_p_value'], p.details?.['holm_p_value'] as number, `${p.detector}: same Holm-adjusted p`);
  }
});

test('family - a shown-only entry does not count in Holm\'s m, cannot flag the window, and is left out of the CUSUM\'s family p', (t) => {
  const entry = (detector: string, p: number): DetectorResult => ({ detector, statistic_name: '', statistic: 0, p_value: p, has_p_value: true, drifted: p < 0.05, correction: 'none', features: [], details: {}, skipped_reason: '' });
  const results = [entry('ks', 0.03), entry('mmd', 0.2), markShownOnly(entry('mmd_laplacian', 1e-9), 0.05)];
  const v = familyDecision(results, { alpha: 0.05, detectorCorrection: 'holm' });
  t.false(v.drifted, 'the shown-only p = 1e-9 does not flag the window');
  t.is(results[0]?.details?.['holm_p_value'], 0.06, 'm = 2, not 3');
  t.is(results[2]?.details?.['alone_drifted'], 1);
  t.is(results[2]?.details?.['holm_p_value'], undefined);
  t.false(familyDecision(results, { alpha: 0.05, detectorCorrection: 'none' }).results[2]?.drifted);
  t.is(cusumWindow(results, { s: 0, runStart: -1 }, 0, 50, 0.5).result.details?.['family_p_value'], 0.06, 'the CUSUM takes min Holm p over ks and mmd');
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
