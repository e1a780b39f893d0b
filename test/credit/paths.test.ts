/**
 * The credit example's offline and online paths agree. For the same applicants at their
 * applications' times:
 *
 * - offline, the training-time code: GetHistoricalFeatures of the feature service at each
 *   application's time → the committed pipeline (CompiledPipeline, as `mlmesh pipeline
 *   transform` ran it on the training rows) → the committed model.onnx in onnxruntime-node;
 * - online, the mesh of the repository's mlmesh.yaml (features loaded as the demo loads them):
 *   the gateway's deployment `credit` as of the application's time, over gRPC and over HTTP;
 *   and the three services called one after the other (features GetOnlineFeatures as of the
 *   time → preprocess Transform → inference ModelInfer).
 *
 * The probabilities must agree within 1e-6 (float32 from the same graph on the same tensor:
 * here they are equal). The offline records must also be the committed training
 * rows: the store serves today what the model was trained on.
 */
import { join } from 'node:path';
import test from 'ava';
import { FeaturesClient, GatewayClient, InferInput, InferenceClient, PreprocessClient, transformTensor } from '../../shared/client/index.js';
import type { PreprocessRecord } from '../../shared/client/index.js';
import { readCsvObjects } from '../../services/features/index.js';
import { DEPLOYMENT, FEATURE_SERVICE, MODEL, PIPELINE, PIPELINE_VERSION } from '../../examples/credit/steps.js';
import { columnOf, creditArtifact, featureField, gatewayFields, offlinePath, readApplications, requestFields, root, startCreditMesh } from './credit-mesh.js';
import type { Application, CreditMesh } from './credit-mesh.js';

const TOLERANCE = 1e-6;
let mesh: CreditMesh;
let sample: Application[];
let offline: Awaited<ReturnType<typeof offlinePath>>;

test.before(async () => {
  mesh = await startCreditMesh();
  const apps = await readApplications();
  // Every 100th application, plus the awkward ones: missing income or employment, rare channels.
  const picked = new Set<Application>(apps.filter((_, i) => i % 100 === 0));
  for (const pred of [(a: Application) => a.income === undefined, (a: Application) => a.employment === undefined, (a: Application) => a.channel === 'kiosk', (a: Application) => a.channel === 'phone']) {
    for (const a of apps.filter(pred).slice(0, 3)) picked.add(a);
  }
  sample = [...picked];
  offline = await offlinePath(mesh.address('features'), sample);
});

test.after.always(async () => {
  await mesh?.stop();
});

test('credit paths - the historical features are the committed training rows (the store serves what the model was trained on)', async (t) => {
  const { pipeline } = await creditArtifact();
  const header: string[] = [];
  const byId = new Map<string, string[]>();
  for await (const { row } of readCsvObjects(join(root, 'examples/credit/training/training.csv'), (h) => header.push(...h))) byId.set(row['application_id'] as string, header.map((c) => row[c] ?? ''));
  const csv = pipeline.transformCsv(header, sample.map((a) => byId.get(a.application_id) as string[]));
  const rec = pipeline.transformRecords(offline.records as Parameters<typeof pipeline.transformRecords>[0]);
  t.is(csv.errors.length, 0);
  t.deepEqual(Array.from(rec.tensor), Array.from(csv.tensor));
});

test('credit paths - avg_bank_bal@2 is the bug fix of @1: never below 0, equal where nobody was overdrawn, both served', async (t) => {
  const features = new FeaturesClient(mesh.address('features'));
  t.teardown(() => features.close());
  const apps = await readApplications();
  let negativeV1 = 0;
  let equal = 0;
  let present = 0;
  for await (const msg of features.getHistoricalFeatures({ features: { refs: ['avg_bank_bal@1', 'avg_bank_bal@2'] }, rows: apps.map((a) => ({ entity_id: a.user_id, time_ms: a.timeMs })) })) {
    for (const r of msg.rows) {
      const [v1, v2] = r.values;
      t.is(v1?.status, v2?.status, `row ${r.row_index}: both versions have a value or neither`);
      if (v1?.status !== 'PRESENT') continue;
      present++;
      const a = v1.value?.float_value as number;
      const b = v2?.value?.float_value as number;
      t.true(b >= 0 && a <= b, `row ${r.row_index}: v1 ${a}, v2 ${b}`);
      if (a < 0) negativeV1++;
      if (a === b) equal++;
    }
  }
  t.true(present > apps.length * 0.8, `${present} of ${apps.length}`);
  t.true(negativeV1 > 0, 'v1 went below 0 for someone (the bug)');
  t.true(equal > present / 2, `${equal} of ${present} equal: most windows hold no overdraft`);
});

test('credit paths - features → preprocess → inference, called directly, equal historical → pipeline → onnxruntime within 1e-6', async (t) => {
  const features = new FeaturesClient(mesh.address('features'));
  const preprocess = new PreprocessClient(mesh.address('preprocess'));
  const inference = new InferenceClient(mesh.address('inference'));
  t.teardown(() => {
    features.close();
    preprocess.close();
    inference.close();
  });
  const records: PreprocessRecord[] = [];
  for (const a of sample) {
    const res = await features.getOnlineFeatures({ feature_service: FEATURE_SERVICE, entity_ids: [a.user_id], as_of_ms: a.timeMs });
    const fields = requestFields(a);
    res.features.forEach((ref, j) => {
      const col = res.columns[j];
      fields[columnOf(ref)] = featureField({ value: col?.values[0] ?? null, status: col?.statuses[0] ?? 'FEATURE_STATUS_UNSPECIFIED' });
    });
    records.push({ fields });
  }
  const transformed = await preprocess.transform({ pipeline: { name: PIPELINE, version: PIPELINE_VERSION }, records, mode: 'LENIENT' });
  t.deepEqual(transformed.errors, []);
  const tensor = transformTensor(transformed);
  const result = await inference.infer(MODEL, [InferInput.from('features', tensor.data, tensor.shape)]);
  const online = result.asArray<Float32Array>('probabilities');
  t.is(online.length, offline.probabilities.length);
  t.is(online.length, 2 * sample.length);
  let worst = 0;
  for (let i = 0; i < online.length; i++) worst = Math.max(worst, Math.abs((online[i] as number) - (offline.probabilities[i] as number)));
  t.log(`largest difference ${worst}`);
  t.true(worst <= TOLERANCE, `largest difference ${worst}`);
  // Not a vacuous agreement: the applicants get different answers.
  const scores = new Set(Array.from({ length: sample.length }, (_, i) => (online[2 * i + 1] as number).toFixed(4)));
  t.true(scores.size > sample.length / 2, `${scores.size} distinct scores for ${sample.length} applicants`);
});

test('credit paths - the gateway (deployment credit, gRPC Predict as of each application) equals historical → pipeline → onnxruntime within 1e-6', async (t) => {
  const gateway = new GatewayClient(mesh.address('gateway'));
  t.teardown(() => gateway.close());
  let worst = 0;
  for (const [i, a] of sample.entries()) {
    const res = await gateway.predict({ deployment: DEPLOYMENT, rows: [{ fields: gatewayFields(a) }], as_of_ms: a.timeMs });
    const row = res.rows[0];
    t.deepEqual(row?.errors, [], `applicant ${a.user_id}`);
    const values = row?.prediction?.values ?? [];
    t.is(values.length, 2);
    for (let j = 0; j < 2; j++) worst = Math.max(worst, Math.abs((values[j] as number) - (offline.probabilities[2 * i + j] as number)));
    t.is(row?.prediction?.score, values[1], 'the score is the default probability');
    t.is(row?.prediction?.label, (values[1] as number) >= 0.5 ? 'defaulted' : 'repaid');
    t.is(res.model_name, MODEL);
    t.is(res.pipeline, `${PIPELINE}@${PIPELINE_VERSION}`);
    t.true(res.feature_versions.includes('avg_bank_bal@2'), res.feature_versions.join(','));
  }
  t.log(`largest difference ${worst}`);
  t.true(worst <= TOLERANCE, `largest difference ${worst}`);
});

test('credit paths - the gateway over HTTP (POST /v1/deployments/credit/predict, as_of each application) equals the training-time path within 1e-6', async (t) => {
  let worst = 0;
  for (const [i, a] of sample.entries()) {
    const row: Record<string, string | number> = { applicant_id: a.user_id, loan_amount: a.loan_amount, term_months: a.term_months, channel: a.channel };
    if (a.income !== undefined) row['income'] = a.income;
    if (a.employment !== undefined) row['employment'] = a.employment;
    const reply = await fetch(`${mesh.gatewayHttp}/v1/deployments/${DEPLOYMENT}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows: [row], as_of: a.ts }) });
    const body = (await reply.json()) as { rows: { prediction?: { values: number[]; label: string } }[] };
    t.is(reply.status, 200, JSON.stringify(body));
    const values = body.rows[0]?.prediction?.values ?? [];
    t.is(values.length, 2, JSON.stringify(body));
    for (let j = 0; j < 2; j++) worst = Math.max(worst, Math.abs((values[j] as number) - (offline.probabilities[2 * i + j] as number)));
  }
  t.log(`largest difference ${worst}`);
  t.true(worst <= TOLERANCE, `largest difference ${worst}`);
});
