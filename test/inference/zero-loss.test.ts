/**
 * publishDurability: inference as a child process under load, SIGKILLed while NATS is up, then
 * restarted on the same spool folder. With `spool` every request answered before the kill has
 * its log in the stream exactly once; with `memory` (the default) the same run shows what a
 * SIGKILL loses (printed, not asserted: it depends on timing).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest from 'ava';
import type { ExecutionContext, TestFn } from 'ava';
import { AckPolicy, DeliverPolicy, connect } from 'nats';
import type { NatsConnection } from 'nats';
import { InferenceClient, resolveInferenceConfig } from '../../services/inference/index.js';
import { STREAMS, decodePredictionLog } from '../../shared/events/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { copyRepository, f32, metricValue, startInference, waitFor } from '../helpers/inference.js';
import { runNode } from '../helpers/process.js';
import type { Child } from '../helpers/process.js';

interface Ctx {
  dirs: string[];
}
const base = anyTest as TestFn<Ctx>;
const test = base.serial;
base.before((t) => {
  t.context = { dirs: [] };
});
base.after.always(async (t) => {
  for (const d of t.context?.dirs ?? []) await rm(d, { recursive: true, force: true });
});

/** Answers wanted before the kill, and requests in flight meanwhile. */
const KILL_AFTER = 1500;
/** With slow acks: answers between the stall of the NATS connection and the kill. */
const STALLED_ANSWERS = 300;
const CONCURRENCY = 16;

const digits = (id: string) => ({
  model_name: 'digits_mlp',
  id,
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }],
  raw_input_contents: [f32(Array.from({ length: 64 }, (_, i) => (i % 17) / 16))],
});

/** Request id and Nats-Msg-Id of every PredictionLog in the stream. */
async function readAll(nc: NatsConnection): Promise<{ requestId: string; msgId: string | undefined }[]> {
  const jsm = await nc.jetstreamManager();
  const total = (await jsm.streams.info(STREAMS.predictions.name)).state.messages;
  const ci = await jsm.consumers.add(STREAMS.predictions.name, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
  const consumer = await nc.jetstream().consumers.get(STREAMS.predictions.name, ci.name);
  const out: { requestId: string; msgId: string | undefined }[] = [];
  while (out.length < total) {
    const batch = await consumer.fetch({ max_messages: Math.min(1000, total - out.length), expires: 2000 });
    for await (const m of batch) out.push({ requestId: decodePredictionLog(m.data).request_id, msgId: m.headers?.get('Nats-Msg-Id') });
  }
  await jsm.consumers.delete(STREAMS.predictions.name, ci.name);
  return out;
}

interface CrashRun {
  answered: string[];
  failedAtKill: number;
  stored: { requestId: string; msgId: string | undefined }[];
  /** Logs in the stream just after the kill (the rest of the answered ones must come from the spool). */
  storedAtKill: number;
  duplicatesAfterRestart: number;
  replayedAfterRestart: number;
}

/**
 * Runs the load, SIGKILLs inference once KILL_AFTER requests are answered, restarts it on the
 * same spool folder and reads the stream once its spool is empty. `slowAcks`: inference reaches
 * NATS through a proxy that holds every byte from the KILL_AFTER-th answer on, for
 * STALLED_ANSWERS more answers before the kill (NATS up, its acks late: logs pile up unpublished).
 */
async function crashRun(t: ExecutionContext<Ctx>, durability: 'memory' | 'spool', slowAcks = false): Promise<CrashRun> {
  const nats = await NatsServer.start();
  const proxy = slowAcks ? await TcpProxy.start(nats.url.replace(/^nats:\/\//, '')) : undefined;
  const repo = await copyRepository(['digits_mlp']);
  const spool = await mkdtemp(join(tmpdir(), 'mlmesh-zero-loss-'));
  t.context.dirs.push(repo, spool);
  const env = {
    MLMESH_INFERENCE_GRPC_PORT: '0',
    MLMESH_INFERENCE_HTTP_PORT: '0',
    MLMESH_INFERENCE_MODEL_REPOSITORY: repo,
    MLMESH_LOG_LEVEL: 'info',
    NATS_URL: proxy ? `nats://${proxy.address}` : nats.url,
    MLMESH_INFERENCE_SPOOL_DIR: spool,
    MLMESH_INFERENCE_PUBLISH_DURABILITY: durability,
  };
  const nc = await connect({ servers: nats.url });
  let second: Child | undefined;
  try {
    const first = runNode('services/inference/main.js', [], env);
    const ready = await first.waitForLog((r) => r['msg'] === 'inference service ready');
    const client = new InferenceClient(String(ready['address']));
    const answered: string[] = [];
    let failedAtKill = 0;
    let storedAtKill = 0;
    try {
      // Wait until logs reach the stream, so the kill happens while NATS is up and in use.
      await client.infer(digits('warm-up'));
      answered.push('warm-up');
      await waitFor(async () => (await readAll(nc).catch(() => [])).length >= 1, 20_000, 'the first log in the stream');
      let next = 0;
      let killed = false;
      const loop = async (): Promise<void> => {
        while (!killed) {
          const id = `zl-${next++}`;
          try {
            await client.infer(digits(id), { deadlineMs: 10_000 });
            answered.push(id);
            if (proxy && answered.length === KILL_AFTER) proxy.stall();
            if (answered.length >= KILL_AFTER + (proxy ? STALLED_ANSWERS : 0) && !killed) {
              killed = true;
              first.proc.kill('SIGKILL');
            }
          } catch {
            // Calls in flight at the kill fail (UNAVAILABLE): not answered, so nothing is promised for them.
            if (killed) failedAtKill++;
            else throw new Error(`request ${id} failed before the kill`);
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, loop));
      t.log(`${durability}: SIGKILL after ${answered.length} answers (${failedAtKill} calls in flight failed)`);
      t.is(await first.exited, 'SIGKILL');
      storedAtKill = (await readAll(nc)).length;
    } finally {
      client.close();
      if (first.proc.exitCode === null && first.proc.signalCode === null) first.proc.kill('SIGKILL');
    }
    // The restart talks to NATS directly (what the proxy held died with the killed process's connection).
    second = runNode('services/inference/main.js', [], { ...env, NATS_URL: nats.url });
    const again = await second.waitForLog((r) => r['msg'] === 'inference service ready');
    const http = `http://127.0.0.1:${String(again['httpPort'])}`;
    // Replayed and checkpointed: the spool file is reset to empty once everything in it is acknowledged.
    await waitFor(async () => (await metricValue(http, 'mlmesh_publisher_spool_bytes')) === 0 && (await metricValue(http, 'mlmesh_publisher_inflight')) === 0, 60_000, 'the spool replayed');
    const duplicatesAfterRestart = await metricValue(http, 'mlmesh_publisher_duplicates_total');
    const replayedAfterRestart = await metricValue(http, 'mlmesh_publisher_replayed_total');
    const stored = await readAll(nc);
    return { answered, failedAtKill, stored, storedAtKill, duplicatesAfterRestart, replayedAfterRestart };
  } finally {
    if (second) {
      second.proc.kill('SIGTERM');
      await second.exited;
    }
    await nc.close();
    await proxy?.stop();
    await nats.dispose();
  }
}

function tally(run: CrashRun): { lost: string[]; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  for (const s of run.stored) counts.set(s.requestId, (counts.get(s.requestId) ?? 0) + 1);
  return { lost: run.answered.filter((id) => !counts.has(id)), counts };
}

function checkSpool(t: ExecutionContext<Ctx>, run: CrashRun, what: string): void {
  const { lost, counts } = tally(run);
  const answered = new Set(run.answered);
  const extra = [...counts.keys()].filter((id) => !answered.has(id));
  t.log(
    `spool${what}: ${run.answered.length} answered, ${run.storedAtKill} logs in the stream at the kill, ${run.stored.length} after the restart ` +
      `(${run.replayedAfterRestart} published from the spool, ${run.duplicatesAfterRestart} of them duplicates dropped by JetStream); ` +
      `${lost.length} answered but missing; ${extra.length} logs of calls that failed at the kill (fsynced, answer lost with the process)`,
  );
  t.deepEqual(lost, [], 'no answered request lost');
  t.deepEqual([...counts].filter(([, n]) => n !== 1), [], 'each request id stored once');
  t.is(new Set(run.stored.map((s) => s.msgId)).size, run.stored.length, 'each Nats-Msg-Id stored once');
  t.true(extra.length <= run.failedAtKill, 'logs without an answer are only those of calls in flight at the kill');
}

function showMemory(t: ExecutionContext<Ctx>, run: CrashRun, what: string): void {
  const { lost, counts } = tally(run);
  t.log(`memory${what}: ${run.answered.length} answered, ${run.storedAtKill} logs in the stream at the kill, ${run.stored.length} after the restart; ${lost.length} answered requests LOST (their logs were in memory at the SIGKILL)`);
  t.deepEqual([...counts].filter(([, n]) => n !== 1), [], 'each request id stored at most once');
}

test('zero-loss - publishDurability=spool: SIGKILL under load while NATS is up; after a restart on the same spool every answered request is in the stream exactly once', async (t) => {
  t.timeout(180_000);
  checkSpool(t, await crashRun(t, 'spool'), '');
});

test('zero-loss - publishDurability=spool, NATS up with late acks: the logs answered but not yet published come back from the spool after the restart, exactly once', async (t) => {
  t.timeout(180_000);
  const run = await crashRun(t, 'spool', true);
  checkSpool(t, run, ', late acks');
  t.true(run.storedAtKill < run.answered.length, 'some answered logs were not published at the kill (the replay after the restart is exercised)');
});

test('zero-loss - publishDurability=memory (default): the same SIGKILLs show what the in-memory queue loses (printed, not asserted); nothing is stored twice', async (t) => {
  t.timeout(240_000);
  showMemory(t, await crashRun(t, 'memory'), '');
  showMemory(t, await crashRun(t, 'memory', true), ', late acks');
});

test('zero-loss - publishDurability=spool with NATS down: answers wait only for the disk; a full spool fails the call with RESOURCE_EXHAUSTED (no answer without a durable log), counted', async (t) => {
  const nats = await NatsServer.start();
  await nats.stop();
  const spool = await mkdtemp(join(tmpdir(), 'mlmesh-zero-loss-'));
  t.context.dirs.push(spool);
  // A log of digits_mlp with its inputs is about 500 bytes: a few fit in 2 KiB.
  const f = await startInference({ models: ['digits_mlp'], overrides: { natsUrl: nats.url, spoolDir: spool, spoolMaxBytes: 2048, publishDurability: 'spool' } });
  try {
    t.is(f.service.publisher?.durability, 'spool');
    let ok = 0;
    let refused: unknown;
    for (let i = 0; i < 20 && refused === undefined; i++) {
      try {
        await f.client.infer(digits(`full-${i}`));
        ok++;
      } catch (e: unknown) {
        refused = e;
      }
    }
    t.true(ok > 0, `${ok} answered while the spool had room (NATS down does not block them)`);
    t.like(refused, { code: 8 });
    t.regex(String((refused as Error).message), /spool is full \(spoolMaxBytes\)/);
    t.is(await metricValue(f.http, 'mlmesh_publisher_spooled_total'), ok, 'every answered call has its log in the spool');
    t.is(await metricValue(f.http, 'mlmesh_publisher_durable_refused_total'), 1);
    t.is(await metricValue(f.http, 'mlmesh_inference_request_failure_total', { reason: 'rejected' }), 1);
  } finally {
    await f.stop();
    await nats.dispose();
  }
});

test('zero-loss - publishDurability: memory by default, spool from the environment, anything else refused naming the option', (t) => {
  t.is(resolveInferenceConfig({ env: {} }).publishDurability, 'memory');
  t.is(resolveInferenceConfig({ env: { MLMESH_INFERENCE_PUBLISH_DURABILITY: 'spool' } }).publishDurability, 'spool');
  t.throws(() => resolveInferenceConfig({ env: { MLMESH_INFERENCE_PUBLISH_DURABILITY: 'disk' } }), { message: /publishDurability|MLMESH_INFERENCE_PUBLISH_DURABILITY/ });
});
