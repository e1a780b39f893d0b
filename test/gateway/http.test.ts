/**
 * The gateway's HTTP/JSON front against the real mesh: the same answers as gRPC (rows,
 * per-row errors, metadata), the same failures as HTTP statuses with `{"error": "..."}`,
 * GET /version, GET /health, the deployments listing, x-request-id and x-timeout-ms.
 */
import test from 'ava';
import type { PlainRow } from '../../shared/client/index.js';
import { APPLICANTS, startGatewayMesh } from '../helpers/gateway.js';
import type { GatewayMesh } from '../helpers/gateway.js';

let mesh: GatewayMesh;
let base = '';

test.before(async () => {
  mesh = await startGatewayMesh({ gateway: { maxRows: 10 } });
  base = `http://127.0.0.1:${mesh.gateway.httpPort}`;
});

test.after.always(async () => {
  await mesh?.stop();
});

type Json = Record<string, unknown>;

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Json; headers: Headers }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Json, headers: res.headers };
}

test('http - POST predict answers as gRPC Predict does, rows and per-row errors in input order', async (t) => {
  const rows: PlainRow[] = [
    { applicant_id: APPLICANTS.fresh, amount: 500, channel: 'web' },
    { applicant_id: APPLICANTS.fresh, amount: 500.5, channel: 'nope' },
    { amount: 1, channel: 'web' },
  ];
  const http = await post('/v1/deployments/risk/predict', { rows }, { 'x-request-id': 'http-test-1' });
  t.is(http.status, 200);
  t.is(http.headers.get('x-request-id'), 'http-test-1');
  const grpc = await mesh.client.predictRows('risk', rows);
  const got = http.json['rows'] as Json[];
  t.is(got.length, 3);
  t.deepEqual((got[0]?.['prediction'] as Json)['values'], grpc.rows[0]?.prediction?.values);
  t.is((got[0]?.['prediction'] as Json)['label'], grpc.rows[0]?.prediction?.label);
  t.deepEqual((got[0]?.['prediction'] as Json)['shape'], [2]);
  t.deepEqual((got[1]?.['errors'] as Json[]).map((e) => [e['code'], e['field']]), [['UNKNOWN_CATEGORY', 'channel']]);
  t.deepEqual((got[2]?.['errors'] as Json[]).map((e) => [e['code'], e['field']]), [['ENTITY_MISSING', 'applicant_id']]);
  t.like(http.json, { deployment: 'risk', deployment_version: '1', model_name: 'gw_risk', model_version: '1', pipeline: 'gw_risk_features@1', request_id: 'http-test-1', api_version: 'mlmesh.gateway.v1', predicted_rows: 1, error_rows: 2 });
  t.deepEqual(http.json['feature_versions'], ['balance@1']);
});

test('http - failures are {"error": ...} with the HTTP status of the gRPC code', async (t) => {
  const nf = await post('/v1/deployments/nope/predict', { rows: [{ applicant_id: 'a1' }] });
  t.is(nf.status, 404);
  t.regex(String(nf.json['error']), /deployment 'nope' is not loaded/);
  const many = await post('/v1/deployments/risk/predict', { rows: Array.from({ length: 11 }, () => ({ applicant_id: 'a1' })) });
  t.is(many.status, 400);
  t.regex(String(many.json['error']), /rows: 11 rows, at most 10/);
  const badKey = await post('/v1/deployments/risk/predict', { rows: [], colour: 1 });
  t.is(badKey.status, 400);
  t.regex(String(badKey.json['error']), /colour: unknown key/);
  const badValue = await post('/v1/deployments/risk/predict', { rows: [{ applicant_id: ['a1'] }] });
  t.is(badValue.status, 400);
  t.regex(String(badValue.json['error']), /rows\[0\]\.applicant_id: must be a string, a number, a boolean or null/);
  const notJson = await post('/v1/deployments/risk/predict', '{"rows": [');
  t.is(notJson.status, 400);
  const asOf = await post('/v1/deployments/risk/predict', { rows: [{ applicant_id: 'a1', amount: 1, channel: 'web' }], as_of: 'yesterday' });
  t.is(asOf.status, 400);
  t.regex(String(asOf.json['error']), /as_of: must be an ISO 8601/);
  const timeout = await post('/v1/deployments/risk/predict', { rows: [{ applicant_id: 'a1' }] }, { 'x-timeout-ms': 'soon' });
  t.is(timeout.status, 400);
});

test('http - as_of takes an ISO 8601 time', async (t) => {
  const at = new Date(mesh.writtenAt - 9.5 * 24 * 3600 * 1000).toISOString();
  const res = await post('/v1/deployments/risk/predict', { rows: [{ applicant_id: APPLICANTS.old, amount: 1, channel: 'web' }], as_of: at });
  t.is(res.status, 200);
  t.truthy((res.json['rows'] as Json[])[0]?.['prediction']);
});

test('http - GET /version, /health and the deployments', async (t) => {
  const v = (await (await fetch(`${base}/version`)).json()) as Json;
  t.is(v['api_version'], 'mlmesh.gateway.v1');
  t.deepEqual((v['deployments'] as Json[]).map((d) => [d['deployment'], d['model_versions'], d['pipeline']]), [['risk', ['1'], 'gw_risk_features@1']]);
  const h = await fetch(`${base}/health`);
  t.is(h.status, 200);
  t.like((await h.json()), { status: 'SERVING', deployments: 1, refused: 0 });
  const list = (await (await fetch(`${base}/v1/deployments`)).json()) as Json;
  t.deepEqual((list['deployments'] as Json[]).map((d) => d['name']), ['risk']);
  const one = await fetch(`${base}/v1/deployments/risk`);
  t.is(one.status, 200);
  t.like((await one.json()), { deployment: { name: 'risk', version: '1' }, spec: { name: 'risk', format: 'mlmesh.gateway.deployment/v1' } });
  t.is((await fetch(`${base}/v1/deployments/nope`)).status, 404);
});
