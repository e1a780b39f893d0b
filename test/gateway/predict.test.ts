/**
 * The gateway's Predict against a real mesh (features, preprocess, inference in-process on
 * loopback): every row kind, a mix, limits, NOT_FOUND, the answer's metadata, the request id
 * on every hop, the prediction log parameters.
 */
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { connect } from 'nats';
import { decodePredictionLog } from '../../shared/events/index.js';
import { InvalidArgumentError, NotFoundError } from '../../shared/client/index.js';
import type { GatewayRowResult, PredictResponse } from '../../shared/client/index.js';
import { APPLICANTS, DAY, modelRow, risk, startGatewayMesh } from '../helpers/gateway.js';
import type { GatewayMesh } from '../helpers/gateway.js';
import { metricValue } from '../helpers/inference.js';

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
let mesh: GatewayMesh;
let order: string[] = [];

test.before(async () => {
  mesh = await startGatewayMesh({ gateway: { maxRows: 100 }, inference: { natsUrl: NATS_URL } });
  const b = mesh.gateway.deployments.get('risk');
  if (!b) throw new Error(`risk did not load: ${JSON.stringify(mesh.gateway.deployments.refused())}`);
  order = [...b.pipeline.featureNames];
});

test.after.always(async () => {
  await mesh?.stop();
});

function expectProbs(t: import('ava').ExecutionContext, r: GatewayRowResult | undefined, balance: number, amount: number, channel: string, version = '1'): void {
  t.truthy(r?.prediction, JSON.stringify(r?.errors));
  const p = r?.prediction;
  if (!p) return;
  const want = risk(version, modelRow(mesh, order, balance, amount, channel));
  t.is(p.values.length, 2);
  for (let k = 0; k < 2; k++) t.true(Math.abs((p.values[k] as number) - (want[k] as number)) < 1e-5, `value ${k}: ${p.values[k]} vs ${want[k]}`);
  t.is(p.score, p.values[1] as number);
  t.is(p.label, (p.values[1] as number) >= 0.5 ? 'default' : 'repaid');
  t.is(r?.model_version, version);
}

test('predict - a valid row: features joined, pipeline run, model answered, label by threshold', async (t) => {
  const res = await mesh.client.predictRows('risk', [{ applicant_id: APPLICANTS.fresh, amount: 500, channel: 'web' }]);
  t.is(res.rows.length, 1);
  expectProbs(t, res.rows[0], 1500, 500, 'web');
  t.is(res.deployment, 'risk');
  t.is(res.deployment_version, '1');
  t.regex(res.deployment_sha256, /^[0-9a-f]{64}$/);
  t.is(res.model_name, 'gw_risk');
  t.is(res.model_version, '1');
  t.is(res.pipeline, 'gw_risk_features@1');
  t.regex(res.pipeline_sha256, /^[0-9a-f]{64}$/);
  t.deepEqual(res.feature_versions, ['balance@1']);
  t.is(res.api_version, 'mlmesh.gateway.v1');
  t.truthy(res.request_id);
  t.is(res.predicted_rows, 1);
  t.is(res.error_rows, 0);
});

function codes(r: GatewayRowResult | undefined): string[] {
  return (r?.errors ?? []).map((e) => `${e.code}:${e.field}`);
}

test('predict - every row kind in one batch: right answer per row, in input order', async (t) => {
  const res = await mesh.client.predictRows('risk', [
    { applicant_id: APPLICANTS.fresh, amount: 500, channel: 'web' },
    { amount: 500, channel: 'web' },
    { applicant_id: APPLICANTS.unknown, amount: 500, channel: 'web' },
    { applicant_id: APPLICANTS.old, amount: 500, channel: 'web' },
    { applicant_id: APPLICANTS.nullValue, amount: 500, channel: 'web' },
    { applicant_id: APPLICANTS.fresh, amount: 'lots', channel: 'web' },
    { applicant_id: APPLICANTS.fresh, amount: 500, channel: 'carrier-pigeon' },
    { applicant_id: APPLICANTS.fresh, channel: 'web' },
    { applicant_id: APPLICANTS.fresh, amount: 500, channel: 'app', colour: 'blue' },
    { applicant_id: APPLICANTS.fresh2, amount: 900, channel: 'branch' },
  ]);
  t.deepEqual(
    res.rows.map((r) => r.row),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  expectProbs(t, res.rows[0], 1500, 500, 'web');
  t.deepEqual(codes(res.rows[1]), ['ENTITY_MISSING:applicant_id']);
  t.deepEqual(codes(res.rows[2]), ['FEATURE_MISSING:balance@1']);
  t.deepEqual(codes(res.rows[3]), ['FEATURE_TOO_OLD:balance@1']);
  t.deepEqual(codes(res.rows[4]), ['FEATURE_MISSING:balance@1']);
  t.deepEqual(codes(res.rows[5]), ['INVALID_VALUE:amount']);
  t.deepEqual(codes(res.rows[6]), ['UNKNOWN_CATEGORY:channel']);
  t.deepEqual(codes(res.rows[7]), ['MISSING_FIELD:amount']);
  t.deepEqual(codes(res.rows[8]), ['UNKNOWN_FIELD:colour']);
  expectProbs(t, res.rows[9], 1234.5, 900, 'branch');
  for (const r of res.rows.slice(1, 9)) {
    t.is(r.prediction, null);
    t.is(r.model_version, '');
    for (const e of r.errors) {
      t.is(e.row, r.row);
      t.true(e.message.length > 0);
    }
  }
  t.is(res.predicted_rows, 2);
  t.is(res.error_rows, 8);
});

test('predict - a valid row answers the same alone and beside invalid rows', async (t) => {
  const alone = await mesh.client.predictRows('risk', [{ applicant_id: APPLICANTS.fresh2, amount: 321, channel: 'app' }]);
  const mixed = await mesh.client.predictRows('risk', [
    { applicant_id: APPLICANTS.unknown, amount: 1, channel: 'web' },
    { applicant_id: APPLICANTS.fresh, amount: 'x', channel: 'web' },
    { applicant_id: APPLICANTS.fresh2, amount: 321, channel: 'app' },
    { applicant_id: APPLICANTS.fresh, amount: 99999, channel: 'nope' },
  ]);
  t.deepEqual(mixed.rows[2]?.prediction?.values, alone.rows[0]?.prediction?.values);
  t.is(mixed.rows[2]?.prediction?.label, alone.rows[0]?.prediction?.label);
});

test.serial('predict - no valid row: no inference call, every row answered with its error', async (t) => {
  const before = await metricValue(mesh.inference.http, 'mlmesh_inference_request_success_total');
  const res = await mesh.client.predictRows('risk', [{ applicant_id: APPLICANTS.unknown, amount: 1, channel: 'web' }, { amount: 1, channel: 'web' }]);
  t.is(res.predicted_rows, 0);
  t.is(res.model_version, '');
  t.is(await metricValue(mesh.inference.http, 'mlmesh_inference_request_success_total'), before);
});

test('predict - as_of_ms reads the features in effect then (a point-in-time replay)', async (t) => {
  const now = await mesh.client.predictRows('risk', [{ applicant_id: APPLICANTS.old, amount: 500, channel: 'web' }, { applicant_id: APPLICANTS.fresh, amount: 500, channel: 'web' }]);
  t.deepEqual(codes(now.rows[0]), ['FEATURE_TOO_OLD:balance@1']);
  const then = await mesh.client.predictRows('risk', [{ applicant_id: APPLICANTS.old, amount: 500, channel: 'web' }, { applicant_id: APPLICANTS.fresh, amount: 500, channel: 'web' }], { asOf: mesh.writtenAt - 9.5 * DAY });
  expectProbs(t, then.rows[0], 1700, 500, 'web');
  t.deepEqual(codes(then.rows[1]), ['FEATURE_MISSING:balance@1'], 'a1 had no value yet');
  const bad = await t.throwsAsync(mesh.client.predict({ deployment: 'risk', rows: [{ fields: {} }], as_of_ms: -5 }), { instanceOf: InvalidArgumentError });
  t.is(bad?.field, 'as_of_ms');
});

test('predict - unknown deployment is NOT_FOUND naming it', async (t) => {
  const e = await t.throwsAsync(mesh.client.predictRows('nope', [{ applicant_id: 'a1', amount: 1, channel: 'web' }]), { instanceOf: NotFoundError });
  t.regex(e?.details ?? '', /deployment 'nope' is not loaded \(loaded: risk\)/);
});

test('predict - too many rows, or none, is INVALID_ARGUMENT naming rows', async (t) => {
  const rows = Array.from({ length: 101 }, () => ({ applicant_id: 'a1', amount: 1, channel: 'web' }));
  const e = await t.throwsAsync(mesh.client.predictRows('risk', rows), { instanceOf: InvalidArgumentError });
  t.is(e?.field, 'rows');
  t.regex(e?.details ?? '', /101 rows, at most 100/);
  const none = await t.throwsAsync(mesh.client.predictRows('risk', []), { instanceOf: InvalidArgumentError });
  t.is(none?.field, 'rows');
});

test('predict - the request id goes to inference, and the prediction log carries it and the entity ids of the rows predicted', async (t) => {
  const id = `gw-test-${randomUUID()}`;
  const nc = await connect({ servers: NATS_URL });
  const sub = nc.subscribe('mlmesh.predictions.gw_risk.>');
  const got = (async () => {
    for await (const m of sub) {
      const log = decodePredictionLog(m.data);
      if (log.request_id === id) return log;
    }
    return undefined;
  })();
  const res: PredictResponse = await mesh.client.predictRows('risk', [{ applicant_id: APPLICANTS.fresh, amount: 7, channel: 'web' }, { applicant_id: APPLICANTS.unknown, amount: 7, channel: 'web' }, { applicant_id: APPLICANTS.fresh2, amount: 8, channel: 'app' }], { requestId: id });
  t.is(res.request_id, id);
  t.is(res.predicted_rows, 2);
  const log = await got;
  sub.unsubscribe();
  await nc.close();
  t.is(log?.version, '1');
  t.deepEqual(JSON.parse(log?.parameters['applicant_id'] ?? 'null'), [APPLICANTS.fresh, APPLICANTS.fresh2]);
  t.deepEqual(JSON.parse(log?.parameters['mlmesh_rows'] ?? 'null'), [0, 2]);
  t.is(log?.parameters['mlmesh_deployment'], 'risk@1');
  // No as_of: the features were read as of the gateway's clock just before the read.
  const asOf = Number(log?.parameters['mlmesh_as_of_ms']);
  t.true(Number.isSafeInteger(asOf) && Math.abs(asOf - Number(log?.meta?.time_unix_ms)) < 60_000, `mlmesh_as_of_ms ${asOf}`);
});
