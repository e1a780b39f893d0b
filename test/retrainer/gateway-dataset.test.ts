/**
 * Point-in-time feature rows of a snapshot, against the credit example's real mesh: a private
 * nats-server, the feature service on SQLite with examples/credit/features loaded (on a copy of
 * the raw data, so newer transactions can be added), preprocess on examples/pipelines, inference
 * with credit_risk logging to NATS, and the gateway with two deployments of the example: `credit`
 * logging every request field, and `credit_thin` logging only applicant_id and channel (as the
 * committed example does).
 *
 * Predictions go through the gateway (as of the applications' times, and now), labels are
 * published, then NEWER transactions are added and materialized, so the online values change.
 * The snapshot's rows must be GetHistoricalFeatures at the times the gateway read the features,
 * not the newer values; the counts exact; the honest rows' logged tensors equal their rebuilt ones.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import test from 'ava';
import { parse as parseCsv } from 'csv-parse/sync';
import { FeaturesClient, GatewayClient, PreprocessClient, RetrainerClient } from '../../shared/client/index.js';
import type { Run__Output } from '../../shared/generated/mlmesh/retrainer/v1/Run.js';
import { projectRoot } from '../../shared/config/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { decodePredictionLog, encodePredictionLog, STREAMS, SUBJECTS } from '../../shared/events/index.js';
import type { PredictionLog__Output } from '../../shared/events/index.js';
import type { FeatureValue__Output } from '../../shared/generated/mlmesh/features/v1/FeatureValue.js';
import { readCsvObjects } from '../../services/features/index.js';
import { GatewayService } from '../../services/gateway/index.js';
import { RetrainerService } from '../../services/retrainer/index.js';
import { buildSnapshot, readDataset, readStreamRange } from '../../services/retrainer/dataset.js';
import type { BuildSnapshotOptions, BuiltSnapshot } from '../../services/retrainer/dataset.js';
import type { PointInTimeSource } from '../../services/retrainer/point-in-time.js';
import { SOURCE_LOGGED } from '../../services/retrainer/types.js';
import { EVENTS_TO, FEATURE_REFS, FEATURE_SERVICE, loadCreditFeatures } from '../../examples/credit/steps.js';
import { gatewayFields, readApplications } from '../credit/credit-mesh.js';
import type { Application } from '../credit/credit-mesh.js';
import { freshLocation, startFeatures } from '../helpers/features.js';
import type { FeaturesFixture, StoreLocation } from '../helpers/features.js';
import { startInference, waitFor } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';
import { startPreprocess } from '../helpers/preprocess.js';
import type { PreprocessFixture } from '../helpers/preprocess.js';
import { publishFeedback, startCtx } from '../helpers/retrainer-dataset.js';
import type { Ctx } from '../helpers/retrainer-dataset.js';

const MODEL = 'credit_risk';
const CLASSES = ['repaid', 'defaulted'];
const ALL_FIELDS = '[applicant_id, loan_amount, term_months, channel, income, employment]';

interface Predicted {
  requestId: string;
  deployment: 'credit' | 'credit_thin';
  apps: (Application | { user_id: string; application_id: string })[];
  log?: PredictionLog__Output;
}

let ctx: Ctx;
let location: StoreLocation;
let features: FeaturesFixture;
let preprocess: PreprocessFixture;
let inference: InferenceFixture;
let gateway: GatewayService;
let client: GatewayClient;
let dataDir: string;
let deploymentsDir: string;
const predicted: Predicted[] = [];
/** The newer last_balance each real user got after the predictions. */
const newerBalance = new Map<string, number>();
let built: BuiltSnapshot;
let source: PointInTimeSource;
/** Synthetic logs: copies of logged rows without inputs (request id → the copied log's request id). */
const omitted = new Map<string, string>();

function snapshotOptions(over: Partial<BuildSnapshotOptions> = {}): BuildSnapshotOptions {
  return {
    nc: ctx.nc,
    model: MODEL,
    parentVersion: '1',
    base: null,
    range: { firstSequence: 1 },
    monitoring: { input: 'features', featureCount: 25 },
    task: 'classification',
    classes: CLASSES,
    seed: 3,
    holdoutFraction: 0.3,
    maxLoggedRows: 1000,
    rootDir: join(ctx.tmp, MODEL, 'datasets'),
    createdAt: '2026-12-01T12:00:00Z',
    producedBy: 'test',
    pointInTime: source,
    ...over,
  };
}

async function readLogs(): Promise<PredictionLog__Output[]> {
  const logs: PredictionLog__Output[] = [];
  await readStreamRange(ctx.nc, STREAMS.predictions.name, SUBJECTS.predictionsOf(MODEL), 1, (m) => logs.push(decodePredictionLog(m.data)));
  return logs;
}

test.before(async (t) => {
  t.timeout(300_000); // the credit features loaded and materialized up to now (8–40 s each) and the whole mesh, on a loaded machine
  ctx = await startCtx();
  const root = projectRoot();
  dataDir = join(ctx.tmp, 'data');
  await mkdir(join(dataDir, 'examples/credit'), { recursive: true });
  await cp(join(root, 'examples/credit/data'), join(dataDir, 'examples/credit/data'), { recursive: true });
  location = await freshLocation('sqlite');
  features = await startFeatures(location, { overrides: { dataDir } });
  await loadCreditFeatures(features.service.address, () => {}, 'client');
  // The example materializes up to its events' end; the windows that empty after it are
  // materialized up to now, so the store's history at the predictions' time is complete (a later
  // Materialize writes the value in effect at its start, which must not change that history).
  const loader = new FeaturesClient(features.service.address);
  for (const ref of FEATURE_REFS) await loader.materialize({ feature: ref, start_ms: Date.parse(EVENTS_TO), end_ms: Date.now() }, { timeoutMs: 600_000 });
  loader.close();
  preprocess = await startPreprocess({ artifacts: join(root, 'examples/pipelines') });
  inference = await startInference({ models: [MODEL], overrides: { natsUrl: ctx.nats.url, spoolDir: join(ctx.tmp, 'spool') } });
  deploymentsDir = join(ctx.tmp, 'deployments');
  await mkdir(deploymentsDir);
  const example = await readFile(join(root, 'examples/deployments/credit.yaml'), 'utf8');
  const noCache = example.replace(/cache:\n {2}enabled: true/, 'cache:\n  enabled: false');
  await writeFile(join(deploymentsDir, 'credit.yaml'), noCache.replace('log_parameters: [applicant_id, channel]', `log_parameters: ${ALL_FIELDS}`));
  await writeFile(join(deploymentsDir, 'credit_thin.yaml'), noCache.replace('name: credit\n', 'name: credit_thin\n'));
  gateway = await GatewayService.create({
    env: {},
    overrides: { host: '127.0.0.1', grpcPort: 0, httpPort: 0, deploymentsDir, featuresAddress: features.service.address, preprocessAddress: preprocess.service.address, inferenceAddress: inference.service.address, reloadMs: 0 },
    logger: createLogger({ service: 'gateway-test', level: process.env['LOG_LEVEL'] ?? 'warn' }),
  });
  client = new GatewayClient(gateway.address, { retry: false });
  const list = await client.listDeployments();
  if (list.deployments.length !== 2) throw new Error(`the gateway refused a deployment: ${JSON.stringify(list.refused)}`);

  // Predictions: 8 as of their applications, one of 3 rows, 3 now, an unknown applicant, 2 through credit_thin.
  const apps = (await readApplications()).filter((_, i) => i % 150 === 7);
  const labels = new Map<string, string>();
  for await (const { row } of readCsvObjects(join(root, 'examples/credit/data/labels.csv'))) labels.set(row['application_id'] as string, row['defaulted'] === '1' ? 'defaulted' : 'repaid');
  const predict = async (deployment: Predicted['deployment'], rows: Application[], asOfMs: number, fields = rows.map(gatewayFields)): Promise<void> => {
    const requestId = `pit-${randomUUID()}`;
    const res = await client.predict({ deployment, rows: fields.map((f) => ({ fields: f })), as_of_ms: String(asOfMs) }, { requestId });
    if (res.predicted_rows !== rows.length) throw new Error(`predicted ${res.predicted_rows} of ${rows.length}: ${JSON.stringify(res.rows)}`);
    predicted.push({ requestId, deployment, apps: rows });
    if (rows.length === 1) await publishFeedback(ctx.js, MODEL, { request_id: requestId, label: labels.get(rows[0]?.application_id ?? '') ?? 'repaid' });
    else await publishFeedback(ctx.js, MODEL, { request_id: requestId, labels: rows.map((a) => labels.get(a.application_id) ?? 'repaid') });
  };
  for (const a of apps.slice(0, 8)) await predict('credit', [a], a.timeMs);
  const three = apps.slice(8, 11);
  await predict('credit', three, Math.max(...three.map((a) => a.timeMs)));
  for (const a of apps.slice(11, 14)) await predict('credit', [a], 0);
  const ghost = { ...(apps[14] as Application), user_id: 'nobody-999' };
  await predict('credit', [ghost], ghost.timeMs);
  for (const a of apps.slice(15, 17)) await predict('credit_thin', [a], a.timeMs);

  // Every log stored.
  const deadline = Date.now() + 30_000;
  let logs: PredictionLog__Output[] = [];
  while ((logs = await readLogs()).length < predicted.length) {
    if (Date.now() > deadline) throw new Error(`only ${logs.length} of ${predicted.length} prediction logs arrived`);
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const p of predicted) p.log = logs.find((l) => l.request_id === p.requestId);

  // Logs without inputs (copies of two credit rows and one credit_thin row), and one of a deployment that does not exist.
  const publish = async (log: PredictionLog__Output, patch: { omit?: boolean; deployment?: string }, label: string): Promise<string> => {
    const id = `pit-copy-${randomUUID()}`;
    const params = { ...log.parameters, ...(patch.deployment ? { mlmesh_deployment: patch.deployment } : {}) };
    const copy = encodePredictionLog({
      meta: { event_id: randomUUID(), time_unix_ms: log.meta?.time_unix_ms ?? 0, source: 'test', producer_version: 'test' },
      request_id: id,
      model: MODEL,
      version: log.version,
      inputs: patch.omit ? [] : log.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, raw: Buffer.from(t.raw) })),
      outputs: [],
      parameters: params,
      inputs_omitted: patch.omit ?? false,
    });
    await ctx.js.publish(SUBJECTS.prediction(MODEL, log.version), copy);
    await publishFeedback(ctx.js, MODEL, { request_id: id, label });
    return id;
  };
  for (const p of [predicted[0], predicted[1], predicted[predicted.length - 1]] as Predicted[]) omitted.set(await publish(p.log as PredictionLog__Output, { omit: true }, 'repaid'), p.requestId);
  await publish(predicted[2]?.log as PredictionLog__Output, { deployment: 'ghost@1' }, 'repaid');

  // Newer values: a transaction for every real user after the predictions, materialized.
  const tsS = Math.ceil(Date.now() / 1000) + 2;
  const users = [...new Set(predicted.flatMap((p) => p.apps.map((a) => a.user_id)).filter((u) => u !== 'nobody-999'))];
  users.forEach((u, i) => newerBalance.set(u, 98_765.25 + i));
  await appendFile(join(dataDir, 'examples/credit/data/transactions.csv'), users.map((u) => `${u},${tsS},12.5,${newerBalance.get(u)}\n`).join(''));
  const fc = new FeaturesClient(features.service.address);
  for (const ref of ['last_balance@1', 'avg_bank_bal@2']) await fc.materialize({ feature: ref, start_ms: tsS * 1000, end_ms: tsS * 1000 + 1000 }, { timeoutMs: 600_000 });
  fc.close();

  source = {
    features: new FeaturesClient(features.service.address),
    featuresAddress: features.service.address,
    preprocess: new PreprocessClient(preprocess.service.address),
    preprocessAddress: preprocess.service.address,
    deploymentsDir,
    callTimeoutMs: 30_000,
  };
  built = await buildSnapshot(snapshotOptions());
});

test.after.always(async () => {
  source?.features.close();
  source?.preprocess.close();
  client?.close();
  await gateway?.drain();
  await inference?.stop();
  await preprocess?.stop();
  await features?.stop();
  await location?.cleanup();
  await ctx?.nc.close();
  await ctx?.nats.stop();
  if (ctx) await rm(ctx.tmp, { recursive: true, force: true });
});

/** The CSV's rows as objects. */
async function csvRows(): Promise<Record<string, string>[]> {
  const p = built.summary.point_in_time;
  return parseCsv<Record<string, string>>(await readFile(p?.path ?? '', 'utf8'), { columns: true });
}

/** A historical value as the CSV writes it. */
function cellOf(v: FeatureValue__Output | undefined): string {
  if (v?.status !== 'PRESENT' || !v.value?.kind) return '';
  const x = v.value;
  if (x.kind === 'bool_value') return x.bool_value ? '1' : '0';
  return String(x[x.kind as 'float_value' | 'int64_value' | 'string_value']);
}

test.serial('point in time - the rows are GetHistoricalFeatures at the time the gateway read them, not the newer values', async (t) => {
  const rows = await csvRows();
  const refs = (built.summary.point_in_time?.feature_versions ?? []).slice();
  t.deepEqual(refs, ['avg_bank_bal@2', 'last_balance@1', 'txn_count_30d@1', 'overdrafts_90d@1', 'num_referrals@1', 'read_faq@1']);
  const fc = new FeaturesClient(features.service.address);
  t.teardown(() => fc.close());
  let features0: string[] = [];
  const hist: FeatureValue__Output[][] = [];
  for await (const m of fc.getHistoricalFeatures({ feature_service: FEATURE_SERVICE, rows: rows.map((r) => ({ entity_id: r['applicant_id'] ?? '', time_ms: r['time_ms'] ?? '0' })) })) {
    if (m.features.length > 0) features0 = m.features;
    for (const hr of m.rows) hist[hr.row_index] = hr.values;
  }
  t.deepEqual(features0, refs);
  const online = await fc.getOnlineFeatures({ feature_service: FEATURE_SERVICE, entity_ids: [...newerBalance.keys()] });
  const onlineBalance = online.columns[online.features.indexOf('last_balance@1')];
  let comparedNewer = 0;
  for (const [i, r] of rows.entries()) {
    t.deepEqual(refs.map((ref) => r[ref]), refs.map((_, j) => cellOf(hist[i]?.[j])), `row ${i} (${r['applicant_id']} at ${r['time']})`);
    const newer = newerBalance.get(r['applicant_id'] ?? '');
    if (newer === undefined) continue;
    // The store has the newer value now (online), and the row does not.
    const k = online.entity_ids.indexOf(r['applicant_id'] ?? '');
    t.is(onlineBalance?.values[k]?.float_value, newer);
    t.not(r['last_balance@1'], String(newer));
    comparedNewer++;
  }
  t.true(comparedNewer >= 18);
  // The time is the gateway's as_of, or (without one) the time it read the features.
  const byId = new Map(predicted.map((p) => [p.requestId, p]));
  for (const r of rows) {
    const p = byId.get(omitted.get(r['request_id'] ?? '') ?? r['request_id'] ?? '');
    t.truthy(p, `row of request ${r['request_id']}`);
    t.is(r['time_ms'], p?.log?.parameters['mlmesh_as_of_ms']);
  }
  for (const p of predicted.slice(0, 8)) t.is(p.log?.parameters['mlmesh_as_of_ms'], String((p.apps[0] as Application).timeMs), 'the request\'s as_of');
  const now = rows.filter((r) => predicted.slice(9, 12).some((p) => p.requestId === r['request_id']));
  t.is(now.length, 3);
  for (const r of now) t.true(Math.abs(Number(r['time_ms']) - Number(byId.get(r['request_id'] ?? '')?.log?.meta?.time_unix_ms)) < 5000);
});

test.serial('point in time - the counts are exact: asked, found, missing (an unknown entity among them), skipped, skew, rebuilt', async (t) => {
  const p = built.summary.point_in_time;
  const rows = await csvRows();
  // 8 + 3 + 3 + 1 credit rows, 2 credit_thin, 3 copies without inputs; the ghost deployment's row is not asked for.
  t.is(Number(p?.rows_asked), 20);
  t.is(Number(p?.rows), 20);
  t.is(rows.length, 20);
  t.deepEqual(p?.rows_skipped, { deployment_unknown: 1 });
  const missing = rows.filter((r) => r['missing'] !== '').length;
  t.is(Number(p?.rows_missing_features), missing);
  t.is(Number(p?.rows_found), 20 - missing);
  const ghost = rows.find((r) => r['applicant_id'] === 'nobody-999');
  t.regex(ghost?.['missing'] ?? '', /avg_bank_bal@2=NOT_FOUND .*read_faq@1=NOT_FOUND/);
  // Every honest row with a logged tensor matches its rebuilt one; credit_thin did not log loan_amount & co.
  t.is(Number(p?.skew_checked), 15);
  t.is(Number(p?.skew_match), 15);
  t.is(Number(p?.skew_differ), 0);
  t.true(Number(p?.max_abs_diff ?? 1) <= 1e-5);
  t.deepEqual(p?.skew_unchecked, { request_field_not_logged: 2 });
  t.is(Number(p?.rebuilt_rows), 2);
  t.deepEqual(p?.rebuild_skipped, { request_field_not_logged: 1 });
  t.deepEqual(p?.deployments, ['credit@1', 'credit_thin@1']);
  // 21 labelled gateway rows; the credit_thin copy without inputs cannot train.
  t.is(Number(built.summary.labelled_rows), 21);
  t.is(Number(built.summary.rows_by_source?.['logged']), 20);
  t.is(built.skipped.inputs_omitted, 0);
  const m = built.loaded.manifest.point_in_time;
  t.is(m?.file.sha256, p?.sha256);
  t.is(m?.features_address, features.service.address);
  // The snapshot reads back with the CSV's hash checked.
  const again = await readDataset(built.loaded.path, built.loaded.sha256);
  t.deepEqual(again.manifest.point_in_time, m);
});

test.serial('point in time - a log without inputs enters with its rebuilt input, equal to the tensor the model saw', async (t) => {
  const rows = await csvRows();
  const rebuilt = rows.filter((r) => r['input'] === 'rebuilt');
  t.is(rebuilt.length, 2);
  const logged = built.loaded.train.source.reduce((n, s) => n + (s === SOURCE_LOGGED ? 1 : 0), 0) + built.loaded.holdout.source.reduce((n, s) => n + (s === SOURCE_LOGGED ? 1 : 0), 0);
  t.is(logged, 20);
  // Each rebuilt row of the snapshot is the original log's tensor.
  const all = [...rowsWithSource(built.loaded.train), ...rowsWithSource(built.loaded.holdout)];
  for (const r of rebuilt) {
    const original = predicted.find((p) => p.requestId === omitted.get(r['request_id'] ?? ''))?.log;
    const raw = original?.inputs[0]?.raw as Uint8Array;
    const x = new Float32Array(new Uint8Array(raw).buffer);
    t.true(all.some((row) => row.every((v, i) => Math.abs(v - (x[i] as number)) <= 1e-5)), `rebuilt row of ${r['request_id']} is in the snapshot`);
  }
  t.is(rows.filter((r) => r['input'] === 'omitted').length, 1);
});

function rowsWithSource(part: { rows: number; x: Float32Array; source: Uint8Array }): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < part.rows; i++) if (part.source[i] === SOURCE_LOGGED) out.push([...part.x.subarray(i * 25, (i + 1) * 25)]);
  return out;
}

test.serial('point in time - the same inputs give the same snapshot (content-addressed, CSV included)', async (t) => {
  const again = await buildSnapshot(snapshotOptions());
  t.is(again.loaded.sha256, built.loaded.sha256);
  t.is(again.summary.point_in_time?.sha256, built.summary.point_in_time?.sha256);
});

test.serial('point in time - a changed point_in_time.csv is refused when the snapshot is read', async (t) => {
  const copy = join(ctx.tmp, 'tampered');
  await cp(dirname(built.loaded.path), copy, { recursive: true });
  await appendFile(join(copy, 'point_in_time.csv'), 'forged,0\n');
  const e = await t.throwsAsync(readDataset(join(copy, 'dataset.json'), built.loaded.sha256));
  t.regex(e?.message ?? '', /point_in_time\.csv: SHA-256 mismatch/);
});

test.serial('point in time - a feature service that does not answer fails the build, naming it', async (t) => {
  const bad = new FeaturesClient('127.0.0.1:1', { retry: false });
  t.teardown(() => bad.close());
  const e = await t.throwsAsync(buildSnapshot(snapshotOptions({ rootDir: join(ctx.tmp, 'bad', 'datasets'), pointInTime: { ...source, features: bad, featuresAddress: '127.0.0.1:1', callTimeoutMs: 3000 } })));
  t.regex(e?.message ?? '', /feature service at 127\.0\.0\.1:1/);
});

test.serial('point in time - without a point-in-time source, gateway rows are logged rows as before', async (t) => {
  const plain = await buildSnapshot(snapshotOptions({ rootDir: join(ctx.tmp, 'plain', 'datasets'), pointInTime: undefined }));
  t.is(plain.summary.point_in_time, undefined);
  t.is(plain.loaded.manifest.point_in_time, undefined);
  t.is(plain.skipped.inputs_omitted, 3);
  t.is(Number(plain.summary.rows_by_source?.['logged']), 18);
});


/** Runs a RetrainerService in this process on the inference fixture's repository (credit_risk with a retraining section) until `done`. */
async function runRetrainer(featuresAddress: string, workDir: string): Promise<Run__Output> {
  const service = await RetrainerService.create({
    env: {},
    overrides: {
      host: '127.0.0.1',
      grpcPort: 0,
      httpPort: 0,
      natsUrl: ctx.nats.url,
      modelRepository: inference.repo,
      workDir,
      inferenceAddresses: [inference.service.address],
      rolloutAddress: '127.0.0.1:1',
      featuresAddress,
      preprocessAddress: preprocess.service.address,
      deploymentsDir,
      callTimeoutMs: 5000,
    },
    logger: createLogger({ service: 'retrainer-test', level: process.env['LOG_LEVEL'] ?? 'error' }),
  });
  const rc = new RetrainerClient(service.address);
  try {
    await waitFor(() => service.engine.natsUp, 30_000, 'the retrainer connected to NATS');
    const { run } = await rc.retrain({ model: MODEL, reason: 'point-in-time test', actor: 'test' });
    let last: Run__Output | undefined;
    await waitFor(async () => (last = (await rc.getRun({ run_id: run?.id ?? '' })).run ?? undefined)?.state !== 'running', 60_000, 'the run ended');
    return last as Run__Output;
  } finally {
    rc.close();
    await service.drain();
  }
}

test.serial('point in time - through the retrainer: a dead feature service fails the run at the dataset stage, naming it; a live one puts the counts in GetRun', async (t) => {
  const cfgPath = join(inference.repo, MODEL, 'config.json');
  const cfg = JSON.parse(await readFile(cfgPath, 'utf8')) as Record<string, unknown>;
  // A trainer that fails: this test is about the dataset stage.
  cfg['retraining'] = { command: ['/bin/false', '{dataset}', '{output}'], classes: CLASSES, holdout_fraction: 0.3, seed: 3 };
  await writeFile(cfgPath, JSON.stringify(cfg, null, 2));
  const dead = await runRetrainer('127.0.0.1:1', join(ctx.tmp, 'work-dead'));
  t.is(dead.state, 'failed');
  t.is(dead.stages.find((st) => st.name === 'dataset')?.state, 'failed');
  t.regex(dead.reason, /feature service at 127\.0\.0\.1:1/);
  t.falsy(dead.dataset?.sha256);
  const live = await runRetrainer(features.service.address, join(ctx.tmp, 'work-live'));
  t.is(live.state, 'failed');
  t.is(live.stages.find((st) => st.name === 'dataset')?.state, 'done');
  t.regex(live.stages.find((st) => st.name === 'dataset')?.detail ?? '', /point-in-time rows \d+ found \+ \d+ with missing features of 20 asked, skew 15 match \/ 0 differ, 2 inputs rebuilt/);
  const p = live.dataset?.point_in_time;
  t.is(Number(p?.rows_asked), 20);
  t.is(Number(p?.skew_match), 15);
  t.is(Number(p?.rebuilt_rows), 2);
  t.is(p?.sha256, built.summary.point_in_time?.sha256);
  t.deepEqual(p?.feature_versions, built.summary.point_in_time?.feature_versions);
  t.is(p?.features_address, features.service.address);
});

// Last (serial, in file order): it changes the store's history.
test.serial('point in time - late data that rewrote the history before a prediction is counted as skew, for that row only', async (t) => {
  const p = predicted[9] as Predicted;
  const user = p.apps[0]?.user_id ?? '';
  const t0 = Number(p.log?.parameters['mlmesh_as_of_ms']);
  const lateS = Math.floor(t0 / 1000) - 5;
  await appendFile(join(dataDir, 'examples/credit/data/transactions.csv'), `${user},${lateS},1.5,55555.5\n`);
  const fc = new FeaturesClient(features.service.address);
  t.teardown(() => fc.close());
  for (const ref of ['last_balance@1', 'avg_bank_bal@2']) await fc.materialize({ feature: ref, start_ms: lateS * 1000, end_ms: lateS * 1000 + 1000 }, { timeoutMs: 600_000 });
  const late = await buildSnapshot(snapshotOptions({ rootDir: join(ctx.tmp, 'late', 'datasets') }));
  const s = late.summary.point_in_time;
  t.is(Number(s?.skew_checked), 15);
  t.is(Number(s?.skew_match), 14);
  t.is(Number(s?.skew_differ), 1);
  t.true(Number(s?.max_abs_diff) > 1e-5);
  const rows = parseCsv<Record<string, string>>(await readFile(s?.path ?? '', 'utf8'), { columns: true });
  const differ = rows.filter((r) => r['skew'] === 'differ');
  t.deepEqual(differ.map((r) => [r['request_id'], r['last_balance@1']]), [[p.requestId, '55555.5']]);
  t.not(late.loaded.sha256, built.loaded.sha256);
});
