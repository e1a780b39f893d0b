import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, DeliverPolicy, connect } from 'nats';
import { STREAMS, decodePredictionLog } from '../../shared/events/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { readNpy } from '../../shared/tensors/index.js';
import { exampleConfig, f32, fromF32, metricValue, startInference, waitFor } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';
import { assertStatus, grpc } from '../helpers/grpc.js';

// A request over max_batch_size rows is split into chunks through the batcher and the outputs
// joined (docs/inference.md, "Requests over max_batch_size").
const test = anyTest as TestFn<InferenceFixture>;
const S = grpc.status;

test.before(async (t) => {
  t.context = await startInference({ models: ['digits_mlp', 'slow_chain', 'digits_two_input'], overrides: { maxRequestBatches: 4 } });
});
test.after.always(async (t) => {
  await t.context?.stop();
});

const PARITY = join(projectRoot(), 'test/fixtures/parity/digits_mlp/inputs.npy');

/** `n` rows of digits: the parity inputs, repeated with a small per-copy offset so rows differ. */
function digits(n: number): Buffer {
  const base = fromF32(readNpy(PARITY).data);
  const rowsInFile = base.length / 64;
  const out = new Float32Array(n * 64);
  for (let r = 0; r < n; r++) {
    const src = r % rowsInFile;
    const copy = Math.floor(r / rowsInFile);
    for (let k = 0; k < 64; k++) out[r * 64 + k] = (base[src * 64 + k] as number) + copy * 0.125;
  }
  return Buffer.from(out.buffer);
}

const digitsRequest = (rows: Buffer, extra: Record<string, unknown> = {}) => ({
  model_name: 'digits_mlp',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.byteLength / 256, 64] }],
  raw_input_contents: [rows],
  ...extra,
});

const slow = (rows: number) => ({
  model_name: 'slow_chain',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 512] }],
  raw_input_contents: [f32(new Array(rows * 512).fill(0.25))],
});

test.serial('split - 450 rows on max_batch_size 256: one answer, bitwise equal to 256 + 194 rows sent apart, in order', async (t) => {
  const f = t.context;
  const rows = digits(450);
  const whole = await f.client.infer(digitsRequest(rows, { id: 'big' }));
  t.is(whole.id, 'big');
  t.deepEqual(whole.outputs.map((o) => ({ name: o.name, shape: o.shape.map(Number) })), [{ name: 'probabilities', shape: [450, 10] }]);
  const a = await f.client.infer(digitsRequest(rows.subarray(0, 256 * 256)));
  const b = await f.client.infer(digitsRequest(rows.subarray(256 * 256)));
  const apart = Buffer.concat([a.raw_output_contents[0] as Buffer, b.raw_output_contents[0] as Buffer]);
  t.is((whole.raw_output_contents[0] as Buffer).byteLength, 450 * 10 * 4);
  t.true((whole.raw_output_contents[0] as Buffer).equals(apart), 'the joined outputs are the outputs of the same rows sent in allowed-size requests');
});

test.serial('split - typed outputs (binary_data_output=false) are joined too', async (t) => {
  const f = t.context;
  const rows = digits(300);
  const typed = await f.client.infer(digitsRequest(rows, { parameters: { binary_data_output: { bool_param: false } } }));
  t.is(typed.raw_output_contents.length, 0);
  const got = typed.outputs[0]?.contents?.fp32_contents ?? [];
  t.is(got.length, 300 * 10);
  const raw = await f.client.infer(digitsRequest(rows));
  const want = fromF32(raw.raw_output_contents[0] as Buffer);
  t.true(
    got.every((v, k) => Math.fround(v) === want[k]),
    'typed contents equal the raw outputs',
  );
});

test.serial('split - 3.5 × a small max_batch_size (8): 28 rows as 4 chunks, equal to 8-row requests, and the chunks ran as 4 session runs', async (t) => {
  const f = t.context;
  await f.client.load('digits_mlp', { config: { string_param: exampleConfig('digits_mlp', { max_batch_size: 8, instance_group: [{ count: 2, kind: 'KIND_CPU' }] }) } });
  try {
    const rows = digits(28);
    const execBefore = await metricValue(f.http, 'mlmesh_inference_exec_count_total', { model: 'digits_mlp' });
    const whole = await f.client.infer(digitsRequest(rows));
    const execAfter = await metricValue(f.http, 'mlmesh_inference_exec_count_total', { model: 'digits_mlp' });
    t.is(execAfter - execBefore, 4, 'chunks of 8, 8, 8, 4 rows');
    t.deepEqual(whole.outputs[0]?.shape.map(Number), [28, 10]);
    const parts = [];
    for (let from = 0; from < 28; from += 8) {
      const res = await f.client.infer(digitsRequest(rows.subarray(from * 256, Math.min(28, from + 8) * 256)));
      parts.push(res.raw_output_contents[0] ?? Buffer.alloc(0));
    }
    t.true((whole.raw_output_contents[0] as Buffer).equals(Buffer.concat(parts)));
    // The bound: maxRequestBatches (4 here) × 8 = 32 rows.
    t.deepEqual((await f.client.infer(digitsRequest(digits(32)))).outputs[0]?.shape.map(Number), [32, 10]);
    await assertStatus(
      t,
      f.client.infer(digitsRequest(digits(33))),
      S.INVALID_ARGUMENT,
      /^input 'input': batch of 33 exceeds the largest request of 32 rows \(maxRequestBatches × the model's max_batch_size 8\)/,
    );
  } finally {
    await f.client.load('digits_mlp');
  }
});

test.serial('split - a chunk that fails fails the whole call with its status, no partial answer', async (t) => {
  const f = t.context;
  // One instance and room for one queued request: of 4 chunks, the first runs, the second
  // queues and the third is refused (queue full).
  await f.client.load('slow_chain', { config: { string_param: exampleConfig('slow_chain', { max_batch_size: 8, instance_group: [{ count: 1, kind: 'KIND_CPU' }], dynamic_batching: { max_queue_delay_microseconds: 0, max_queue_size: 1 } }) } });
  try {
    const rowsBefore = await metricValue(f.http, 'mlmesh_inference_count_total', { model: 'slow_chain' });
    await assertStatus(t, f.client.infer(slow(32)), S.RESOURCE_EXHAUSTED, /slow_chain@1: queue is full \(max_queue_size 1\)/);
    await waitFor(() => f.service.manager.resolve('slow_chain', '').queued === 0 && f.service.manager.resolve('slow_chain', '').busyInstances === 0, 10_000, 'an idle version');
    const ran = (await metricValue(f.http, 'mlmesh_inference_count_total', { model: 'slow_chain' })) - rowsBefore;
    // The chunk queued when the third was refused is withdrawn, so at most the first ran.
    t.true(ran <= 8, `only the chunk already running may have run (${ran} rows ran)`);
    // The version still serves a request that fits.
    t.deepEqual((await f.client.infer(slow(8))).outputs[0]?.shape.map(Number), [8, 512]);
  } finally {
    await f.client.load('slow_chain');
  }
});

test.serial('split - a chunk the model fails on (an id out of range in rows 16-23 only) fails the whole call with the model\'s status', async (t) => {
  const f = t.context;
  await f.client.load('digits_two_input', { config: { string_param: exampleConfig('digits_two_input', { max_batch_size: 8 }) } });
  try {
    const two = (ids: bigint[]) => ({
      model_name: 'digits_two_input',
      inputs: [
        { name: 'features', datatype: 'FP32', shape: [ids.length, 64] },
        { name: 'ids', datatype: 'INT64', shape: [ids.length, 1] },
      ],
      raw_input_contents: [f32(new Array(ids.length * 64).fill(0.5)), Buffer.from(new BigInt64Array(ids).buffer)],
    });
    const good = Array.from({ length: 30 }, (_, i) => BigInt(i % 16));
    const ok = await f.client.infer(two(good));
    t.is(Number(ok.outputs[0]?.shape[0]), 30);
    const bad = good.map((v, i) => (i === 20 ? 99n : v));
    await assertStatus(t, f.client.infer(two(bad)), S.INTERNAL, /indices element out of data bounds, idx=99/);
  } finally {
    await f.client.load('digits_two_input');
  }
});

test.serial('split - the deadline of the call withdraws the chunks not yet run', async (t) => {
  const f = t.context;
  await f.client.load('slow_chain', { config: { string_param: exampleConfig('slow_chain', { max_batch_size: 64, instance_group: [{ count: 1, kind: 'KIND_CPU' }], dynamic_batching: { max_queue_delay_microseconds: 0 } }) } });
  try {
    const rowsBefore = await metricValue(f.http, 'mlmesh_inference_count_total', { model: 'slow_chain' });
    const long = f.client.infer(slow(64), { deadlineMs: 60_000 });
    await waitFor(() => f.service.manager.resolve('slow_chain', '').busyInstances === 1, 10_000, 'the instance to be busy');
    // 256 rows: 4 chunks of 64, all queued behind the long run, the deadline passes first.
    await assertStatus(t, f.client.infer(slow(256), { deadlineMs: 100 }), S.DEADLINE_EXCEEDED, /deadline/i);
    await long;
    await waitFor(() => f.service.manager.resolve('slow_chain', '').queued === 0 && f.service.manager.resolve('slow_chain', '').busyInstances === 0, 10_000, 'an idle version');
    const ran = (await metricValue(f.http, 'mlmesh_inference_count_total', { model: 'slow_chain' })) - rowsBefore;
    t.is(ran, 64, 'only the long request ran');
  } finally {
    await f.client.load('slow_chain');
  }
});

test('split - a model that does not batch (max_batch_size 0) is unchanged', async (t) => {
  const f = await startInference({ models: ['digits_mlp'] });
  try {
    await f.client.load('digits_mlp', { config: { string_param: exampleConfig('digits_mlp', { max_batch_size: 0, input: [{ name: 'input', data_type: 'TYPE_FP32', dims: [-1, 64] }], output: [{ name: 'probabilities', data_type: 'TYPE_FP32', dims: [-1, 10] }] }) } });
    const res = await f.client.infer(digitsRequest(digits(300)));
    t.deepEqual(res.outputs[0]?.shape.map(Number), [300, 10]);
    t.is(await metricValue(f.http, 'mlmesh_inference_exec_count_total', { model: 'digits_mlp' }), 1, 'one session run, no split');
  } finally {
    await f.stop();
  }
});

test('split - prediction log: one PredictionLog for the whole request, with all its rows in and out', async (t) => {
  const nats = await NatsServer.start();
  const spool = await mkdtemp(join(tmpdir(), 'mlmesh-spool-'));
  const f = await startInference({ models: ['digits_mlp'], overrides: { natsUrl: nats.url, spoolDir: spool } });
  const nc = await connect({ servers: nats.url });
  try {
    await waitFor(() => f.service.publisher?.state === 'direct' && f.service.publisher.spoolPending === false, 10_000, 'publisher connected');
    const rows = digits(450);
    const res = await f.client.infer(digitsRequest(rows, { id: 'split-450' }));
    const jsm = await nc.jetstreamManager();
    await waitFor(async () => (await jsm.streams.info(STREAMS.predictions.name)).state.messages >= 1, 10_000, 'the log');
    // Let a (wrong) per-chunk second log arrive before counting.
    await new Promise((r) => setTimeout(r, 500));
    t.is((await jsm.streams.info(STREAMS.predictions.name)).state.messages, 1, 'one log, not one per chunk');
    const ci = await jsm.consumers.add(STREAMS.predictions.name, { ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
    const consumer = await nc.jetstream().consumers.get(STREAMS.predictions.name, ci.name);
    const m = await consumer.next({ expires: 5000 });
    const log = decodePredictionLog(m?.data ?? new Uint8Array());
    t.is(log.request_id, 'split-450');
    t.deepEqual(log.inputs.map((x) => x.shape.map(Number)), [[450, 64]]);
    t.true(Buffer.from(log.inputs[0]?.raw ?? []).equals(rows));
    t.deepEqual(log.outputs.map((x) => x.shape.map(Number)), [[450, 10]]);
    t.true(Buffer.from(log.outputs[0]?.raw ?? []).equals(res.raw_output_contents[0] as Buffer));
  } finally {
    await nc.close();
    await f.stop();
    await nats.dispose();
    await rm(spool, { recursive: true, force: true });
  }
});
