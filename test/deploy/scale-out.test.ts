/**
 * Scale-out on one machine, with real processes: (1) two inference replicas (child processes,
 * separate spool folders) behind one gateway channel with round-robin; one is SIGKILLed under
 * steady gateway load → no gateway request fails (UNAVAILABLE retried on the other replica),
 * and the prediction logs it spooled (its NATS connection stalled by a TCP proxy, so it spools
 * deterministically) are in the stream once it is restarted on its spool. (2) two gateway
 * replicas behind one client channel with round-robin: each serves its share.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { GatewayClient } from '../../shared/client/index.js';
import { decodePredictionLog, STREAMS } from '../../shared/events/index.js';
import { APPLICANTS, startGatewayMesh } from '../helpers/gateway.js';
import type { GatewayMesh } from '../helpers/gateway.js';
import { metricValue, waitFor } from '../helpers/inference.js';
import { freePort } from '../helpers/mesh.js';
import { NatsServer } from '../helpers/nats-server.js';
import { runNode } from '../helpers/process.js';
import type { Child } from '../helpers/process.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

/** Callers of the gateway load: also the most requests a killed replica can have in flight. */
const CONCURRENCY = 8;
/**
 * Answered requests whose logs a SIGKILL may lose with publishDurability memory (spool writes
 * still in memory at the kill; docs/prediction-logs.md). A tolerance, not a measurement.
 */
const MAX_UNSPOOLED = 8;

let nats: NatsServer;
let mesh: GatewayMesh;
let nc: NatsConnection;
const children: Child[] = [];
const dirs: string[] = [];

test.before(async () => {
  nats = await NatsServer.start();
  mesh = await startGatewayMesh();
  nc = await connect({ servers: nats.url });
});

test.after.always(async () => {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  await nc?.close();
  await mesh?.stop();
  await nats?.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** One inference replica as a child process on fixed ports (so that it can come back on them). */
interface Replica {
  grpcPort: number;
  httpPort: number;
  spoolDir: string;
  child: Child;
  http: string;
}

async function startReplica(r: { grpcPort: number; httpPort: number; spoolDir: string; natsUrl: string }): Promise<Replica> {
  const child = runNode('services/inference/main.js', [], {
    NATS_URL: r.natsUrl,
    MLMESH_INFERENCE_HOST: '127.0.0.1',
    MLMESH_INFERENCE_GRPC_PORT: String(r.grpcPort),
    MLMESH_INFERENCE_HTTP_PORT: String(r.httpPort),
    MLMESH_INFERENCE_MODEL_REPOSITORY: mesh.inference.repo,
    MLMESH_INFERENCE_SPOOL_DIR: r.spoolDir,
    // A publish NATS does not ack within 300 ms goes to the spool (the stall below).
    MLMESH_INFERENCE_PUBLISH_TIMEOUT_MS: '300',
    MLMESH_INFERENCE_REPOSITORY_POLL_MS: '0',
    MLMESH_INFERENCE_LOG_LEVEL: 'info',
  });
  children.push(child);
  await child.waitForLog((l) => l['msg'] === 'inference service ready', 60_000);
  await child.waitForLog((l) => l['msg'] === 'NATS connected', 30_000);
  return { ...r, child, http: `http://127.0.0.1:${r.httpPort}` };
}

const served = (r: Replica): Promise<number> => metricValue(r.http, 'mlmesh_inference_request_success_total');

/** request_id → how many prediction logs of it MLMESH_PREDICTIONS holds. */
async function streamRequestIds(): Promise<Map<string, number>> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(STREAMS.predictions.name);
  const counts = new Map<string, number>();
  if (info.state.messages === 0) return counts;
  const consumer = await nc.jetstream().consumers.get(STREAMS.predictions.name);
  let seen = 0;
  while (seen < info.state.messages) {
    const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
    let got = 0;
    for await (const m of batch) {
      got++;
      seen++;
      const id = decodePredictionLog(m.data).request_id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    if (got === 0) break;
  }
  return counts;
}

/** A steady load of `concurrency` callers until `stop` aborts; every outcome recorded. */
function load(client: GatewayClient, concurrency: number, stop: AbortSignal): { done: Promise<void>; ok: Map<string, number>; failures: string[] } {
  const ok = new Map<string, number>();
  const failures: string[] = [];
  let n = 0;
  const worker = async (): Promise<void> => {
    while (!stop.aborted) {
      const i = n++;
      try {
        const res = await client.predictRows('risk', [{ applicant_id: APPLICANTS.fresh, amount: 200 + (i % 800), channel: 'web' }], { timeoutMs: 15_000 });
        if (res.predicted_rows !== 1) failures.push(`request ${i}: ${JSON.stringify(res.rows)}`);
        else ok.set(res.request_id, Date.now());
      } catch (e: unknown) {
        failures.push(`request ${i}: ${String(e)}`);
      }
    }
  };
  return { done: Promise.all(Array.from({ length: concurrency }, worker)).then(() => undefined), ok, failures };
}

test.serial('inference replicas: one SIGKILLed under gateway load → no failed request; its spooled logs are replayed when it returns', async (t) => {
  const proxy = await TcpProxy.start(`127.0.0.1:${nats.port}`);
  t.teardown(() => proxy.stop());
  const spoolA = await mkdtemp(join(tmpdir(), 'mlmesh-spool-a-'));
  const spoolB = await mkdtemp(join(tmpdir(), 'mlmesh-spool-b-'));
  dirs.push(spoolA, spoolB);
  // Replica A reaches NATS through the proxy (stalled below), B directly.
  const [a, b] = await Promise.all([
    (async () => startReplica({ grpcPort: await freePort(), httpPort: await freePort(), spoolDir: spoolA, natsUrl: `nats://${proxy.address}` }))(),
    (async () => startReplica({ grpcPort: await freePort(), httpPort: await freePort(), spoolDir: spoolB, natsUrl: nats.url }))(),
  ]);
  const { client, gateway } = await mesh.extraGateway({ inferenceAddress: `ipv4:127.0.0.1:${a.grpcPort},127.0.0.1:${b.grpcPort}` });

  const stop = new AbortController();
  const run = load(client, CONCURRENCY, stop.signal);
  try {
    await waitFor(async () => (await served(a)) >= 50 && (await served(b)) >= 50, 60_000, 'both replicas to serve');
    // A's NATS stalls: its publishes time out and go to its spool.
    proxy.stall();
    await waitFor(async () => (await metricValue(a.http, 'mlmesh_publisher_spooled_total', { publisher: 'predictions' })) >= 150, 60_000, 'replica A to spool 150 logs');
    const spooledBeforeKill = await metricValue(a.http, 'mlmesh_publisher_spooled_total', { publisher: 'predictions' });
    const servedByB = await served(b);
    // Frozen first, so that calls are surely in flight on A when it dies (see the control below).
    a.child.proc.kill('SIGSTOP');
    const killedAt = Date.now();
    await sleep(150);
    a.child.proc.kill('SIGKILL');
    t.is(await a.child.exited, 'SIGKILL');
    // The load goes on against B alone for a while.
    await waitFor(async () => (await served(b)) >= servedByB + 200, 60_000, 'B to serve 200 more');
    stop.abort();
    await run.done;
    t.deepEqual(run.failures.slice(0, 5), [], `${run.failures.length} failed gateway requests`);
    t.log(`${run.ok.size} gateway requests, 0 failed; A spooled ${spooledBeforeKill} logs before the SIGKILL`);
    const unavailable = await metricValue(`http://127.0.0.1:${gateway.httpPort}`, 'mlmesh_gateway_hop_failures_total', { hop: 'inference' });
    t.is(unavailable, 0, 'no inference hop failed (the retries hid the kill)');

    // B's logs are in the stream; A's spooled ones are not (yet). (Not all of them: a publish in
    // flight when the stall began may have reached NATS with its ack held, and been spooled too.)
    await waitFor(async () => (await metricValue(b.http, 'mlmesh_publisher_queue_depth', { publisher: 'predictions' })) === 0 && (await metricValue(b.http, 'mlmesh_publisher_inflight', { publisher: 'predictions' })) === 0, 30_000, 'B to publish everything');
    const before = await streamRequestIds();
    const missingBefore = [...run.ok.keys()].filter((id) => !before.has(id));
    t.true(missingBefore.length >= 100, `the logs A spooled are missing from the stream before it returns (${missingBefore.length})`);

    // A comes back on the same port and spool, NATS reachable again: it replays.
    const a2 = await startReplica({ grpcPort: a.grpcPort, httpPort: a.httpPort, spoolDir: spoolA, natsUrl: nats.url });
    await waitFor(async () => (await metricValue(a2.http, 'mlmesh_publisher_replayed_total', { publisher: 'predictions' })) > 0 && (await metricValue(a2.http, 'mlmesh_publisher_spool_bytes', { publisher: 'predictions' })) === 0, 60_000, 'A to replay its spool');
    const replayed = await metricValue(a2.http, 'mlmesh_publisher_replayed_total', { publisher: 'predictions' });
    const after = await streamRequestIds();
    const missing = [...run.ok.keys()].filter((id) => !after.has(id));
    // A SIGKILL loses only what was in memory: with the default publishDurability (memory, as
    // in the manifests) spool writes not finished yet (ms), so at most the few requests A
    // answered in its last moments (0 in the runs quoted in docs/kubernetes.md; the bound is
    // MAX_UNSPOOLED, each answered within 1 s of the kill).
    t.log(`A replayed ${replayed} logs; ${missing.length} answered requests without a log (answered ${missing.map((id) => killedAt - (run.ok.get(id) ?? 0)).join(', ')} ms before the kill)`);
    t.true(missing.length <= MAX_UNSPOOLED, `${missing.length} answered requests have no prediction log`);
    for (const id of missing) t.true(killedAt - (run.ok.get(id) ?? 0) < 1000, `request ${id} without a log was answered well before the kill`);
    t.true(replayed >= missingBefore.length - missing.length, `A replayed ${replayed}, ${missingBefore.length - missing.length} were missing and are now there`);
    const twice = [...after.entries()].filter(([id, n]) => n > 1 && run.ok.has(id));
    // A request A ran but did not answer before dying is retried on B: two predictions, two logs.
    // At most one per caller (CONCURRENCY): each has one call in flight.
    t.log(`${twice.length} request ids logged twice (run on A, killed before answering, retried on B)`);
    t.true(twice.length <= CONCURRENCY, `${twice.length} request ids logged twice`);
  } finally {
    stop.abort();
    await run.done;
  }
});

test.serial('inference replicas, control: the same SIGKILL with the gateway\'s retryAttempts 1 fails requests (the retry is what hides the kill)', async (t) => {
  const spoolA = await mkdtemp(join(tmpdir(), 'mlmesh-spool-a-'));
  const spoolB = await mkdtemp(join(tmpdir(), 'mlmesh-spool-b-'));
  dirs.push(spoolA, spoolB);
  const [a, b] = await Promise.all(
    [spoolA, spoolB].map(async (spoolDir) => startReplica({ grpcPort: await freePort(), httpPort: await freePort(), spoolDir, natsUrl: nats.url })),
  );
  const { client, gateway } = await mesh.extraGateway({ inferenceAddress: `ipv4:127.0.0.1:${a!.grpcPort},127.0.0.1:${b!.grpcPort}`, retryAttempts: 1 });
  const stop = new AbortController();
  const run = load(client, CONCURRENCY, stop.signal);
  try {
    await waitFor(async () => (await served(a!)) >= 50 && (await served(b!)) >= 50, 60_000, 'both replicas to serve');
    const servedByB = await served(b!);
    // A plain SIGKILL can land between two inference hops with no call on A (the hop is a small
    // part of a gateway request), and then nothing fails: the control proved nothing and failed
    // once in CI. Freeze A first, so that the calls round-robin sends it pile up in flight (well
    // within the hop's timeout), then kill it with them open.
    a!.child.proc.kill('SIGSTOP');
    await sleep(150);
    a!.child.proc.kill('SIGKILL');
    t.is(await a!.child.exited, 'SIGKILL');
    await waitFor(async () => (await served(b!)) >= servedByB + 200, 60_000, 'B to serve 200 more');
  } finally {
    stop.abort();
    await run.done;
  }
  const hopFailures = await metricValue(`http://127.0.0.1:${gateway.httpPort}`, 'mlmesh_gateway_hop_failures_total', { hop: 'inference' });
  t.log(`retryAttempts 1: ${run.ok.size} gateway requests answered, ${run.failures.length} failed (${run.failures.slice(0, 2).join('; ')}); ${hopFailures} inference hop failures`);
  t.true(run.failures.length >= 1, 'without the retry the calls in flight on the killed replica fail');
  t.true(run.failures.every((f) => /UNAVAILABLE/.test(f)), run.failures.slice(0, 3).join('\n'));
  b!.child.proc.kill('SIGTERM');
  await b!.child.exited;
});

test.serial('gateway replicas: one client channel with round-robin over two gateways splits the load', async (t) => {
  const second = await mesh.extraGateway({});
  const gateways = [mesh.gateway, second.gateway];
  const rows = async (): Promise<number[]> => Promise.all(gateways.map((g) => metricValue(`http://127.0.0.1:${g.httpPort}`, 'mlmesh_gateway_rows_total', { deployment: 'risk' })));
  const before = await rows();
  const client = new GatewayClient(`ipv4:${gateways.map((g) => `127.0.0.1:${g.grpcPort}`).join(',')}`, { loadBalancing: 'round_robin', retry: false });
  t.teardown(() => client.close());
  const N = 400;
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < N) {
        const i = next++;
        const res = await client.predictRows('risk', [{ applicant_id: APPLICANTS.fresh, amount: 200 + i, channel: 'app' }]);
        t.is(res.predicted_rows, 1);
      }
    }),
  );
  await sleep(100);
  const after = await rows();
  const share = after.map((v, i) => v - (before[i] as number));
  t.log(`rows per gateway: ${share.join(' / ')} of ${N}`);
  t.is(share.reduce((s, v) => s + v, 0), N);
  // Round-robin over two ready subchannels alternates: each gets about half.
  for (const s of share) t.true(s >= N * 0.4 && s <= N * 0.6, `share ${s} of ${N}`);
});
