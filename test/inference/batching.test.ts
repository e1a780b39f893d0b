import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { readNpy } from '../../shared/tensors/index.js';
import { exampleConfig, f32, fromF32, metricValue, startInference, waitFor } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';
import { assertStatus, grpc } from '../helpers/grpc.js';

const test = anyTest as TestFn<InferenceFixture>;
const S = grpc.status;

test.before(async (t) => {
  t.context = await startInference({ models: ['digits_mlp', 'slow_chain', 'digits_two_input'] });
});
test.after.always(async (t) => {
  await t.context?.stop();
});

const counters = async (http: string, model: string) => ({
  exec: await metricValue(http, 'mlmesh_inference_exec_count_total', { model }),
  rows: await metricValue(http, 'mlmesh_inference_count_total', { model }),
});

const slow = (rows: number) => ({
  model_name: 'slow_chain',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 512] }],
  raw_input_contents: [f32(new Array(rows * 512).fill(0.25))],
});

/** Loads slow_chain with one instance and the given dynamic batching settings. */
async function slowChainWith(f: InferenceFixture, dynamicBatching: Record<string, number>): Promise<void> {
  await f.client.load('slow_chain', { config: { string_param: exampleConfig('slow_chain', { instance_group: [{ count: 1, kind: 'KIND_CPU' }], dynamic_batching: dynamicBatching }) } });
}

/**
 * Starts a long run (64 rows) and waits until it occupies the only instance. The run's promise
 * is returned inside an object: an async function returning it bare would wait for it.
 */
async function occupy(f: InferenceFixture): Promise<{ long: Promise<unknown> }> {
  const long = f.client.infer(slow(64), { deadlineMs: 60_000 });
  await waitFor(() => f.service.manager.resolve('slow_chain', '').busyInstances === 1, 10_000, 'the instance to be busy');
  return { long };
}

test.serial('batching - concurrent single-row requests run in fewer session runs, and each caller gets its own row', async (t) => {
  const f = t.context;
  await f.client.load('digits_mlp', { config: { string_param: exampleConfig('digits_mlp', { dynamic_batching: { max_queue_delay_microseconds: 50_000 } }) } });
  const inputs = readNpy(join(projectRoot(), 'test/fixtures/parity/digits_mlp/inputs.npy'));
  const expected = fromF32(readNpy(join(projectRoot(), 'test/fixtures/parity/digits_mlp/outputs.npy')).data);
  const before = await counters(f.http, 'digits_mlp');
  const N = 16;
  const results = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      f.client.infer({
        model_name: 'digits_mlp',
        id: `row-${i}`,
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }],
        raw_input_contents: [Buffer.from(inputs.data.subarray(i * 256, (i + 1) * 256))],
      }),
    ),
  );
  results.forEach((res, i) => {
    t.is(res.id, `row-${i}`);
    t.deepEqual(res.outputs[0]?.shape.map(Number), [1, 10]);
    const got = fromF32(res.raw_output_contents[0] as Buffer);
    const want = expected.subarray(i * 10, i * 10 + 10);
    t.true(got.every((v, k) => Math.abs(v - (want[k] as number)) < 1e-5), `row ${i} got another row's output`);
  });
  const after = await counters(f.http, 'digits_mlp');
  t.is(after.rows - before.rows, N, 'every row inferred once');
  t.true(after.exec - before.exec < N, `expected fewer than ${N} session runs, got ${after.exec - before.exec}`);
  t.log(`${N} requests ran in ${after.exec - before.exec} session run(s)`);
});

test.serial('queue - a full queue answers RESOURCE_EXHAUSTED at once, naming max_queue_size', async (t) => {
  const f = t.context;
  await slowChainWith(f, { max_queue_delay_microseconds: 0, max_queue_size: 2 });
  const { long } = await occupy(f);
  const queued = [f.client.infer(slow(1)), f.client.infer(slow(1))];
  await waitFor(() => f.service.manager.resolve('slow_chain', '').queued === 2, 10_000, 'two queued requests');
  await assertStatus(t, f.client.infer(slow(1)), S.RESOURCE_EXHAUSTED, /slow_chain@1: queue is full \(max_queue_size 2\)/);
  await long;
  const done = await Promise.all(queued);
  t.is(done.length, 2);
  t.true((await metricValue(f.http, 'mlmesh_inference_request_failure_total', { model: 'slow_chain', reason: 'rejected' })) >= 1);
});

test.serial('deadline - a request whose deadline passes while queued is never executed', async (t) => {
  const f = t.context;
  await slowChainWith(f, { max_queue_delay_microseconds: 0 });
  const before = await counters(f.http, 'slow_chain');
  // The client's own deadline timer may reach the server as a cancel before the server's timer
  // fires (its deadline is counted from when the request arrived): either reason counts here.
  const failures = async (): Promise<number> =>
    (await metricValue(f.http, 'mlmesh_inference_request_failure_total', { model: 'slow_chain', reason: 'deadline' })) +
    (await metricValue(f.http, 'mlmesh_inference_request_failure_total', { model: 'slow_chain', reason: 'cancelled' }));
  const failedBefore = await failures();
  const { long } = await occupy(f);
  await assertStatus(t, f.client.infer(slow(3), { deadlineMs: 100 }), S.DEADLINE_EXCEEDED, /deadline/i);
  await long;
  // Let anything that (wrongly) stayed queued run, then check it did not.
  await waitFor(() => f.service.manager.resolve('slow_chain', '').queued === 0, 5000, 'an empty queue');
  const after = await counters(f.http, 'slow_chain');
  t.is(after.rows - before.rows, 64, 'only the long request ran');
  t.is(after.exec - before.exec, 1);
  await waitFor(async () => (await failures()) >= failedBefore + 1, 5000, 'the failure to be counted');
});

test.serial('deadline - the queue timeout from the config drops a request that waited too long', async (t) => {
  const f = t.context;
  await slowChainWith(f, { max_queue_delay_microseconds: 0, default_queue_timeout_microseconds: 100_000 });
  const before = await counters(f.http, 'slow_chain');
  const { long } = await occupy(f);
  await assertStatus(t, f.client.infer(slow(2)), S.DEADLINE_EXCEEDED, /queue timeout \(100 ms\)/);
  await long;
  const after = await counters(f.http, 'slow_chain');
  t.is(after.rows - before.rows, 64);
});

test.serial('cancel - a request cancelled by its client while queued is never executed', async (t) => {
  const f = t.context;
  await slowChainWith(f, { max_queue_delay_microseconds: 0 });
  const before = await counters(f.http, 'slow_chain');
  // Earlier tests may have counted cancels (a client deadline can reach the server as one).
  const cancelledBefore = await metricValue(f.http, 'mlmesh_inference_request_failure_total', { model: 'slow_chain', reason: 'cancelled' });
  const { long } = await occupy(f);
  const err = await new Promise<grpc.ServiceError>((resolve) => {
    const call = f.client.raw.ModelInfer(slow(5), (e) => resolve(e as grpc.ServiceError));
    void waitFor(() => f.service.manager.resolve('slow_chain', '').queued === 1, 5000, 'the request to queue').then(() => call.cancel());
  });
  t.is(err.code, S.CANCELLED);
  await waitFor(async () => (await metricValue(f.http, 'mlmesh_inference_request_failure_total', { model: 'slow_chain', reason: 'cancelled' })) >= cancelledBefore + 1, 5000, 'the cancel to reach the server');
  t.is(f.service.manager.resolve('slow_chain', '').queued, 0, 'the cancelled request left the queue at once');
  await long;
  const after = await counters(f.http, 'slow_chain');
  t.is(after.rows - before.rows, 64, 'the cancelled request never ran');
});

test.serial('batching - one bad request batched with good ones fails alone; the others get their answers', async (t) => {
  const f = t.context;
  await f.client.load('digits_two_input', { config: { string_param: exampleConfig('digits_two_input', { dynamic_batching: { max_queue_delay_microseconds: 100_000 } }) } });
  const before = await counters(f.http, 'digits_two_input');
  const req = (id: bigint) => ({
    model_name: 'digits_two_input',
    inputs: [
      { name: 'features', datatype: 'FP32', shape: [1, 64] },
      { name: 'ids', datatype: 'INT64', shape: [1, 1] },
    ],
    raw_input_contents: [f32(new Array(64).fill(0.5)), Buffer.from(new BigInt64Array([id]).buffer)],
  });
  // id 99 is outside the model's 16-row embedding: onnxruntime fails any run that holds it.
  const results = await Promise.all([0n, 1n, 99n, 2n, 3n].map((id) => f.client.infer(req(id)).catch((e: unknown) => e as grpc.ServiceError)));
  const failed = results.filter((r): r is grpc.ServiceError => r instanceof Error);
  t.is(failed.length, 1);
  t.is(failed[0]?.code, S.INTERNAL);
  t.regex(failed[0]?.details ?? '', /digits_two_input@1: onnxruntime failed the run/);
  t.true(results[2] instanceof Error, 'the culprit is the one that failed');
  const after = await counters(f.http, 'digits_two_input');
  t.is(after.rows - before.rows, 4, 'four good rows inferred');
});
