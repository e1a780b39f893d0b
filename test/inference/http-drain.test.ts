/**
 * The HTTP/REST binding in the service's stop: a drain lets an HTTP infer in flight finish (and
 * answers it 200) while new HTTP infers get 503 `the service is shutting down`; the models are
 * drained only after it; close() cuts an HTTP infer in flight off. Real HTTP, a real service.
 */
import test from 'ava';
import { exampleConfig, startInference, waitFor } from '../helpers/inference.js';

const slow = (rows: number) => JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 512], data: new Array(rows * 512).fill(0.25) }] });
const infer = (http: string, rows: number) => fetch(`${http}/v2/models/slow_chain/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: slow(rows) });

test('http drain - an HTTP infer in flight is answered, new ones get 503, then the port closes', async (t) => {
  const f = await startInference({ models: ['slow_chain'] });
  try {
    await f.client.load('slow_chain', { config: { string_param: exampleConfig('slow_chain', { instance_group: [{ count: 1, kind: 'KIND_CPU' }], dynamic_batching: { max_queue_delay_microseconds: 0 } }) } });
    const long = infer(f.http, 64);
    await waitFor(() => f.service.manager.resolve('slow_chain', '').busyInstances === 1, 10_000, 'the HTTP infer to run');
    const queued = infer(f.http, 1);
    await waitFor(() => f.service.manager.resolve('slow_chain', '').queued === 1, 10_000, 'a queued HTTP infer');
    const drained = f.service.drain();
    let refused: Response | undefined;
    await waitFor(async () => (refused = await infer(f.http, 1)).status === 503, 10_000, 'new HTTP infers to be refused');
    t.deepEqual(await refused?.json(), { error: 'the service is shutting down' });
    t.is((await fetch(`${f.http}/v2/health/ready`)).status, 503);
    const [a, b] = await Promise.all([long, queued]);
    t.is(a.status, 200);
    t.is(b.status, 200, 'the queued one is answered too');
    t.deepEqual(((await b.json()) as { outputs: { shape: number[] }[] }).outputs[0]?.shape, [1, 512]);
    await drained;
    await t.throwsAsync(fetch(`${f.http}/v2/health/live`), undefined, 'the port is closed once drained');
  } finally {
    await f.stop();
  }
});

test('http drain - close() cuts off an HTTP infer in flight', async (t) => {
  const f = await startInference({ models: ['slow_chain'] });
  try {
    await f.client.load('slow_chain', { config: { string_param: exampleConfig('slow_chain', { instance_group: [{ count: 1, kind: 'KIND_CPU' }], dynamic_batching: { max_queue_delay_microseconds: 0 } }) } });
    const long = infer(f.http, 64);
    await waitFor(() => f.service.manager.resolve('slow_chain', '').busyInstances === 1, 10_000, 'the HTTP infer to run');
    await f.service.close();
    await t.throwsAsync(long, undefined, 'the connection is ended, not answered');
  } finally {
    await f.stop();
  }
});
