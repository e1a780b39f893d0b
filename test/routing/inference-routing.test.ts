/**
 * Routing in the inference service, against a real service with two (or three) versions of
 * digits_mlp loaded and a private nats-server holding the routes (KV mlmesh_routes).
 */
import test from 'ava';
import { connect } from 'nats';
import { RouteStore } from '../../shared/routes/index.js';
import { grpc } from '../helpers/grpc.js';
import { f32, metricValue, waitFor } from '../helpers/inference.js';
import { modelEvents, predictionLogs, startRouting, withinBinomial } from '../helpers/routing.js';
import type { RoutingFixture } from '../helpers/routing.js';
import type { ModelInferResponse__Output } from '../../shared/generated/inference/ModelInferResponse.js';
import type { InferParameter } from '../../shared/generated/inference/InferParameter.js';

const req = (parameters: Record<string, InferParameter> = {}, version = '') => ({
  model_name: 'digits_mlp',
  model_version: version,
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }],
  raw_input_contents: [f32(new Array(64).fill(0.2))],
  parameters,
});

const routeParams = (r: ModelInferResponse__Output) => ({ revision: r.parameters['mlmesh_route_revision']?.int64_param, kind: r.parameters['mlmesh_route']?.string_param });

/** Sends `n` requests, `conc` at a time; returns the responses in order. */
async function many(r: RoutingFixture, n: number, make: (i: number) => ReturnType<typeof req>, conc = 16, metadata?: (i: number) => grpc.Metadata): Promise<ModelInferResponse__Output[]> {
  const out = new Array<ModelInferResponse__Output>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (next < n) {
        const i = next++;
        const md = metadata?.(i);
        out[i] = await r.f.client.infer(make(i), { deadlineMs: 20_000, ...(md ? { metadata: md } : {}) });
      }
    }),
  );
  return out;
}

const count = (rs: readonly ModelInferResponse__Output[], v: string) => rs.filter((x) => x.model_version === v).length;

test('routing - observed shares are within 4 sigma of the weights; the response and the log say how', async (t) => {
  const r = await startRouting();
  try {
    // No route: the newest version serves, no route parameters.
    const plain = await r.f.client.infer(req());
    t.is(plain.model_version, '2');
    t.deepEqual(routeParams(plain), { revision: undefined, kind: undefined });
    const e = await r.setRoute({ versions: [{ version: '1', weight: 70 }, { version: '2', weight: 30 }] });
    const n = 1200;
    const rs = await many(r, n, () => req());
    const on1 = count(rs, '1');
    t.is(on1 + count(rs, '2'), n);
    t.true(withinBinomial(on1, n, 0.7), `version 1 got ${on1} of ${n} (weight 70%)`);
    t.true(rs.every((x) => routeParams(x).kind === 'weights' && routeParams(x).revision === String(e.route.revision)));
    t.is(await metricValue(r.f.http, 'mlmesh_inference_routed_requests_total', { model: 'digits_mlp', version: '1', route: 'weights' }), on1);
    // The prediction log carries route and revision.
    await waitFor(async () => (await predictionLogs(r.nc)).length >= n + 1, 20_000, 'prediction logs');
    const logs = await predictionLogs(r.nc);
    const routed = logs.filter((l) => l.route === 'weights');
    t.is(routed.length, n);
    t.true(routed.every((l) => l.route_revision === String(e.route.revision) && !l.shadow));
    t.is(logs.filter((l) => l.route === '').length, 1, 'the unrouted one');
    // Deleted: back to the newest version.
    await r.store.delete('digits_mlp');
    await waitFor(() => r.f.service.routes?.routeOf('digits_mlp') === undefined, 10_000, 'route gone');
    const after = await r.f.client.infer(req());
    t.is(after.model_version, '2');
    t.is(routeParams(after).kind, undefined);
  } finally {
    await r.stop();
  }
});

test('routing - a named version bypasses the route', async (t) => {
  const r = await startRouting();
  try {
    await r.setRoute({ versions: [{ version: '2', weight: 1 }] });
    const rs = await many(r, 50, () => req({}, '1'));
    t.is(count(rs, '1'), 50);
    t.true(rs.every((x) => routeParams(x).kind === undefined), 'no route parameters when the caller named the version');
    t.is(count(await many(r, 20, () => req()), '2'), 20);
  } finally {
    await r.stop();
  }
});

test('routing - sticky: an entity keeps its version while the weights hold, and only moves to the candidate as it grows (gRPC and HTTP)', async (t) => {
  const r = await startRouting();
  try {
    // The candidate (2) listed first, as writers do (docs/routing.md).
    await r.setRoute({ sticky: 'parameter', sticky_parameter: 'customer_id', versions: [{ version: '2', weight: 10 }, { version: '1', weight: 90 }] });
    const customers = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? { string_param: `cust-${i}` } : { int64_param: 1_000_000 + i }));
    const round = async () => (await many(r, customers.length, (i) => req({ customer_id: customers[i]! }))).map((x) => x.model_version);
    const first = await round();
    const again = await round();
    t.deepEqual(again, first, 'same version for every customer while the weights hold');
    t.true(withinBinomial(first.filter((v) => v === '2').length, customers.length, 0.1), `candidate got ${first.filter((v) => v === '2').length} of 400 at 10%`);
    // Over HTTP, the same handler: the same customer gets the same version, and the parameters.
    const http = await fetch(`${r.f.http}/v2/models/digits_mlp/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ parameters: { customer_id: 'cust-0' }, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.2) }] }),
    });
    const body = (await http.json()) as { model_version: string; parameters?: Record<string, unknown> };
    t.is(body.model_version, first[0]!);
    t.deepEqual(body.parameters, { mlmesh_route_revision: 1, mlmesh_route: 'sticky' });
    const httpInt = (await (
      await fetch(`${r.f.http}/v2/models/digits_mlp/infer`, {
        method: 'POST',
        body: JSON.stringify({ parameters: { customer_id: 1_000_001 }, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0.2) }] }),
      })
    ).json()) as { model_version: string };
    t.is(httpInt.model_version, first[1]!, 'an int64 parameter over HTTP hashes like the int64 over gRPC');
    // The candidate grows: those on it stay, some move to it, none leave it.
    await r.setRoute({ sticky: 'parameter', sticky_parameter: 'customer_id', versions: [{ version: '2', weight: 50 }, { version: '1', weight: 50 }] });
    const grown = await round();
    t.is(first.filter((v, i) => v === '2' && grown[i] !== '2').length, 0, 'no customer left the candidate');
    t.true(grown.filter((v) => v === '2').length > first.filter((v) => v === '2').length, 'customers moved to the candidate');
    t.true(withinBinomial(grown.filter((v) => v === '2').length, customers.length, 0.5));
    // Without the parameter: drawn by the weights.
    t.is(routeParams(await r.f.client.infer(req())).kind, 'weights');
    // Sticky by request id (x-request-id).
    await r.setRoute({ sticky: 'request_id', versions: [{ version: '2', weight: 50 }, { version: '1', weight: 50 }] });
    const md = (i: number) => {
      const m = new grpc.Metadata();
      m.set('x-request-id', `req-${i % 50}`);
      return m;
    };
    const byId = await many(r, 200, () => req(), 8, md);
    for (let i = 50; i < 200; i++) t.is(byId[i]!.model_version, byId[i % 50]!.model_version);
    t.true(byId.every((x) => routeParams(x).kind === 'sticky'));
  } finally {
    await r.stop();
  }
});

test('routing - a route naming an unloaded version is refused (ModelEvent, metric), the old route keeps serving, and it applies once the version loads', async (t) => {
  const r = await startRouting();
  try {
    const good = await r.setRoute({ versions: [{ version: '1', weight: 1 }] });
    const bad = await r.store.put({ model: 'digits_mlp', versions: [{ version: '3', weight: 1 }], written_by: 'test' });
    await waitFor(async () => (await metricValue(r.f.http, 'mlmesh_inference_route_refusals_total', { model: 'digits_mlp', cause: 'not_loaded' })) === 1, 10_000, 'refusal counted');
    await waitFor(async () => (await modelEvents(r.nc)).some((e) => e.kind === 'route_refused'), 10_000, 'route_refused event');
    const ev = (await modelEvents(r.nc)).find((e) => e.kind === 'route_refused')!;
    t.is(ev.model, 'digits_mlp');
    t.is(ev.route_revision, String(bad.route.revision));
    t.regex(ev.reason, /version 3, not loaded on this replica/);
    t.regex(ev.actor, /^inference@/);
    const rs = await many(r, 30, () => req());
    t.true(rs.every((x) => x.model_version === '1' && routeParams(x).revision === String(good.route.revision)), 'the last good route serves');
    await r.addVersion(3);
    await waitFor(() => r.f.service.routes?.routeOf('digits_mlp')?.revision === Number(bad.route.revision), 10_000, 'route applied after the load');
    const later = await many(r, 30, () => req());
    t.true(later.every((x) => x.model_version === '3'));
    // Unloading the model withdraws the route; loading it again brings it back.
    await r.f.client.unload('digits_mlp');
    t.is(r.f.service.routes?.routeOf('digits_mlp'), undefined);
    await r.f.client.load('digits_mlp');
    t.is(r.f.service.routes?.routeOf('digits_mlp')?.revision, Number(bad.route.revision));
    t.is((await r.f.client.infer(req())).model_version, '3');
  } finally {
    await r.stop();
  }
});

test('routing - with NATS stopped, routed traffic keeps flowing by the last routes', async (t) => {
  const r = await startRouting();
  try {
    const e = await r.setRoute({ versions: [{ version: '1', weight: 1 }, { version: '2', weight: 1 }] });
    await r.nc.close();
    await r.nats.stop();
    const rs = await many(r, 200, () => req());
    t.true(count(rs, '1') > 0 && count(rs, '2') > 0);
    t.true(rs.every((x) => routeParams(x).revision === String(e.route.revision)));
  } finally {
    await r.stop();
  }
});

test('routing - after NATS restarts, the replica watches again and applies routes written since', async (t) => {
  const r = await startRouting();
  try {
    await r.setRoute({ versions: [{ version: '1', weight: 1 }] });
    await r.nc.close();
    await r.nats.stop();
    t.is((await r.f.client.infer(req())).model_version, '1', 'the last route serves while NATS is down');
    await r.nats.restart();
    const nc = await connect({ servers: r.nats.url });
    try {
      const store = await RouteStore.create(nc);
      const e = await store.put({ model: 'digits_mlp', versions: [{ version: '2', weight: 1 }], written_by: 'test' });
      await waitFor(() => r.f.service.routes?.routeOf('digits_mlp')?.revision === Number(e.route.revision), 20_000, 'the route written after the restart');
      t.is((await r.f.client.infer(req())).model_version, '2');
    } finally {
      await nc.close();
    }
  } finally {
    await r.stop();
  }
});

test('routing - route changes under 32 requests in flight fail none, and each answer matches the route revision it reports', async (t) => {
  const r = await startRouting();
  try {
    const byRevision = new Map<string, string>();
    const set = async (v: string) => {
      const e = await r.store.put({ model: 'digits_mlp', versions: [{ version: v, weight: 1 }], written_by: 'test' });
      byRevision.set(String(e.route.revision), v);
      return e;
    };
    await set('1');
    await waitFor(() => r.f.service.routes?.routeOf('digits_mlp') !== undefined, 10_000, 'first route');
    let running = true;
    const errors: string[] = [];
    const seen: ModelInferResponse__Output[] = [];
    const loops = Array.from({ length: 32 }, async () => {
      while (running) {
        try {
          seen.push(await r.f.client.infer(req(), { deadlineMs: 20_000 }));
        } catch (e: unknown) {
          errors.push(`${(e as grpc.ServiceError).code}: ${(e as grpc.ServiceError).details}`);
        }
      }
    });
    for (let i = 0; i < 12; i++) {
      const at = seen.length;
      await waitFor(() => seen.length > at + 30, 20_000, 'traffic between changes');
      await set(i % 2 === 0 ? '2' : '1');
    }
    const at = seen.length;
    await waitFor(() => seen.length > at + 30, 20_000, 'traffic after the last change');
    running = false;
    await Promise.all(loops);
    t.deepEqual(errors, []);
    t.true(seen.every((x) => byRevision.get(routeParams(x).revision ?? '') === x.model_version), 'each answer is from the version its route revision names');
    t.true(new Set(seen.map((x) => routeParams(x).revision)).size >= 10, 'the changes were seen');
    t.log(`${seen.length} requests, 0 failed, across 12 route changes`);
  } finally {
    await r.stop();
  }
});
