import anyTest from 'ava';
import type { TestFn } from 'ava';
import { f32, metricValue, startInference, waitFor } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';
import { assertStatus, grpc } from '../helpers/grpc.js';

const test = anyTest as TestFn<InferenceFixture>;

// slow_chain: about 0.3 s for 64 rows on one core, 2 instances, no queue delay.
test.before(async (t) => {
  t.context = await startInference({ models: ['slow_chain'] });
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
