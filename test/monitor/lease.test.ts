/**
 * Two monitor processes on one state folder (as on a ReadWriteMany volume) and one durable name,
 * with the active-replica lease on (leaseBucket): the standby idles (not ready, consumes nothing);
 * the active one is SIGKILLed mid-window and mid-batch (logs delivered to it but not committed,
 * checked on the consumer and the state file at the kill) while 7-row requests keep being
 * published through the kill and the takeover; the standby takes over once the lease expires,
 * reloads the state and resumes from the stored stream position: every window holds exactly
 * window_rows rows of the published requests, none lost or counted twice, and each is reported
 * once.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { connect } from 'nats';
import { STREAMS, SUBJECTS, encodePredictionLog } from '../../shared/events/index.js';
import type { DriftReport__Output } from '../../shared/events/index.js';
import type { GetStatusResponse__Output } from '../../shared/generated/mlmesh/monitor/v1/GetStatusResponse.js';
import { ensureStreams } from '../../shared/nats/index.js';
import { encodeNpy } from '../../shared/tensors/index.js';
import { seededRandom } from '../../services/monitor/stats/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { waitFor } from '../helpers/inference.js';
import { call, driftReports, monitorClient } from '../helpers/monitor.js';
import { runNode } from '../helpers/process.js';
import type { Child } from '../helpers/process.js';

const MODEL = 'synthetic';
const REQUESTS = 429; // × 7 rows = 3003 rows: windows 0 … 29 of 100 rows, 3 rows left open
const SIZE = 7;
const WINDOW = 100;
const WINDOWS = Math.floor((REQUESTS * SIZE) / WINDOW);
/** One request published every PACE_MS from window 0 on: the publishing runs through the kill and the takeover. */
const PACE_MS = 10;
const TTL_MS = 3000;

function predictionLog(requestId: string, rows: Float32Array, timeMs: number): Uint8Array {
  const probs = Float32Array.from({ length: SIZE * 3 }, (_, i) => (i % 3 === 0 ? 0.8 : 0.1));
  return encodePredictionLog({
    meta: { event_id: requestId, time_unix_ms: String(timeMs) },
    request_id: requestId,
    model: MODEL,
    version: '1',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [String(SIZE), '2'], raw: Buffer.from(rows.buffer) }],
    outputs: [{ name: 'p', datatype: 'FP32', shape: [String(SIZE), '3'], raw: Buffer.from(probs.buffer) }],
  });
}

test('monitor lease - the standby idles, takes over after the active one is SIGKILLed mid-window and mid-batch with logs still being published, and no window is lost or counted twice', async (t) => {
  const nats = await NatsServer.start({ jetstream: true });
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-lease-'));
  const repo = join(dir, 'models');
  const stateDir = join(dir, 'state');
  await mkdir(join(repo, MODEL, '1', 'reference'), { recursive: true });
  await writeFile(join(repo, MODEL, 'config.json'), JSON.stringify({ name: MODEL, monitoring: { detectors: ['ks'], window_rows: WINDOW, window_seconds: 0 } }));
  const rand = seededRandom(5);
  await writeFile(join(repo, MODEL, '1', 'reference', 'inputs.npy'), encodeNpy('FP32', [200, 2], new Uint8Array(Float32Array.from({ length: 400 }, () => rand()).buffer)));
  const nc = await connect({ servers: nats.url });
  const children: Child[] = [];
  const clients: Array<ReturnType<typeof monitorClient>> = [];
  t.teardown(async () => {
    for (const c of clients) c.close();
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await nc.close();
    await nats.dispose();
    await rm(dir, { recursive: true, force: true });
  });
  await ensureStreams(await nc.jetstreamManager(), ['predictions', 'feedback', 'events'], { maxAgeMs: 0, maxBytes: -1, duplicateWindowMs: 60_000 });
  const js = nc.jetstream();
  const reports = (): Promise<DriftReport__Output[]> => driftReports(nc, MODEL);
  const env = {
    NATS_URL: nats.url,
    MLMESH_MONITOR_MODEL_REPOSITORY: repo,
    MLMESH_MONITOR_STATE_DIR: stateDir,
    MLMESH_MONITOR_GRPC_PORT: '0',
    MLMESH_MONITOR_HTTP_PORT: '0',
    MLMESH_MONITOR_LEASE_BUCKET: 'mlmesh_leases',
    MLMESH_MONITOR_LEASE_TTL_MS: String(TTL_MS),
    MLMESH_LOG_LEVEL: 'info',
  };
  const start = async (): Promise<{ child: Child; client: ReturnType<typeof monitorClient>; http: string }> => {
    const child = runNode('services/monitor/main.js', [], env);
    children.push(child);
    const listening = await child.waitForLog((r) => r['msg'] === 'gRPC server listening', 15_000);
    const up = await child.waitForLog((r) => r['msg'] === 'monitor service ready' || r['msg'] === 'monitor service started but not ready', 15_000);
    await child.waitForLog((r) => r['msg'] === 'NATS connected', 15_000);
    const client = monitorClient(`127.0.0.1:${listening['port'] as number}`);
    clients.push(client);
    return { child, client, http: `http://127.0.0.1:${up['httpPort'] as number}` };
  };
  const acquired = (c: Child): boolean => c.stdout.some((l) => l.includes('"lease acquired: this replica is active"'));

  let published = 0;
  const data = seededRandom(9);
  const publishSome = async (n: number): Promise<void> => {
    for (let i = 0; i < n && published < REQUESTS; i++) {
      const k = published++;
      await js.publish(SUBJECTS.prediction(MODEL, '1'), predictionLog(`r${k}`, Float32Array.from({ length: SIZE * 2 }, () => data()), Date.now()), { msgID: `r${k}` });
    }
  };

  const first = await start();
  await first.child.waitForLog((r) => r['msg'] === 'lease acquired: this replica is active', 15_000);
  const second = await start();
  await publishSome(20);
  // The standby holds no lease, is not ready, and consumes nothing.
  await waitFor(async () => (await reports()).length >= 1, 30_000, 'the active monitor to close window 0');
  await sleep(TTL_MS);
  t.false(acquired(second.child), 'the standby did not take the lease while the active one renews it');
  t.is((await fetch(`${second.http}/readyz`)).status, 503, 'the standby is not ready');
  t.is((await fetch(`${first.http}/readyz`)).status, 200, 'the active one is ready');

  // Keep publishing, one request every PACE_MS, through the kill and the takeover. Once three
  // windows are closed the active monitor is frozen (SIGSTOP) at a moment when the durable
  // consumer has delivered logs that the state on disk does not cover yet (a fetch collecting
  // its batch, or a batch being applied), and SIGKILLed there: those logs were delivered but
  // never committed, and must come again to the standby, once.
  const feeding = (async () => {
    while (published < REQUESTS) {
      await publishSome(1);
      await sleep(PACE_MS);
    }
  })();
  await waitFor(async () => (await reports()).length >= 3, 30_000, 'three windows closed before the kill');
  const jsm = await nc.jetstreamManager();
  const appliedFile = join(stateDir, 'applied.json');
  const storedSeq = async (): Promise<number> => (JSON.parse(await readFile(appliedFile, 'utf8')) as { predictions: number }).predictions;
  let atKill: { delivered: number; ackPending: number; stored: number; published: number } | undefined;
  for (let attempt = 1; atKill === undefined; attempt++) {
    first.child.proc.kill('SIGSTOP');
    // Frozen: it can neither ack nor commit, so what the server and the disk say now is what a kill here leaves.
    const ci = await jsm.consumers.info(STREAMS.predictions.name, 'mlmesh-monitor');
    const stored = await storedSeq();
    if (ci.delivered.stream_seq > stored) {
      atKill = { delivered: ci.delivered.stream_seq, ackPending: ci.num_ack_pending, stored, published };
      first.child.proc.kill('SIGKILL');
      t.log(`SIGKILL at probe ${attempt}: ${published} requests published, the consumer had delivered through sequence ${ci.delivered.stream_seq} (${ci.num_ack_pending} unacked), the state on disk covered through ${stored}`);
    } else {
      first.child.proc.kill('SIGCONT');
      if (attempt >= 500 || published >= REQUESTS) throw new Error(`no moment with delivered-but-uncommitted logs found in ${attempt} probes (delivered ${ci.delivered.stream_seq}, stored ${stored})`);
      await sleep(3);
    }
  }
  const killedAt = Date.now();
  t.is(await first.child.exited, 'SIGKILL');
  t.true(atKill.delivered > atKill.stored, 'logs were delivered to the killed monitor but not committed');
  t.true(atKill.published < REQUESTS, 'the kill came while logs were still being published');
  const stored = await readFile(join(stateDir, 'windows', `${MODEL}@1.win`)).catch(() => undefined);
  t.log(`stored open window at the kill: ${stored ? stored.subarray(0, stored.indexOf(10)).toString() : 'none'}`);
  // Windows closed (and reported) from the uncommitted batch are closed again by the standby:
  // the stored reports and the report id as Nats-Msg-Id must keep each one report.
  const reportsAtKill = (await reports()).length;
  const coveredAtKill = Math.floor((atKill.stored * SIZE) / WINDOW);
  t.log(`${reportsAtKill} reports published at the kill; the stored position covers ${coveredAtKill} closed windows`);
  await feeding;

  const took = await second.child.waitForLog((r) => r['msg'] === 'monitor active: state reloaded, consuming', 30_000);
  const tookAfterMs = Date.parse(String(took['time'])) - killedAt;
  t.log(`the standby took over ${tookAfterMs} ms after the kill (TTL ${TTL_MS} ms), resuming after sequence ${String(took['resumeAfter'])}`);
  t.true(tookAfterMs > 0, 'not before the kill');
  t.is(Number(took['resumeAfter']), atKill.stored, 'the standby resumes after what was stored, so the uncommitted logs come again');
  const status = async () => (await call<GetStatusResponse__Output>(second.client, 'GetStatus', { model: MODEL })).versions[0];
  await waitFor(async () => Number((await status().catch(() => undefined))?.last_sequence) >= REQUESTS, 60_000, 'the stream applied to its end');
  await waitFor(async () => (await reports()).length >= WINDOWS, 30_000, `${WINDOWS} reports on the events stream`);
  await sleep(500); // a report published twice would show up by now
  const all = await reports();
  t.deepEqual(all.map((r) => Number(r.rows)), Array.from({ length: WINDOWS }, () => WINDOW), `${WINDOWS} windows of window_rows, none published twice`);
  all.forEach((r, k) => {
    t.is(Number(r.window_index), k);
    const [a, b] = [k * WINDOW, k * WINDOW + WINDOW - 1];
    t.deepEqual([Number(r.first_sequence), r.first_row], [Math.floor(a / SIZE) + 1, a % SIZE], `window ${k} start`);
    t.deepEqual([Number(r.last_sequence), r.last_row], [Math.floor(b / SIZE) + 1, b % SIZE], `window ${k} end`);
  });
  t.is(Number((await status())?.open_window_rows), (REQUESTS * SIZE) % WINDOW, 'the rows left over are open');
  // The stored reports too: one line per window.
  const lines = (await readFile(join(stateDir, 'reports', `${MODEL}.ndjson`), 'utf8')).trim().split('\n');
  t.is(lines.length, WINDOWS);
  t.is((await fetch(`${second.http}/readyz`)).status, 200, 'the new active one is ready');
  second.child.proc.kill('SIGTERM');
  t.is(await second.child.exited, 0);
});
