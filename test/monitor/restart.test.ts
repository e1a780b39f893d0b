/**
 * Crash safety and windowing against real processes: the monitor runs as its own process with
 * a private nats-server. It is killed (SIGKILL) mid-window while 7-row requests keep arriving,
 * labels for its first windows are published while it is down, and it is restarted on the same
 * state folder: every window must hold exactly window_rows rows of the published requests
 * (split where needed, none lost or counted twice) and the labels must be credited to the
 * windows of the rows they label. A backlog published while no monitor runs must be cut by the
 * logs' own times.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { connect } from 'nats';
import type { JetStreamClient, NatsConnection } from 'nats';
import { SUBJECTS, encodeFeedback, encodePredictionLog } from '../../shared/events/index.js';
import type { DriftReport__Output } from '../../shared/events/index.js';
import type { GetStatusResponse__Output } from '../../shared/generated/mlmesh/monitor/v1/GetStatusResponse.js';
import type { GetReportResponse__Output } from '../../shared/generated/mlmesh/monitor/v1/GetReportResponse.js';
import type { ListReportsResponse__Output } from '../../shared/generated/mlmesh/monitor/v1/ListReportsResponse.js';
import { ensureStreams } from '../../shared/nats/index.js';
import { encodeNpy } from '../../shared/tensors/index.js';
import { seededRandom } from '../../services/monitor/stats/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { waitFor } from '../helpers/inference.js';
import { call, driftReports, monitorClient } from '../helpers/monitor.js';
import { runNode } from '../helpers/process.js';
import type { Child } from '../helpers/process.js';

const MODEL = 'synthetic';

interface Harness {
  nc: NatsConnection;
  js: JetStreamClient;
  stateDir: string;
  /** Starts a monitor process on the shared state folder; resolves once it is connected, with a gRPC client. */
  start(): Promise<{ child: Child; client: ReturnType<typeof monitorClient> }>;
  /** Every DriftReport on the events stream so far, by window index. */
  reports(): Promise<DriftReport__Output[]>;
  /**
   * Waits until the monitor has applied the stream through `lastSequence` (and, with
   * `openRows`, holds that many rows open), then until every window it closed is on the events
   * stream; resolves with those reports.
   */
  settled(client: ReturnType<typeof monitorClient>, lastSequence: number, openRows?: number): Promise<DriftReport__Output[]>;
}

async function harness(t: ExecutionContext, monitoring: object): Promise<Harness> {
  const nats = await NatsServer.start({ jetstream: true });
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-restart-'));
  const repo = join(dir, 'models');
  const stateDir = join(dir, 'state');
  // A model with a 2-feature reference; only KS runs, to keep each window cheap.
  await mkdir(join(repo, MODEL, '1', 'reference'), { recursive: true });
  await writeFile(join(repo, MODEL, 'config.json'), JSON.stringify({ name: MODEL, monitoring: { detectors: ['ks'], ...monitoring } }));
  const rand = seededRandom(5);
  await writeFile(join(repo, MODEL, '1', 'reference', 'inputs.npy'), encodeNpy('FP32', [200, 2], new Uint8Array(Float32Array.from({ length: 400 }, () => rand()).buffer)));
  const nc = await connect({ servers: nats.url });
  const children: Child[] = [];
  const clients: Array<ReturnType<typeof monitorClient>> = [];
  t.teardown(async () => {
    for (const c of clients) c.close();
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await nc.close();
    await nats.dispose();
    await rm(dir, { recursive: true, force: true });
  });
  await ensureStreams(await nc.jetstreamManager(), ['predictions', 'feedback', 'events'], { maxAgeMs: 0, maxBytes: -1, duplicateWindowMs: 60_000 });
  const js = nc.jetstream();
  const reports = (): Promise<DriftReport__Output[]> => driftReports(nc, MODEL);
  const env = { NATS_URL: nats.url, MLMESH_MONITOR_MODEL_REPOSITORY: repo, MLMESH_MONITOR_STATE_DIR: stateDir, MLMESH_MONITOR_GRPC_PORT: '0', MLMESH_MONITOR_HTTP_PORT: '-1', MLMESH_LOG_LEVEL: 'info' };
  return {
    nc,
    js,
    stateDir,
    async start() {
      const child = runNode('services/monitor/main.js', [], env);
      children.push(child);
      const listening = await child.waitForLog((r) => r['msg'] === 'gRPC server listening', 15_000);
      await child.waitForLog((r) => r['msg'] === 'NATS connected', 15_000);
      const client = monitorClient(`127.0.0.1:${listening['port'] as number}`);
      clients.push(client);
      return { child, client };
    },
    reports,
    async settled(client, lastSequence, openRows) {
      const status = async () => (await call<GetStatusResponse__Output>(client, 'GetStatus', { model: MODEL })).versions[0];
      await waitFor(async () => {
        const st = await status().catch(() => undefined);
        return Number(st?.last_sequence) >= lastSequence && (openRows === undefined || Number(st?.open_window_rows) === openRows);
      }, 60_000, `the stream applied through ${lastSequence}`);
      const closed = Number((await status())?.windows_closed);
      await waitFor(async () => (await reports()).length >= closed, 10_000, `${closed} reports on the events stream`);
      return reports();
    },
  };
}

/** A PredictionLog of `rows` (2 features) with 3-class probabilities whose argmax is `classes[i]`. */
function predictionLog(requestId: string, rows: Float32Array, classes: number[], timeMs: number): Uint8Array {
  const probs = Float32Array.from(classes.flatMap((c) => [0, 1, 2].map((k) => (k === c ? 0.8 : 0.1))));
  return encodePredictionLog({
    meta: { event_id: requestId, time_unix_ms: String(timeMs) },
    request_id: requestId,
    model: MODEL,
    version: '1',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [String(classes.length), '2'], raw: Buffer.from(rows.buffer) }],
    outputs: [{ name: 'p', datatype: 'FP32', shape: [String(classes.length), '3'], raw: Buffer.from(probs.buffer) }],
  });
}

const REQUESTS = 143; // × 7 rows = 1001 rows: windows 0 … 9 of 100 rows, 1 row left open
const SIZE = 7;
const WINDOW = 100;
/** The predicted class of row r of request k. */
const classOf = (k: number, r: number): number => (k + r) % 3;

test('monitor restart - killed mid-window and restarted: windows hold exactly window_rows rows, labels sent while it was down join their rows windows', async (t) => {
  const h = await harness(t, { window_rows: WINDOW, window_seconds: 0 });
  const rand = seededRandom(9);
  let published = 0;
  const publishSome = async (n: number): Promise<void> => {
    for (let i = 0; i < n && published < REQUESTS; i++) {
      const k = published++;
      const rows = Float32Array.from({ length: SIZE * 2 }, () => rand());
      await h.js.publish(SUBJECTS.prediction(MODEL, '1'), predictionLog(`r${k}`, rows, Array.from({ length: SIZE }, (_, r) => classOf(k, r)), Date.now()), { msgID: `r${k}` });
    }
  };
  await publishSome(20);
  const first = await h.start();
  // Keep publishing while it works, and kill it once it has closed two windows.
  const feeding = (async () => {
    while (published < 90) {
      await publishSome(2);
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  await waitFor(async () => (await h.reports()).length >= 2, 30_000, 'two windows closed before the kill');
  first.child.proc.kill('SIGKILL');
  t.is(await first.child.exited, 'SIGKILL');
  const stored = await readFile(join(h.stateDir, 'windows', `${MODEL}@1.win`)).catch(() => undefined);
  t.log(`killed with ${published} requests published; stored open window: ${stored ? stored.subarray(0, stored.indexOf(10)).toString() : 'none'}`);
  await feeding;
  await publishSome(REQUESTS);
  // Labels for requests r0 … r14 while no monitor runs: window 0 is r0–r13 and rows 0–1 of r14,
  // window 1 starts with rows 2–6 of r14. r3's labels are all wrong.
  for (let k = 0; k <= 14; k++) {
    const labels = Array.from({ length: SIZE }, (_, r) => String(k === 3 ? classOf(k, r) + 1 : classOf(k, r)));
    await h.js.publish(SUBJECTS.feedback(MODEL), encodeFeedback({ request_id: `r${k}`, model: MODEL, labels }), { msgID: `fb-r${k}` });
  }

  const second = await h.start();
  const reports = await h.settled(second.client, REQUESTS);
  t.deepEqual(reports.map((r) => Number(r.rows)), Array.from({ length: 10 }, () => WINDOW), 'ten windows of window_rows, none published twice');
  reports.forEach((r, k) => {
    t.is(Number(r.window_index), k);
    // One request per stream sequence (from 1): window k is global rows 100k … 100k+99.
    const [a, b] = [k * WINDOW, k * WINDOW + WINDOW - 1];
    t.deepEqual([Number(r.first_sequence), r.first_row], [Math.floor(a / SIZE) + 1, a % SIZE], `window ${k} start`);
    t.deepEqual([Number(r.last_sequence), r.last_row], [Math.floor(b / SIZE) + 1, b % SIZE], `window ${k} end`);
    t.is(r.detectors[0]?.skipped_reason, '');
  });
  const perf = async (id: string) => (await call<GetReportResponse__Output>(second.client, 'GetReport', { report_id: id })).performance;
  await waitFor(async () => Number((await perf(`${MODEL}/1/1`))?.labelled_rows) >= 5, 30_000, 'labels joined after the restart');

  t.like(await perf(`${MODEL}/1/0`), { labelled_rows: '100', correct: '93', late_rows: '100' });
  t.like(await perf(`${MODEL}/1/1`), { labelled_rows: '5', correct: '5', late_rows: '5' });
  const listed = await call<ListReportsResponse__Output>(second.client, 'ListReports', { model: MODEL });
  t.deepEqual(listed.performance.map((p) => [p.report_id, Number(p.labelled_rows)]), reports.map((r, k) => [r.report_id, k === 0 ? 100 : k === 1 ? 5 : 0]));
  await t.throwsAsync(call(second.client, 'GetReport', { report_id: `${MODEL}/1/99` }), { message: /NOT_FOUND.*no report/ });
  await t.throwsAsync(call(second.client, 'GetReport', { report_id: '' }), { message: /INVALID_ARGUMENT.*report_id/ });
  second.child.proc.kill('SIGTERM');
  t.is(await second.child.exited, 0);
});

test('monitor restart - a backlog published while no monitor ran is cut by the logs own times, not by batches', async (t) => {
  const h = await harness(t, { window_rows: 100_000, window_seconds: 10, min_window_rows: 10 });
  // 2000 logs stamped 20 per second, an hour ago: ten 10-second windows of 200 rows each.
  const base = Date.now() - 3_600_000;
  const rand = seededRandom(11);
  for (let i = 0; i < 2000; i++) {
    await h.js.publish(SUBJECTS.prediction(MODEL, '1'), predictionLog(`b${i}`, Float32Array.of(rand(), rand()), [i % 3], base + i * 50), { msgID: `b${i}` });
  }
  const m = await h.start();
  // Every log applied, and the last window closed by the tick (its time has long passed).
  const reports = await h.settled(m.client, 2000, 0);
  t.deepEqual(reports.map((r) => Number(r.rows)), Array.from({ length: 10 }, () => 200));
  reports.forEach((r, k) => t.is(Number(r.window_start_ms), base + k * 10_000, `window ${k} starts at its first log`));
  m.child.proc.kill('SIGTERM');
  t.is(await m.child.exited, 0);
});
