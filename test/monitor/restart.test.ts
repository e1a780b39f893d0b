/**
 * Crash safety: the monitor runs as its own process, is killed (SIGKILL) mid-window while
 * prediction logs keep arriving, and is restarted on the same state folder. Every closed window
 * must hold exactly the rows published into its sequence range: none lost, none counted twice.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { AckPolicy, DeliverPolicy, connect } from 'nats';
import { STREAMS, SUBJECTS, decodeDriftReport, encodePredictionLog } from '../../shared/events/index.js';
import type { DriftReport__Output } from '../../shared/events/index.js';
import { ensureStreams } from '../../shared/nats/index.js';
import { encodeNpy } from '../../shared/tensors/index.js';
import { seededRandom } from '../../services/monitor/stats/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { waitFor } from '../helpers/inference.js';
import { runNode } from '../helpers/process.js';
import type { Child } from '../helpers/process.js';

const TOTAL = 1000;
const WINDOW = 100;

test('monitor restart - killed mid-window and restarted: closed windows hold exactly the published rows', async (t) => {
  const nats = await NatsServer.start({ jetstream: true });
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-restart-'));
  const repo = join(dir, 'models');
  const stateDir = join(dir, 'state');
  // A model with a 2-feature reference; only KS runs, to keep each window cheap.
  await mkdir(join(repo, 'synthetic', '1', 'reference'), { recursive: true });
  await writeFile(join(repo, 'synthetic', 'config.json'), JSON.stringify({ name: 'synthetic', monitoring: { window_rows: WINDOW, window_seconds: 0, detectors: ['ks'] } }));
  const rand = seededRandom(5);
  const ref = Float32Array.from({ length: 400 }, () => rand());
  await writeFile(join(repo, 'synthetic', '1', 'reference', 'inputs.npy'), encodeNpy('FP32', [200, 2], new Uint8Array(ref.buffer)));
  const nc = await connect({ servers: nats.url });
  const children: Child[] = [];
  t.teardown(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await nc.close();
    await nats.dispose();
    await rm(dir, { recursive: true, force: true });
  });
  await ensureStreams(await nc.jetstreamManager(), ['predictions', 'feedback', 'events'], { maxAgeMs: 0, maxBytes: -1, duplicateWindowMs: 60_000 });
  const js = nc.jetstream();
  let published = 0;
  const publishSome = async (n: number): Promise<void> => {
    for (let k = 0; k < n && published < TOTAL; k++) {
      const i = published++;
      const row = Float32Array.of(rand(), rand());
      const log = encodePredictionLog({
        meta: { event_id: `r${i}`, time_unix_ms: String(Date.now()) },
        request_id: `r${i}`,
        model: 'synthetic',
        version: '1',
        inputs: [{ name: 'x', datatype: 'FP32', shape: ['1', '2'], raw: Buffer.from(row.buffer) }],
        outputs: [],
      });
      await js.publish(SUBJECTS.prediction('synthetic', '1'), log, { msgID: `r${i}` });
    }
  };
  const env = {
    NATS_URL: nats.url,
    MLMESH_MODEL_REPOSITORY: repo,
    MLMESH_MONITOR_STATE_DIR: stateDir,
    MLMESH_MONITOR_GRPC_PORT: '0',
    MLMESH_MONITOR_HTTP_PORT: '-1',
    MLMESH_LOG_LEVEL: 'info',
  };
  const reportsSoFar = async (): Promise<DriftReport__Output[]> => {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(STREAMS.events.name);
    if (info.state.messages === 0) return [];
    const ci = await jsm.consumers.add(STREAMS.events.name, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All, filter_subject: SUBJECTS.drift('synthetic') });
    const consumer = await js.consumers.get(STREAMS.events.name, ci.name);
    const out: DriftReport__Output[] = [];
    for await (const m of await consumer.fetch({ max_messages: 1000, expires: 1000 })) out.push(decodeDriftReport(m.data));
    await jsm.consumers.delete(STREAMS.events.name, ci.name);
    return out;
  };

  await publishSome(150);
  const first = runNode('services/monitor/main.js', [], env);
  children.push(first);
  await first.waitForLog((r) => r['msg'] === 'NATS connected', 15_000);
  // Keep publishing while it works, and kill it once it has closed a window.
  const feeding = (async () => {
    while (published < 600) {
      await publishSome(5);
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  await waitFor(async () => (await reportsSoFar()).length >= 2, 30_000, 'two windows closed before the kill');
  first.proc.kill('SIGKILL');
  t.is(await first.exited, 'SIGKILL');
  const stored = await readFile(join(stateDir, 'windows', 'synthetic@1.win')).catch(() => undefined);
  t.log(`killed with ${published} published; stored open window: ${stored ? stored.subarray(0, stored.indexOf(10)).toString() : 'none'}`);
  await feeding;
  await publishSome(TOTAL);

  const second = runNode('services/monitor/main.js', [], env);
  children.push(second);
  await waitFor(async () => (await reportsSoFar()).length >= TOTAL / WINDOW, 60_000, 'every window closed after the restart');
  second.proc.kill('SIGTERM');
  t.is(await second.exited, 0);

  const reports = (await reportsSoFar()).sort((a, b) => Number(a.window_index) - Number(b.window_index));
  t.is(reports.length, TOTAL / WINDOW, 'one report per window, none published twice');
  reports.forEach((r, k) => {
    t.is(Number(r.window_index), k);
    t.is(Number(r.rows), WINDOW, `window ${k} rows`);
    // One row per message, stream sequences from 1: window k holds exactly sequences 100k+1 … 100(k+1).
    t.is(Number(r.first_sequence), k * WINDOW + 1, `window ${k} first sequence`);
    t.is(Number(r.last_sequence), (k + 1) * WINDOW, `window ${k} last sequence`);
    t.is(r.detectors[0]?.detector, 'ks');
    t.is(r.detectors[0]?.skipped_reason, '');
  });
});
