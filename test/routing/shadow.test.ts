/**
 * Shadow copies against a real service: slow_chain at versions 1 and 2 (one instance each), a
 * route serving 1 with a 100% shadow on 2, and version 2 kept busy by named requests so that
 * the shadow copies are stuck behind them.
 */
import test from 'ava';
import { grpc } from '../helpers/grpc.js';
import { f32, metricValue, waitFor } from '../helpers/inference.js';
import { predictionLogs, startRouting } from '../helpers/routing.js';

const slow = (rows: number, version = '') => ({
  model_name: 'slow_chain',
  model_version: version,
  inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 512] }],
  raw_input_contents: [f32(new Array(rows * 512).fill(0.25))],
});

test('shadow - copies run after the answer, bounded (the excess dropped), never reach the caller, and are logged with shadow=true', async (t) => {
  const r = await startRouting({ model: 'slow_chain', configPatch: { instance_group: [{ count: 1, kind: 'KIND_CPU' }] }, overrides: { shadowMaxInFlight: 2, shadowTimeoutMs: 120_000 } });
  const shadow = (outcome: string) => metricValue(r.f.http, 'mlmesh_inference_shadow_requests_total', { model: 'slow_chain', version: '2', outcome });
  try {
    const e = await r.setRoute({ versions: [{ version: '1', weight: 1 }], shadows: [{ version: '2', percent: 100 }] });
    // Keep version 2 busy: two long named requests in flight at all times (one runs, one waits).
    // The copies' deadline is long: under load they may wait behind these for many seconds.
    let busy = true;
    const blockers = Array.from({ length: 2 }, async () => {
      while (busy) await r.f.client.infer(slow(128, '2'), { deadlineMs: 120_000 });
    });
    const v2 = r.f.service.manager.find('slow_chain', '2')!;
    await waitFor(() => v2.busyInstances === 1 && v2.queued >= 1, 20_000, 'version 2 busy with a queue');
    const ids = Array.from({ length: 20 }, (_, i) => `caller-${i}`);
    const answers = await Promise.all(
      ids.map((id) => {
        const md = new grpc.Metadata();
        md.set('x-request-id', id);
        return r.f.client.infer(slow(1), { deadlineMs: 60_000, metadata: md });
      }),
    );
    // Every caller has its answer while the shadow copies still wait on version 2.
    const activeAtLastAnswer = r.f.service.shadows!.active;
    t.true(answers.every((a) => a.model_version === '1' && a.outputs.length === 1 && a.outputs[0]!.name === 'y'), 'answers come from version 1 only');
    t.true(answers.every((a) => a.parameters['mlmesh_route']?.string_param === 'weights'));
    t.true(activeAtLastAnswer >= 1 && activeAtLastAnswer <= 2, `copies still running at the last answer: ${activeAtLastAnswer}`);
    // 20 copies for at most 2 slots while version 2 is busy: the rest are dropped, not queued.
    await waitFor(async () => (await shadow('dropped')) + r.f.service.shadows!.active + (await shadow('run')) + (await shadow('failed')) === 20, 10_000, 'every copy accounted for');
    t.is(await shadow('dropped'), 18);
    busy = false;
    await Promise.all(blockers);
    await waitFor(async () => (await shadow('run')) === 2, 90_000, 'the two copies ran');
    t.is(await shadow('failed'), 0);
    await waitFor(async () => (await predictionLogs(r.nc)).filter((l) => l.shadow).length === 2, 20_000, 'shadow logs');
    const logs = await predictionLogs(r.nc);
    const shadows = logs.filter((l) => l.shadow);
    t.true(shadows.every((l) => l.version === '2' && l.route === 'shadow' && l.route_revision === String(e.route.revision) && ids.includes(l.request_id) && l.outputs.length === 1));
    const callers = logs.filter((l) => ids.includes(l.request_id) && !l.shadow);
    t.is(callers.length, 20);
    t.true(callers.every((l) => l.version === '1' && l.route === 'weights'));
  } finally {
    await r.stop();
  }
});

test('shadow - a failing copy is counted, never surfaced', async (t) => {
  // Version 2 has a queue of one: copies behind a long named request are refused (RESOURCE_EXHAUSTED) there.
  const r = await startRouting({ model: 'slow_chain', configPatch: { instance_group: [{ count: 1, kind: 'KIND_CPU' }], dynamic_batching: { max_queue_delay_microseconds: 0, max_queue_size: 1 } }, overrides: { shadowMaxInFlight: 8 } });
  const shadow = (outcome: string) => metricValue(r.f.http, 'mlmesh_inference_shadow_requests_total', { model: 'slow_chain', version: '2', outcome });
  try {
    await r.setRoute({ versions: [{ version: '1', weight: 1 }], shadows: [{ version: '2', percent: 100 }] });
    const v2 = r.f.service.manager.find('slow_chain', '2')!;
    const long = [r.f.client.infer(slow(256, '2'), { deadlineMs: 120_000 })];
    await waitFor(() => v2.busyInstances === 1, 20_000, 'version 2 busy');
    long.push(r.f.client.infer(slow(256, '2'), { deadlineMs: 120_000 }));
    await waitFor(() => v2.queued === 1, 20_000, 'version 2 queue full');
    // One at a time: version 1 has a queue of one too.
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await r.f.client.infer(slow(1)));
    t.true(answers.every((a) => a.model_version === '1'));
    await waitFor(async () => (await shadow('failed')) === 4, 10_000, 'failed copies counted');
    await Promise.all(long);
  } finally {
    await r.stop();
  }
});
