import anyTest from 'ava';
import type { TestFn } from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exampleConfig, f32, metricValue, startInference, waitFor } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';
import { assertStatus, grpc } from '../helpers/grpc.js';

const test = anyTest as TestFn<InferenceFixture>;

// slow_chain: about 0.3 s for 64 rows on one core, 2 instances, no queue delay.
test.before(async (t) => {
  t.context = await startInference({ models: ['slow_chain', 'digits_mlp'] });
});
test.after.always(async (t) => {
  await t.context?.stop();
});

const slow = (rows: number) => ({
  model_name: 'slow_chain',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 512] }],
  raw_input_contents: [f32(new Array(rows * 512).fill(0.25))],
});

test.serial('concurrency - two instances run two batches at once while the event loop keeps answering', async (t) => {
  const f = t.context;
  let running = true;
  let maxInFlight = 0;
  let answersWhileBoth = 0;
  // Probe through the real interfaces: the HTTP metrics endpoint and gRPC ServerLive are
  // served by the same event loop that would stall if a session ran on it.
  const probe = (async () => {
    while (running) {
      const inFlight = await metricValue(f.http, 'mlmesh_inference_executions_in_flight', { model: 'slow_chain' });
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (inFlight === 2) {
        await f.client.serverLive({ deadlineMs: 1000 });
        answersWhileBoth++;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const both = await Promise.all([f.client.infer(slow(64)), f.client.infer(slow(64))]);
  running = false;
  await probe;
  t.is(both.length, 2);
  t.is(maxInFlight, 2, 'both instances were executing at the same moment');
  t.true(answersWhileBoth >= 3, `the event loop answered ${answersWhileBoth} probes while both sessions ran`);
  t.log(`${answersWhileBoth} metrics+ServerLive probes answered while both instances were busy`);
});

test.serial('worker death - the request it held fails UNAVAILABLE, the other instance is unaffected, a replacement serves', async (t) => {
  const f = t.context;
  const mv = f.service.manager.resolve('slow_chain', '');
  const onZero = f.client.infer(slow(64)).catch((e: unknown) => e as grpc.ServiceError);
  await waitFor(() => mv.busyInstances === 1, 10_000, 'instance 0 busy');
  const onOne = f.client.infer(slow(64));
  await waitFor(() => mv.busyInstances === 2, 10_000, 'instance 1 busy');
  mv.crashInstance(0);
  const lost = await onZero;
  t.true(lost instanceof Error);
  t.is((lost as grpc.ServiceError).code, grpc.status.UNAVAILABLE);
  t.regex((lost as grpc.ServiceError).details, /slow_chain@1: instance 0 died/);
  const survived = await onOne;
  t.deepEqual(survived.outputs[0]?.shape.map(Number), [64, 512]);
  // The replacement comes up and both instances serve again.
  const again = await Promise.all([f.client.infer(slow(8)), f.client.infer(slow(8))]);
  t.is(again.length, 2);
  t.true((await metricValue(f.http, 'mlmesh_inference_request_failure_total', { model: 'slow_chain', reason: 'unavailable' })) >= 1);
  await assertStatus(t, f.client.infer({ ...slow(1), model_version: '2' }), grpc.status.NOT_FOUND, /version '2'/);
});

test.serial('worker death - when restarts keep failing the version turns UNAVAILABLE at once, unload still completes, and it recovers', async (t) => {
  const f = t.context;
  await f.client.load('slow_chain', { config: { string_param: exampleConfig('slow_chain', { instance_group: [{ count: 1, kind: 'KIND_CPU' }] }) } });
  let mv = f.service.manager.resolve('slow_chain', '');
  const running = f.client.infer(slow(64)).catch((e: unknown) => e as grpc.ServiceError);
  await waitFor(() => mv.busyInstances === 1, 10_000, 'the instance busy');
  const queued = f.client.infer(slow(1)).catch((e: unknown) => e as grpc.ServiceError);
  await waitFor(() => mv.queued === 1, 10_000, 'a queued request');
  mv.crashInstance(0, { failRestarts: true });
  t.is((await running as grpc.ServiceError).code, grpc.status.UNAVAILABLE);
  const q = (await queued) as grpc.ServiceError;
  t.is(q.code, grpc.status.UNAVAILABLE, 'the queued request fails instead of waiting forever');
  t.regex(q.details, /no instance of slow_chain@1 is running: .*fault injected/);
  await assertStatus(t, f.client.infer(slow(1)), grpc.status.UNAVAILABLE, /no instance of slow_chain@1 is running/);
  t.false((await f.client.modelReady('slow_chain')).ready);
  const idx = (await f.client.repositoryIndex()).models.find((m) => m.name === 'slow_chain');
  t.is(idx?.state, 'UNAVAILABLE');
  t.regex(idx?.reason ?? '', /fault injected/);
  t.false((await f.client.serverReady()).ready, 'strict readiness follows model health');

  // Restarts allowed again: the backoff brings the instance back.
  mv.allowRestarts();
  await waitFor(async () => (await f.client.modelReady('slow_chain')).ready, 15_000, 'the instance to come back');
  t.deepEqual((await f.client.infer(slow(2))).outputs[0]?.shape.map(Number), [2, 512]);

  // Unhealthy again, then unload: it must complete, not hang on the dead worker.
  mv.crashInstance(0, { failRestarts: true });
  await f.client.infer(slow(1)).catch(() => undefined);
  await waitFor(async () => !(await f.client.modelReady('slow_chain')).ready, 10_000, 'unhealthy again');
  await f.client.unload('slow_chain', { deadlineMs: 10_000 });
  await f.client.load('slow_chain');
  mv = f.service.manager.resolve('slow_chain', '');
  t.true((await f.client.modelReady('slow_chain')).ready);
});

test.serial('worker death - a restarted instance runs the verified bytes, not whatever is on disk now', async (t) => {
  const f = t.context;
  const req = { model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }], raw_input_contents: [f32(new Array(64).fill(0.3))] };
  const before = await f.client.infer(req);
  await writeFile(join(f.repo, 'digits_mlp', '1', 'model.onnx'), Buffer.from('not an onnx model'));
  const mv = f.service.manager.resolve('digits_mlp', '');
  mv.crashInstance(0);
  await f.client.infer(req).catch(() => undefined); // the run that the crash takes down (or the next)
  await waitFor(async () => (await f.client.modelReady('digits_mlp')).ready, 10_000, 'the replacement');
  const after = await f.client.infer(req);
  t.deepEqual(after.raw_output_contents[0], before.raw_output_contents[0]);
  t.true((await metricValue(f.http, 'mlmesh_inference_request_failure_total', { model: 'digits_mlp', reason: 'unavailable' })) >= 1);
});
