import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { AckPolicy, DeliverPolicy, connect } from 'nats';
import type { NatsConnection } from 'nats';
import { InferenceClient } from '../../services/inference/index.js';
import { STREAMS, decodePredictionLog } from '../../shared/events/index.js';
import type { PredictionLog__Output } from '../../shared/events/index.js';
import { quantile } from '../../tools/loadtest/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { copyRepository, exampleConfig, f32, fromF32, metricValue, startInference, waitFor } from '../helpers/inference.js';
import { runNode } from '../helpers/process.js';
import { grpc } from '../helpers/grpc.js';

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

async function spoolDir(t: { context: Ctx }): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'mlmesh-spool-'));
  t.context.dirs.push(d);
  return d;
}

async function storedCount(nc: NatsConnection): Promise<number> {
  return (await (await nc.jetstreamManager()).streams.info(STREAMS.predictions.name)).state.messages;
}

/** Every PredictionLog in the stream, with its subject and `Nats-Msg-Id`. */
async function readAll(nc: NatsConnection): Promise<{ subject: string; msgId: string | undefined; log: PredictionLog__Output }[]> {
  const total = await storedCount(nc);
  const js = nc.jetstream();
  const jsm = await nc.jetstreamManager();
  const ci = await jsm.consumers.add(STREAMS.predictions.name, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
  const consumer = await js.consumers.get(STREAMS.predictions.name, ci.name);
  const out: { subject: string; msgId: string | undefined; log: PredictionLog__Output }[] = [];
  while (out.length < total) {
    const batch = await consumer.fetch({ max_messages: Math.min(1000, total - out.length), expires: 2000 });
    for await (const m of batch) out.push({ subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id'), log: decodePredictionLog(m.data) });
  }
  await jsm.consumers.delete(STREAMS.predictions.name, ci.name);
  return out;
}

const digits = (id: string, value = 0.25) => ({
  model_name: 'digits_mlp',
  id,
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }],
  raw_input_contents: [f32(Array.from({ length: 64 }, (_, i) => value + i / 1000))],
  parameters: { entity_id: { string_param: 'user-2143134' } },
});

test('prediction log - N predictions become N logs on the model/version subject, with request ids and the tensors sent and returned', async (t) => {
  const nats = await NatsServer.start();
  const f = await startInference({ models: ['digits_mlp', 'digits_two_input'], overrides: { natsUrl: nats.url, spoolDir: await spoolDir(t) } });
  const nc = await connect({ servers: nats.url });
  try {
    await waitFor(() => f.service.publisher?.state === 'direct' && f.service.publisher.spoolPending === false, 10_000, 'publisher connected');
    const sent = new Map<string, { input: Buffer; output: Buffer }>();
    for (let i = 0; i < 20; i++) {
      const req = digits(`normal-${i}`, i / 20);
      const res = await f.client.infer(req);
      sent.set(req.id, { input: req.raw_input_contents[0] as Buffer, output: res.raw_output_contents[0] as Buffer });
    }
    const two = await f.client.infer({
      model_name: 'digits_two_input',
      id: 'normal-two',
      inputs: [
        { name: 'features', datatype: 'FP32', shape: [1, 64] },
        { name: 'ids', datatype: 'INT64', shape: [1, 1] },
      ],
      raw_input_contents: [f32(new Array(64).fill(0.5)), Buffer.from(new BigInt64Array([3n]).buffer)],
      outputs: [{ name: 'label' }],
    });
    await waitFor(async () => (await storedCount(nc)) === 21, 10_000, '21 logs');
    const logs = await readAll(nc);
    for (const { subject, log } of logs.filter((l) => l.log.model === 'digits_mlp')) {
      t.is(subject, 'mlmesh.predictions.digits_mlp.1');
      const s = sent.get(log.request_id);
      t.truthy(s, `a log for a request that was sent: ${log.request_id}`);
      t.is(log.version, '1');
      t.regex(log.meta?.event_id ?? '', /^[0-9a-f-]{36}$/, 'an event id made by the server');
      t.not(log.meta?.event_id, log.request_id);
      t.deepEqual(log.inputs.map((x) => [x.name, x.datatype, x.shape.map(Number)]), [['input', 'FP32', [1, 64]]]);
      t.deepEqual(Buffer.from(log.inputs[0]?.raw ?? []), s?.input);
      t.deepEqual(Buffer.from(log.outputs[0]?.raw ?? []), s?.output);
      t.deepEqual(fromF32(log.outputs[0]?.raw ?? new Uint8Array()), fromF32(s?.output ?? new Uint8Array()));
      t.is(log.parameters['entity_id'], 'user-2143134');
      t.true(Number(log.latency_us) > 0);
      t.false(log.inputs_omitted);
    }
    const twoLog = logs.find((l) => l.log.request_id === 'normal-two');
    t.is(twoLog?.subject, 'mlmesh.predictions.digits_two_input.1');
    t.deepEqual(twoLog?.log.inputs.map((x) => x.datatype), ['FP32', 'INT64']);
    t.deepEqual(twoLog?.log.outputs.map((x) => x.name), ['label'], 'only the outputs returned are logged');
    t.deepEqual(Buffer.from(twoLog?.log.outputs[0]?.raw ?? []), two.raw_output_contents[0]);
    t.is(new Set(logs.map((l) => l.log.request_id)).size, 21);
    t.true(logs.every((l) => l.msgId === l.log.meta?.event_id), 'Nats-Msg-Id = meta.event_id');
  } finally {
    await nc.close();
    await f.stop();
    await nats.dispose();
  }
});

test('prediction log - per-model sampling and the option not to log inputs', async (t) => {
  const nats = await NatsServer.start();
  const f = await startInference({ models: ['digits_mlp', 'digits_two_input'], overrides: { natsUrl: nats.url, spoolDir: await spoolDir(t) } });
  const nc = await connect({ servers: nats.url });
  try {
    await f.client.load('digits_mlp', { config: { string_param: exampleConfig('digits_mlp', { prediction_log: { sample_rate: 1, log_inputs: false } }) } });
    for (let i = 0; i < 5; i++) await f.client.infer(digits(`private-${i}`));
    await waitFor(async () => (await storedCount(nc)) === 5, 10_000, '5 logs');
    const logs = await readAll(nc);
    t.true(logs.every((l) => l.log.inputs.length === 0 && l.log.inputs_omitted && l.log.outputs.length === 1));
    await f.client.load('digits_mlp', { config: { string_param: exampleConfig('digits_mlp', { prediction_log: { sample_rate: 0 } }) } });
    for (let i = 0; i < 20; i++) await f.client.infer(digits(`sampled-out-${i}`));
    // A log from another model, sent after them, marks that the publisher has gone past them.
    await f.client.infer({
      model_name: 'digits_two_input',
      id: 'marker',
      inputs: [
        { name: 'features', datatype: 'FP32', shape: [1, 64] },
        { name: 'ids', datatype: 'INT64', shape: [1, 1] },
      ],
      raw_input_contents: [f32(new Array(64).fill(0)), Buffer.alloc(8)],
    });
    await waitFor(async () => (await storedCount(nc)) === 6, 10_000, 'the marker');
    t.false((await readAll(nc)).some((l) => l.log.request_id.startsWith('sampled-out')));
  } finally {
    await nc.close();
    await f.stop();
    await nats.dispose();
  }
});

test('prediction log - NATS stopped and restarted during 10,000 predictions: exactly 10,000 logs, none failed', async (t) => {
  const nats = await NatsServer.start();
  const f = await startInference({ models: ['digits_mlp'], overrides: { natsUrl: nats.url, spoolDir: await spoolDir(t), publishTimeoutMs: 500 } });
  const nc0 = await connect({ servers: nats.url });
  await waitFor(async () => (await nc0.jetstreamManager().then((m) => m.streams.info(STREAMS.predictions.name)).catch(() => undefined)) !== undefined, 10_000, 'streams provisioned');
  await nc0.close();
  const N = 10_000;
  const latency = { up: [] as number[], down: [] as number[] };
  let phase: 'up' | 'down' = 'up';
  let next = 0;
  const failures: string[] = [];
  try {
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < N) {
          const i = next++;
          if (i === 2000) {
            phase = 'down';
            await nats.stop();
          }
          if (i === 7000) {
            await nats.restart();
            phase = 'up';
          }
          const p = phase;
          const t0 = process.hrtime.bigint();
          try {
            await f.client.infer(digits(`outage-${i}`, (i % 100) / 100), { deadlineMs: 10_000 });
            latency[p].push(Number(process.hrtime.bigint() - t0) / 1e6);
          } catch (e: unknown) {
            failures.push(String(e));
          }
        }
      }),
    );
    t.deepEqual(failures, [], 'no prediction failed because of NATS');
    const nc = await connect({ servers: nats.url });
    try {
      await waitFor(async () => (await storedCount(nc)) >= N, 60_000, `${N} logs`);
      const logs = await readAll(nc);
      t.is(logs.length, N);
      t.is(new Set(logs.map((l) => l.log.request_id)).size, N, 'distinct request ids');
      t.true(await metricValue(f.http, 'mlmesh_publisher_spooled_total') > 0, 'the outage went through the spool');
    } finally {
      await nc.close();
    }
    const p99 = (xs: number[]) => quantile(Float64Array.from(xs).sort(), 0.99).toFixed(2);
    t.log(`prediction p99 with NATS up: ${p99(latency.up)} ms (${latency.up.length} requests), with NATS down: ${p99(latency.down)} ms (${latency.down.length} requests)`);
  } finally {
    await f.stop();
    await nats.dispose();
  }
});

test('prediction log - SIGKILL while NATS is down: after a restart with NATS up, every spooled log is in the stream exactly once', async (t) => {
  const nats = await NatsServer.start();
  const repo = await copyRepository(['digits_mlp']);
  t.context.dirs.push(repo);
  const spool = await spoolDir(t);
  await nats.stop();
  const env = {
    MLMESH_INFERENCE_GRPC_PORT: '0',
    MLMESH_INFERENCE_HTTP_PORT: '0',
    MLMESH_INFERENCE_MODEL_REPOSITORY: repo,
    MLMESH_LOG_LEVEL: 'info',
    NATS_URL: nats.url,
    MLMESH_INFERENCE_SPOOL_DIR: spool,
  };
  const first = runNode('services/inference/main.js', [], env);
  const ready = await first.waitForLog((r) => r['msg'] === 'inference service ready');
  const client = new InferenceClient(String(ready['address']));
  const N = 300;
  try {
    for (let i = 0; i < N; i++) await client.infer(digits(`crash-${i}`));
    const http = `http://127.0.0.1:${String(ready['httpPort'])}`;
    await waitFor(async () => (await metricValue(http, 'mlmesh_publisher_spooled_total')) === N, 10_000, 'all spooled');
  } finally {
    client.close();
  }
  first.proc.kill('SIGKILL');
  await first.exited;
  await nats.restart();
  const second = runNode('services/inference/main.js', [], env);
  const nc = await connect({ servers: nats.url });
  try {
    await second.waitForLog((r) => r['msg'] === 'inference service ready');
    await waitFor(async () => (await storedCount(nc).catch(() => 0)) >= N, 30_000, `${N} logs replayed`);
    await waitFor(() => second.stdout.some((l) => l.includes('spool replayed, publishing directly again')), 10_000, 'the replay to finish');
    const logs = await readAll(nc);
    t.is(logs.length, N, 'exactly once');
    t.deepEqual(new Set(logs.map((l) => l.log.request_id)), new Set(Array.from({ length: N }, (_, i) => `crash-${i}`)));
  } finally {
    await nc.close();
    second.proc.kill('SIGTERM');
    await second.exited;
    await nats.dispose();
  }
});

test('prediction log - a request id that is not a valid header value cannot block the log: the validated id is used', async (t) => {
  const nats = await NatsServer.start();
  const f = await startInference({ models: ['digits_mlp'], overrides: { natsUrl: nats.url, spoolDir: await spoolDir(t) } });
  const nc = await connect({ servers: nats.url });
  try {
    await waitFor(() => f.service.publisher?.state === 'direct', 10_000, 'publisher connected');
    const res = await f.client.infer(digits('bad\r\nid'));
    t.is(res.id, 'bad\r\nid', 'the response echoes the caller id');
    await f.client.infer(digits('after-bad'));
    await waitFor(async () => (await storedCount(nc)) === 2, 10_000, 'both logged');
    const ids = (await readAll(nc)).map((l) => l.log.request_id);
    t.true(ids.includes('after-bad'));
    t.false(ids.includes('bad\r\nid'));
    t.regex(ids.find((i) => i !== 'after-bad') ?? '', /^[0-9a-f-]{36}$/);
  } finally {
    await nc.close();
    await f.stop();
    await nats.dispose();
  }
});

test('prediction log - the answer reaches the client before its log is encoded or spooled (NATS down, fsync always)', async (t) => {
  const nats = await NatsServer.start();
  await nats.stop();
  const f = await startInference({ models: ['digits_mlp'], overrides: { natsUrl: nats.url, spoolDir: await spoolDir(t), spoolFsync: 'always' } });
  try {
    const logger = f.service.predictionLog;
    if (!logger) throw new Error('prediction logging is off');
    const record = logger.record.bind(logger);
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const order: string[] = [];
    // The client runs on another thread. The log path blocks this one (the gRPC thread) until that
    // client holds its answer: if the log came first, the answer could not go out while it waits,
    // and the wait runs out (a bound for a failing test, not a timing assertion).
    logger.record = (p) => {
      const woke = Atomics.wait(flag, 0, 0, 30_000);
      order.push(woke === 'timed-out' ? 'log before the answer' : `answer (${Atomics.load(flag, 0) === 1 ? 'ok' : 'failed'}), then log`);
      record(p);
    };
    const worker = new Worker(new URL('../helpers/infer-worker.js', import.meta.url), { workerData: { address: f.service.address, request: digits('order-1'), flag } });
    const [outcome] = (await once(worker, 'message')) as [{ ok: boolean; id: string }];
    await once(worker, 'exit');
    t.true(outcome.ok);
    t.is(outcome.id, 'order-1');
    await waitFor(async () => (await metricValue(f.http, 'mlmesh_publisher_spooled_total')) === 1, 10_000, 'the log spooled');
    t.deepEqual(order, ['answer (ok), then log']);
  } finally {
    await f.stop();
    await nats.dispose();
  }
});

test('prediction log - reused request ids: every prediction is stored exactly once, also across models and through a spool replay', async (t) => {
  const nats = await NatsServer.start();
  const f = await startInference({ models: ['digits_mlp', 'digits_two_input'], overrides: { natsUrl: nats.url, spoolDir: await spoolDir(t), publishTimeoutMs: 500 } });
  const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  const withHeader = (id: string) => {
    const md = new grpc.Metadata();
    md.set('x-request-id', id);
    return { metadata: md };
  };
  const two = (id: string, ids: bigint) => ({
    model_name: 'digits_two_input',
    id,
    inputs: [
      { name: 'features', datatype: 'FP32', shape: [1, 64] },
      { name: 'ids', datatype: 'INT64', shape: [1, 1] },
    ],
    raw_input_contents: [f32(new Array(64).fill(0.5)), Buffer.from(new BigInt64Array([ids]).buffer)],
  });
  // Each prediction has an input of its own: the first input value says which one a log is for.
  let n = 0;
  const sent: number[] = [];
  const mlp = async (id: string, opts?: { metadata: grpc.Metadata }) => {
    const v = 0.01 * ++n;
    sent.push(Math.fround(v));
    await f.client.infer(digits(id, v), opts);
  };
  try {
    await waitFor(() => f.service.publisher?.state === 'direct' && f.service.publisher.spoolPending === false, 10_000, 'publisher connected');
    for (let i = 0; i < 3; i++) await mlp('same-v2-id');
    for (let i = 0; i < 3; i++) await mlp(`v2-${i}`, withHeader('trace-1'));
    for (let i = 0; i < 3; i++) await mlp('');
    // One x-request-id across two models.
    await mlp('', withHeader('trace-2'));
    await f.client.infer(two('', 3n), withHeader('trace-2'));
    await waitFor(async () => (await storedCount(nc)) === 11, 10_000, '11 logs');
    // An outage: these go through the spool and its replay, with ids seen before.
    await nats.stop();
    for (let i = 0; i < 3; i++) await mlp('same-v2-id');
    await mlp('v2-0', withHeader('trace-1'));
    await waitFor(async () => (await metricValue(f.http, 'mlmesh_publisher_spooled_total')) === 4, 10_000, '4 spooled');
    await nats.restart();
    await waitFor(async () => (await storedCount(nc).catch(() => 0)) >= 15, 30_000, '15 logs');
    await waitFor(() => f.service.publisher?.state === 'direct' && f.service.publisher.spoolPending === false, 30_000, 'the replay to finish');
    const logs = await readAll(nc);
    t.is(logs.length, 15, 'one log per prediction');
    t.is(await metricValue(f.http, 'mlmesh_publisher_duplicates_total'), 0, 'none taken for a duplicate');
    const count = (id: string) => logs.filter((l) => l.log.request_id === id).length;
    t.is(count('same-v2-id'), 6);
    t.is(count('trace-1'), 4, 'x-request-id wins over the v2 id, and is kept as the request id');
    t.is(count('trace-2'), 2);
    t.deepEqual(logs.filter((l) => l.log.request_id === 'trace-2').map((l) => l.log.model).sort(), ['digits_mlp', 'digits_two_input']);
    t.is(new Set(logs.map((l) => l.log.meta?.event_id)).size, 15, 'distinct event ids');
    t.true(logs.every((l) => l.msgId === l.log.meta?.event_id), 'Nats-Msg-Id = meta.event_id, kept through the spool');
    const first = logs.filter((l) => l.log.model === 'digits_mlp').map((l) => fromF32(l.log.inputs[0]?.raw ?? new Uint8Array())[0]);
    t.deepEqual(first.sort(), [...sent].sort(), 'each digits_mlp prediction stored once');
  } finally {
    await nc.close();
    await f.stop();
    await nats.dispose();
  }
});

test('prediction log - a deadline that passes while the model runs: DEADLINE_EXCEEDED, counted as a deadline failure, not logged', async (t) => {
  const nats = await NatsServer.start();
  const f = await startInference({ models: ['slow_chain', 'digits_mlp'], overrides: { natsUrl: nats.url, spoolDir: await spoolDir(t) } });
  const nc = await connect({ servers: nats.url });
  const counters = async () => ({
    runs: await metricValue(f.http, 'mlmesh_inference_exec_count_total', { model: 'slow_chain' }),
    success: await metricValue(f.http, 'mlmesh_inference_request_success_total', { model: 'slow_chain' }),
    deadline: await metricValue(f.http, 'mlmesh_inference_request_failure_total', { model: 'slow_chain', reason: 'deadline' }),
    handled: await metricValue(f.http, 'grpc_server_handled_total', { grpc_method: 'ModelInfer', grpc_code: 'DEADLINE_EXCEEDED' }),
  });
  const rows = 256; // one run of ~1-3 s here
  try {
    await waitFor(() => f.service.publisher?.state === 'direct', 10_000, 'publisher connected');
    // The deadline must pass during the run, not in the queue: a deadline too short for the
    // request to reach the worker on a loaded machine is doubled and the request sent again.
    let deadlineMs = 300;
    let ran = false;
    for (let attempt = 0; attempt < 4 && !ran; attempt++, deadlineMs *= 2) {
      const before = await counters();
      const err = await f.client
        .infer({ model_name: 'slow_chain', id: `late-${attempt}`, inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 512] }], raw_input_contents: [f32(new Array(rows * 512).fill(0.1))] }, { deadlineMs })
        .then(
          () => undefined,
          (e: unknown) => e as { code?: number },
        );
      t.is(err?.code, grpc.status.DEADLINE_EXCEEDED, `the client's deadline (${deadlineMs} ms) passes before a ${rows}-row run ends`);
      await waitFor(() => f.service.manager.resolve('slow_chain', '').busyInstances === 0 && f.service.manager.resolve('slow_chain', '').queued === 0, 30_000, 'the run to end');
      const after = await counters();
      ran = after.runs > before.runs;
      if (!ran) continue; // it expired in the queue: the other path, tested elsewhere
      t.is(after.success, before.success, 'not counted as a success');
      t.is(after.deadline, before.deadline + 1, 'counted as a deadline failure');
      t.is(after.handled, before.handled + 1, 'grpc_server_handled_total says DEADLINE_EXCEEDED');
    }
    t.true(ran, 'one request expired while it ran');
    // A later prediction's log marks that the publisher has gone past the late one.
    await f.client.infer(digits('after-late'));
    await waitFor(async () => (await readAll(nc)).some((l) => l.log.request_id === 'after-late'), 10_000, 'the marker log');
    t.deepEqual((await readAll(nc)).map((l) => l.log.request_id), ['after-late'], 'the prediction the client never got is not logged');
  } finally {
    await nc.close();
    await f.stop();
    await nats.dispose();
  }
});
