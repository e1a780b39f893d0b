/**
 * The response cache against the real mesh: repeated rows hit (no inference call), misses
 * beside hits, TTL, the byte bound, and a model version switch that never returns the old
 * version's cached answers (docs/gateway.md "Response cache").
 */
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { GatewayClient, InferenceClient } from '../../shared/client/index.js';
import type { GatewayRowResult } from '../../shared/client/index.js';
import { ResponseCache } from '../../services/gateway/index.js';
import type { GatewayService } from '../../services/gateway/index.js';
import { APPLICANTS, deploymentYaml, modelRow, risk, startGatewayMesh } from '../helpers/gateway.js';
import type { GatewayMesh } from '../helpers/gateway.js';
import { metricValue, waitFor } from '../helpers/inference.js';

let mesh: GatewayMesh;
let strict: { gateway: GatewayService; client: GatewayClient };
let order: string[] = [];

const CACHED = 'cache: { enabled: true, ttl_ms: 600000 }\n';

test.before(async () => {
  mesh = await startGatewayMesh({
    gateway: { servingCheckMs: 600_000 },
    deployments: { risk: deploymentYaml('risk', 1, CACHED), risk_ttl: deploymentYaml('risk_ttl', 1, 'cache: { enabled: true, ttl_ms: 50 }\n'), risk_off: deploymentYaml('risk_off', 1) },
  });
  strict = await mesh.extraGateway({ servingCheckMs: 0 });
  order = [...(mesh.gateway.deployments.get('risk')?.pipeline.featureNames ?? [])];
});

test.after.always(async () => {
  await mesh?.stop();
});

const row = (amount: number, channel = 'web') => ({ applicant_id: APPLICANTS.fresh, amount, channel });

async function inferenceCalls(): Promise<number> {
  return metricValue(mesh.inference.http, 'mlmesh_inference_request_success_total');
}

function values(r: GatewayRowResult | undefined): number[] {
  return r?.prediction?.values ?? [];
}

function near(t: import('ava').ExecutionContext, got: number[], want: number[]): void {
  t.is(got.length, want.length);
  for (let k = 0; k < want.length; k++) t.true(Math.abs((got[k] as number) - (want[k] as number)) < 1e-5, `${got[k]} vs ${want[k]}`);
}

test.serial('cache - repeated rows hit: same answer, marked cached, no inference call', async (t) => {
  const first = await mesh.client.predictRows('risk', [row(100), row(200)]);
  t.deepEqual(first.rows.map((r) => r.cached), [false, false]);
  const calls = await inferenceCalls();
  const url = `http://127.0.0.1:${mesh.gateway.httpPort}`;
  const hits = await metricValue(url, 'mlmesh_gateway_cache_lookups_total', { result: 'hit' });
  const again = await mesh.client.predictRows('risk', [row(100), row(200)]);
  t.deepEqual(again.rows.map((r) => r.cached), [true, true]);
  t.is(again.cached_rows, 2);
  t.deepEqual(values(again.rows[0]), values(first.rows[0]));
  t.deepEqual(values(again.rows[1]), values(first.rows[1]));
  t.is(again.model_version, '1');
  t.is(await inferenceCalls(), calls, 'no ModelInfer for an all-hit request');
  t.is(await metricValue(url, 'mlmesh_gateway_cache_lookups_total', { result: 'hit' }), hits + 2);
  t.true((await metricValue(url, 'mlmesh_gateway_cache_bytes')) > 0);
  // A miss beside a hit: only the miss goes to inference.
  const mixed = await mesh.client.predictRows('risk', [row(100), row(300)]);
  t.deepEqual(mixed.rows.map((r) => r.cached), [true, false]);
  near(t, values(mixed.rows[1]), risk('1', modelRow(mesh, order, 1500, 300, 'web')));
});

test.serial('cache - a deployment without cache never hits; entries expire after ttl_ms', async (t) => {
  await mesh.client.predictRows('risk_off', [row(110)]);
  const off = await mesh.client.predictRows('risk_off', [row(110)]);
  t.false(off.rows[0]?.cached);
  await mesh.client.predictRows('risk_ttl', [row(120)]);
  const t0 = Date.now();
  await waitFor(() => Date.now() > t0 + 80, 5000, 'the TTL to pass');
  const later = await mesh.client.predictRows('risk_ttl', [row(120)]);
  t.false(later.rows[0]?.cached);
});

test.serial('cache - a version switch never returns the old version’s cached answer', async (t) => {
  // Warm both gateways with version 1's answers.
  for (const c of [mesh.client, strict.client]) {
    await c.predictRows('risk', [row(400), row(500), row(600)]);
    const warm = await c.predictRows('risk', [row(400), row(500), row(600)]);
    t.deepEqual(warm.rows.map((r) => [r.cached, r.model_version]), [[true, '1'], [true, '1'], [true, '1']]);
  }
  // Version 2 replaces version 1 (version_policy latest 1).
  await cp(join(projectRoot(), 'test/fixtures/gateway/models/gw_risk/2'), join(mesh.inference.repo, 'gw_risk/2'), { recursive: true });
  const ic = new InferenceClient(mesh.inference.service.address);
  await ic.repositoryModelLoad({ model_name: 'gw_risk' });
  t.deepEqual((await ic.modelMetadata({ name: 'gw_risk', version: '' })).versions, ['2']);
  ic.close();

  // servingCheckMs 0: the gateway asks inference before reading the cache.
  const s = await strict.client.predictRows('risk', [row(400)]);
  t.deepEqual([s.rows[0]?.cached, s.rows[0]?.model_version, s.model_version], [false, '2', '2']);
  near(t, values(s.rows[0]), risk('2', modelRow(mesh, order, 1500, 400, 'web')));

  // servingCheckMs 600000: a miss in the same request answers from version 2, so the hits keyed by
  // version 1 are dropped and asked again.
  const m = await mesh.client.predictRows('risk', [row(500), row(777)]);
  t.deepEqual(m.rows.map((r) => [r.cached, r.model_version]), [[false, '2'], [false, '2']]);
  near(t, values(m.rows[0]), risk('2', modelRow(mesh, order, 1500, 500, 'web')));
  near(t, values(m.rows[1]), risk('2', modelRow(mesh, order, 1500, 777, 'web')));
  // And from then on the gateway knows version 2 serves: a row cached under version 1 is a miss.
  const after = await mesh.client.predictRows('risk', [row(600)]);
  t.deepEqual([after.rows[0]?.cached, after.rows[0]?.model_version], [false, '2']);
  near(t, values(after.rows[0]), risk('2', modelRow(mesh, order, 1500, 600, 'web')));
  const hit = await mesh.client.predictRows('risk', [row(600)]);
  t.deepEqual([hit.rows[0]?.cached, hit.rows[0]?.model_version], [true, '2']);
});

test('cache - bounded by bytes: the least recently used rows go first', (t) => {
  const counts = { hit: 0, miss: 0, bytes: 0 };
  const cache = new ResponseCache(2000, { hit: () => counts.hit++, miss: () => counts.miss++, bytes: (n) => (counts.bytes = n) });
  const rowBytes = (i: number) => new Uint8Array(new Float32Array([i, i, i, i, i]).buffer);
  for (let i = 0; i < 50; i++) cache.set(ResponseCache.key('m', '1', rowBytes(i)), { values: Float64Array.of(i, 1 - i), version: '1' }, 60_000);
  t.true(cache.size <= 2000, `${cache.size} bytes`);
  t.true(cache.entries > 0 && cache.entries < 50);
  t.truthy(cache.get(ResponseCache.key('m', '1', rowBytes(49))));
  t.is(cache.get(ResponseCache.key('m', '1', rowBytes(0))), undefined);
  t.is(cache.get(ResponseCache.key('m', '2', rowBytes(49))), undefined, 'another version is another key');
  t.deepEqual(counts.hit, 1);
  t.deepEqual(counts.miss, 2);
  t.is(counts.bytes, cache.size);
});
