/**
 * The monitor engine without NATS: a recording publisher, a real state folder and a fake clock.
 * Covers time-based windows, redelivery, malformed logs, failure → reload → exactly once,
 * the retrain cooldown, and the on-disk formats.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { createLogger } from '../../shared/logging/index.js';
import { createRegistry } from '../../shared/metrics/index.js';
import { decodeDriftReport, decodeRetrainRequest, encodePredictionLog } from '../../shared/events/index.js';
import { encodeNpy } from '../../shared/tensors/index.js';
import { MonitorEngine } from '../../services/monitor/engine.js';
import { runDetectors } from '../../services/monitor/detectors.js';
import type { StreamMessage } from '../../services/monitor/engine.js';
import { MonitorMetrics } from '../../services/monitor/metrics.js';
import { StateStore } from '../../services/monitor/state-store.js';
import { OpenWindow } from '../../services/monitor/window.js';
import { parseMonitoring } from '../../services/monitor/model-monitoring.js';
import { resolveMonitorConfig } from '../../services/monitor/config.js';
import type { MonitorConfig } from '../../services/monitor/config.js';
import { mmdTest, seededRandom } from '../../services/monitor/stats/index.js';

interface Ctx {
  dir: string;
}
const test = anyTest as TestFn<Ctx>;
test.beforeEach(async (t) => {
  t.context = { dir: await mkdtemp(join(tmpdir(), 'mlmesh-engine-')) };
});
test.afterEach.always(async (t) => {
  await rm(t.context.dir, { recursive: true, force: true });
});

interface Published {
  subject: string;
  data: Uint8Array;
  msgId: string;
}

async function setup(dir: string, monitoring: object, opts: { failPublish?: () => boolean } = {}) {
  const repo = join(dir, 'repo');
  await mkdir(join(repo, 'm', '1', 'reference'), { recursive: true });
  await writeFile(join(repo, 'm', 'config.json'), JSON.stringify({ monitoring }));
  const rand = seededRandom(3);
  await writeFile(join(repo, 'm', '1', 'reference', 'inputs.npy'), encodeNpy('FP32', [100, 2], new Uint8Array(Float32Array.from({ length: 200 }, () => rand()).buffer)));
  const config: MonitorConfig = { ...resolveMonitorConfig({ env: {} }), modelRepository: repo, stateDir: join(dir, 'state') };
  const published: Published[] = [];
  const clock = { now: 1_000_000 };
  const make = () =>
    new MonitorEngine(
      config,
      new StateStore(config.stateDir),
      async (subject, data, msgId) => {
        if (opts.failPublish?.()) throw new Error('publish failed (test)');
        published.push({ subject, data, msgId });
      },
      (r, w, s) => runDetectors(r, w, s, (input) => Promise.resolve(mmdTest(input))),
      createLogger({ service: 'engine-test', level: 'silent' }),
      new MonitorMetrics(createRegistry({ service: 'engine-test', processMetrics: false })),
      () => clock.now,
    );
  const engine = make();
  await engine.load();
  return { engine, published, clock, config, make };
}

function msg(seq: number, rows: number[][], opts: { model?: string; cols?: number; time?: number; garbage?: boolean } = {}): StreamMessage {
  if (opts.garbage) return { seq, data: Uint8Array.of(0xff, 0xff, 0xff), timeMs: 0 };
  const cols = opts.cols ?? 2;
  const data = Float32Array.from(rows.flat());
  return {
    seq,
    timeMs: opts.time ?? 1_000_000,
    data: encodePredictionLog({
      meta: { event_id: `r${seq}`, time_unix_ms: String(opts.time ?? 1_000_000) },
      request_id: `r${seq}`,
      model: opts.model ?? 'm',
      version: '1',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [String(rows.length), String(cols)], raw: Buffer.from(data.buffer) }],
    }),
  };
}

const row = (k: number): number[] => [Math.sin(k), Math.cos(k)];

test('engine - a count window closes at window_rows; redelivered sequences are skipped', async (t) => {
  const { engine, published } = await setup(t.context.dir, { window_rows: 4, window_seconds: 0, detectors: ['ks'] });
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
  const { engine, published, clock } = await setup(t.context.dir, { window_rows: 100, window_seconds: 60, min_window_rows: 3, detectors: ['ks'] });
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
  const { engine, published } = await setup(t.context.dir, { window_rows: 3, window_seconds: 0, detectors: ['ks'] });
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
  const { engine, published, make } = await setup(t.context.dir, { window_rows: 3, window_seconds: 0, detectors: ['ks'] }, { failPublish: () => fail });
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
  const { engine, published, clock } = await setup(t.context.dir, { window_rows: 20, window_seconds: 0, detectors: ['ks'], consecutive_windows: 2, cooldown_seconds: 100 });
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
  t.is(w.append({ rows: 2, cols: 2, data: Float64Array.of(1, 2, 3, 4) }, { rows: 2, cols: 1, data: Float64Array.of(0.5, 0.25) }, 7, 123), undefined);
  const back = OpenWindow.deserialize(w.serialize(), 'x');
  t.deepEqual(back.header, w.header);
  t.deepEqual(back.matrices().inputs?.data, Float64Array.of(1, 2, 3, 4));
  t.deepEqual(back.matrices().outputs?.data, Float64Array.of(0.5, 0.25));
  t.throws(() => OpenWindow.deserialize(w.serialize().subarray(0, -8), 'x'), { message: /data bytes/ });
  t.throws(() => OpenWindow.deserialize(Buffer.from('{"format":"other"}\n'), 'x'), { message: /format/ });
  t.regex(w.append({ rows: 1, cols: 3, data: Float64Array.of(1, 2, 3) }, undefined, 8, 124) ?? '', /3 columns, the window 2/);
  const store = new StateStore(join(t.context.dir, 's'));
  await store.appendReport('m', { report_id: 'a' });
  await appendFile(join(t.context.dir, 's', 'reports', 'm.ndjson'), '{"report_id":"b"');
  t.deepEqual(await store.loadReports(), [{ report_id: 'a' }]);
  await store.saveWindow(w);
  t.is((await readFile(join(t.context.dir, 's', 'windows', 'm@1.win'))).length, w.serialize().length);
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
  t.throws(() => resolveMonitorConfig({ env: { MLMESH_MONITOR_ALPHA: '0' } }), { message: /MLMESH_MONITOR_ALPHA/ });
  t.throws(() => resolveMonitorConfig({ env: { MLMESH_MONITOR_DETECTORS: 'ks,nope' } }), { message: /MLMESH_MONITOR_DETECTORS\)\[1\]: "nope"/ });
});

test('engine - a corrupt reference or config does not stop the stream: windows are reported untested with the reason', async (t) => {
  const { engine, published, config } = await setup(t.context.dir, { window_rows: 2, window_seconds: 0, detectors: ['ks'] });
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
