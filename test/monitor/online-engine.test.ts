/**
 * The online detector wired into the engine (online-detector.ts): every applied row feeds the
 * version's per-row MMD detector; each window's report carries an `online_mmd` entry with the
 * alarms among its rows. On a clean stream the alarms come at about one per ERT rows; a shift is
 * caught within a few rows and, with retrain_trigger "online", publishes a RetrainRequest; the
 * detector's state survives a restart and a redelivered batch; bad settings are refused by name.
 */
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { decodeDriftReport, decodeRetrainRequest } from '../../shared/events/index.js';
import type { DriftReport__Output, RetrainRequest__Output } from '../../shared/events/index.js';
import type { StreamMessage } from '../../services/monitor/engine.js';
import { parseMonitoring } from '../../services/monitor/model-monitoring.js';
import { resolveMonitorConfig } from '../../services/monitor/config.js';
import { configureOnlineMmd, seededRandom } from '../../services/monitor/stats/index.js';
import { configureOnlineInWorker } from '../../services/monitor/online-config-worker.js';
import { isDrift, isRetrain, msg, setup, useEngineDir } from '../helpers/monitor-engine.js';
import type { EngineCtx, Published } from '../helpers/monitor-engine.js';

const test = anyTest as TestFn<EngineCtx>;
useEngineDir(test);

/** One-row logs of 2 features, uniform on [shift, 1 + shift)² — the helper's reference is uniform on [0, 1)². */
function rows(fromSeq: number, count: number, seed: number, shift = 0): StreamMessage[] {
  const rand = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => msg(fromSeq + i, [[rand() + shift, rand() + shift]]));
}

const reports = (published: Published[]): DriftReport__Output[] => [...new Map(published.filter(isDrift).map((p) => decodeDriftReport(p.data)).map((r) => [r.report_id, r])).values()];
const retrains = (published: Published[]): RetrainRequest__Output[] => published.filter(isRetrain).map((p) => decodeRetrainRequest(p.data));
const onlineOf = (r: DriftReport__Output) => r.detectors.find((d) => d.detector === 'online_mmd');
const alarmsOf = (rs: DriftReport__Output[]): number => rs.reduce((a, r) => a + Number(onlineOf(r)?.details['alarms'] ?? 0), 0);

const MON = { window_rows: 50, window_seconds: 0, detectors: ['ks'], online: { ert: 100, window_size: 10 } };

test('online engine - on 6,000 clean rows with ERT 100 the detector alarms about 60 times, counted in the reports and the metric', async (t) => {
  const { engine, published, metric } = await setup(t.context, MON);
  for (let b = 0; b < 6; b++) await engine.applyPredictions(rows(b * 1000 + 1, 1000, 100 + b));
  const rs = reports(published);
  t.is(rs.length, 120);
  t.true(rs.every((r) => onlineOf(r) !== undefined && onlineOf(r)?.skipped_reason === ''), 'every report has an online entry');
  t.true(rs.every((r) => Number(onlineOf(r)?.details['rows_seen']) === 50));
  const alarms = alarmsOf(rs);
  t.log(`6,000 clean rows, ERT 100, window 10, a 100-row reference: ${alarms} alarms (expected about 60)`);
  // Run lengths about geometric with mean 100: 60 ± 7.7 (one sd) alarms; the thresholds of one
  // 100-row reference (80 in R) add a bias of their own, so the band is wide (about ±3.5 sd and 20%).
  t.true(alarms >= 30 && alarms <= 95, `${alarms} alarms`);
  t.is(await metric(engine, 'mlmesh_monitor_online_alarms_total', { model: 'm', version: '1' }), alarms);
  // The online detector never changes the window's own verdict: the KS windows are clean.
  t.true(rs.filter((r) => r.drifted).length <= 15);
});

test('online engine - a shift alarms within a few rows, and retrain_trigger "online" publishes one RetrainRequest for its window', async (t) => {
  const { engine, published } = await setup(t.context, { ...MON, online: { ert: 1000, window_size: 10 }, retrain_trigger: 'online', cooldown_seconds: 3600 });
  await engine.applyPredictions(rows(1, 500, 7));
  const before = alarmsOf(reports(published));
  await engine.applyPredictions(rows(501, 100, 8, 0.6));
  const rs = reports(published);
  const first = rs.find((r) => onlineOf(r)?.drifted && Number(r.first_sequence) > 500) as DriftReport__Output;
  t.truthy(first, 'an alarm after the shift');
  const at = Number(onlineOf(first)?.details['first_alarm_sequence']);
  t.log(`ERT 1000 rows: ${before} alarms in 500 clean rows; shift of 0.6 at sequence 501, first alarm at sequence ${at} (${at - 500} rows later)`);
  t.true(at - 500 <= 15, `delay ${at - 500} rows`);
  const reqs = retrains(published);
  t.is(reqs.length, 1, 'the cooldown holds the later windows');
  const req = reqs[0] as RetrainRequest__Output;
  t.regex(req.reason, /online detector alarm: MMD² .* > threshold .* at sequence \d+ row 0 .*expected 1000 rows between false alarms/);
  t.is(req.drifted_report_ids.length, 1);
});

test('online engine - the detector state survives a restart and a redelivered batch: the same entries as an uninterrupted run', async (t) => {
  const cfg = { ...MON, online: { ert: 50, window_size: 8 } };
  const stream = [...rows(1, 130, 21), ...rows(131, 70, 22, 0.3)];
  const clean = await setup({ dir: `${t.context.dir}/a`, engines: t.context.engines }, cfg);
  await clean.engine.applyPredictions(stream);
  const entry = (r: DriftReport__Output) => {
    const o = onlineOf(r);
    return [r.report_id, o?.statistic.toFixed(12), o?.details['alarms'], o?.details['rows_since_reset'], o?.details['first_alarm_sequence']];
  };
  const expected = reports(clean.published).map(entry);
  t.is(expected.length, 4);
  t.true(expected.some((e) => Number(e[2]) > 0), 'some alarm in the run');

  const other = await setup({ dir: `${t.context.dir}/b`, engines: t.context.engines }, cfg);
  await other.engine.applyPredictions(stream.slice(0, 120));
  // A crash before the window file of a batch that closes no window: the batch comes again.
  other.store.fail.saveWindow = 1;
  await t.throwsAsync(other.engine.applyPredictions(stream.slice(120, 140)), { message: /saveWindow failed/ });
  const again = await other.restart();
  await again.applyPredictions(stream.slice(120, 140));
  const third = await other.restart();
  await third.applyPredictions(stream.slice(140));
  t.deepEqual(reports(other.published).map(entry), expected);
});

test('online engine - settings are refused by field name', (t) => {
  const d = resolveMonitorConfig({ env: {} });
  t.throws(() => parseMonitoring({ online: {} }, d, 'model m'), { message: /monitoring\.online\.ert: is required/ });
  t.throws(() => parseMonitoring({ online: { ert: 1 } }, d, 'model m'), { message: /monitoring\.online\.ert: must be an integer in \[2,/ });
  t.throws(() => parseMonitoring({ online: { ert: 100, detector: 'cvm' } }, d, 'model m'), { message: /monitoring\.online\.detector: must be "mmd"/ });
  t.throws(() => parseMonitoring({ online: { ert: 100, window_size: 1000 } }, d, 'model m'), { message: /monitoring\.online\.window_size/ });
  t.throws(() => parseMonitoring({ online: { ert: 100, reference_rows: 5000 } }, d, 'model m'), { message: /monitoring\.online\.reference_rows/ });
  t.throws(() => parseMonitoring({ online: { ert: 100, speed: 1 } }, d, 'model m'), { message: /monitoring\.online\.speed: unknown field/ });
  t.throws(() => parseMonitoring({ online: { ert: 100, features: ['px'] } }, d, 'model m'), { message: /monitoring\.online\.features: "px": without feature_names/ });
  t.throws(() => parseMonitoring({ feature_names: ['a', 'b'], online: { ert: 100, features: ['c'] } }, d, 'model m'), { message: /monitoring\.online\.features: "c" is not in feature_names/ });
  t.throws(() => parseMonitoring({ retrain_trigger: 'online' }, d, 'model m'), { message: /monitoring\.retrain_trigger: "online" needs monitoring\.online/ });
  const m = parseMonitoring({ online: { ert: 500 } }, d, 'model m');
  t.deepEqual(m.online, { detector: 'mmd', ert: 500, windowSize: 20, features: undefined, referenceRows: 500, bootstraps: undefined });
});

test('online engine - a reference too small for the window is reported as a skipped entry, windows go on', async (t) => {
  const { engine, published } = await setup(t.context, { ...MON, online: { ert: 100, window_size: 60 } });
  await engine.applyPredictions(rows(1, 100, 3));
  const rs = reports(published);
  t.is(rs.length, 2);
  t.regex(onlineOf(rs[0] as DriftReport__Output)?.skipped_reason ?? '', /the reference has 100 rows, needs at least 2 \* window_size \+ 2 = 122/);
});

test('online engine - the service configures the detector in a worker thread: the same thresholds; bad settings come back as a RangeError', async (t) => {
  const rand = seededRandom(9);
  const ref = Float64Array.from({ length: 200 * 3 }, () => rand());
  const options = { ert: 200, windowSize: 12, seed: 4, bootstraps: 5000 };
  const inWorker = await configureOnlineInWorker(ref, 3, options);
  const local = configureOnlineMmd(ref, 3, options);
  t.deepEqual(Array.from(inWorker.thresholds), Array.from(local.thresholds));
  t.is(inWorker.lengthScale, local.lengthScale);
  await t.throwsAsync(configureOnlineInWorker(ref, 3, { ...options, windowSize: 150 }), { instanceOf: RangeError, message: /needs at least 2 \* window_size \+ 2/ });
});
