/**
 * The credit example's pieces for tests: its committed files, the applications and their
 * request-time fields, a mesh of the services it needs (the repository's own mlmesh.yaml, so
 * examples/pipelines, examples/models and examples/deployments are what it
 * serves) with the features loaded as the demo loads them, and the training-time path
 * (historical features → the fitted pipeline → the ONNX model in onnxruntime-node).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import * as ort from 'onnxruntime-node';
import { FeaturesClient, GatewayClient } from '../../shared/client/index.js';
import type { PreprocessRecord } from '../../shared/client/index.js';
import { projectRoot } from '../../shared/config/index.js';
import type { Value__Output as PreprocessValue } from '../../shared/generated/mlmesh/preprocess/v1/Value.js';
import type { Value as GatewayValue } from '../../shared/generated/mlmesh/gateway/v1/Value.js';
import type { FeatureValue__Output } from '../../shared/generated/mlmesh/features/v1/FeatureValue.js';
import { readCsvObjects } from '../../services/features/index.js';
import { CompiledPipeline, parseArtifact } from '../../services/preprocess/index.js';
import { LogStream, Mesh, planMesh } from '../../tools/mesh/index.js';
import type { ServiceRecord } from '../../tools/mesh/index.js';
import { DEPLOYMENT, FEATURE_SERVICE, MODEL, MODEL_REPOSITORY, PIPELINE, PIPELINE_STORE, PIPELINE_VERSION, loadCreditFeatures } from '../../examples/credit/steps.js';

export const root = projectRoot();
export const MODEL_DIR = join(root, MODEL_REPOSITORY, MODEL, '1');

/** One application of examples/credit/data/applications.csv. */
export interface Application {
  application_id: string;
  user_id: string;
  ts: string;
  timeMs: number;
  loan_amount: number;
  income: number | undefined;
  employment: string | undefined;
  channel: string;
  term_months: number;
}

/** Every application, in file order. */
export async function readApplications(): Promise<Application[]> {
  const apps: Application[] = [];
  for await (const { row } of readCsvObjects(join(root, 'examples/credit/data/applications.csv'))) {
    apps.push({
      application_id: row['application_id'] as string,
      user_id: row['user_id'] as string,
      ts: row['ts'] as string,
      timeMs: Date.parse(row['ts'] as string),
      loan_amount: Number(row['loan_amount']),
      income: row['income'] ? Number(row['income']) : undefined,
      employment: row['employment'] || undefined,
      channel: row['channel'] as string,
      term_months: Number(row['term_months']),
    });
  }
  return apps;
}

/** The committed pipeline artifact credit_risk@1 (its hash checked by parseArtifact). */
export async function creditArtifact(): Promise<{ path: string; pipeline: CompiledPipeline }> {
  const sha = (await readFile(join(root, PIPELINE_STORE, 'refs', PIPELINE, PIPELINE_VERSION), 'utf8')).trim();
  const path = join(root, PIPELINE_STORE, 'objects', `${sha}.json`);
  return { path, pipeline: new CompiledPipeline(parseArtifact(await readFile(path, 'utf8'), path, sha)) };
}

/** The request-time fields of an application as pipeline record fields (absent when missing). */
export function requestFields(a: Application): Record<string, PreprocessValue> {
  const f: Record<string, PreprocessValue> = {
    loan_amount: { double_value: a.loan_amount, kind: 'double_value' },
    term_months: { int64_value: String(a.term_months), kind: 'int64_value' },
    channel: { string_value: a.channel, kind: 'string_value' },
  };
  if (a.income !== undefined) f['income'] = { double_value: a.income, kind: 'double_value' };
  if (a.employment !== undefined) f['employment'] = { string_value: a.employment, kind: 'string_value' };
  return f;
}

/** An application as a gateway row of deployment `credit`: the entity field and the request-time fields. */
export function gatewayFields(a: Application): Record<string, GatewayValue> {
  const f: Record<string, GatewayValue> = {
    applicant_id: { string_value: a.user_id },
    loan_amount: { double_value: a.loan_amount },
    term_months: { int64_value: String(a.term_months) },
    channel: { string_value: a.channel },
  };
  if (a.income !== undefined) f['income'] = { double_value: a.income };
  if (a.employment !== undefined) f['employment'] = { string_value: a.employment };
  return f;
}

/**
 * A feature value as the pipeline takes it: PRESENT values by type (FLOAT as a double, INT64,
 * BOOL), anything else (NOT_FOUND, NULL_VALUE, OUTSIDE_MAX_AGE) as null — the deployment's
 * `on_missing: pipeline`.
 */
export function featureField(v: Pick<FeatureValue__Output, 'value' | 'status'> | undefined): PreprocessValue {
  const value = v?.value;
  if (v?.status !== 'PRESENT' || !value?.kind) return { null_value: 'NULL_VALUE', kind: 'null_value' };
  switch (value.kind) {
    case 'float_value':
      return { double_value: value.float_value, kind: 'double_value' };
    case 'int64_value':
      return { int64_value: String(value.int64_value), kind: 'int64_value' };
    case 'bool_value':
      return { bool_value: value.bool_value, kind: 'bool_value' };
    case 'string_value':
      return { string_value: value.string_value, kind: 'string_value' };
    default:
      throw new Error(`credit features hold no ${value.kind}`);
  }
}

/** The pipeline column a feature ref fills: its name without the version (the deployment's default). */
export const columnOf = (ref: string): string => ref.replace(/@\d+$/, '');

/**
 * The training-time path for `apps`: GetHistoricalFeatures of the feature service at each
 * application's time, the records the pipeline was fitted on, the committed pipeline, the
 * committed model in onnxruntime-node. Returns the rows' probabilities [n, 2] (row i of `apps`
 * at 2i, 2i+1) and the records.
 */
export async function offlinePath(featuresAddress: string, apps: readonly Application[]): Promise<{ probabilities: Float32Array; records: PreprocessRecord[] }> {
  const client = new FeaturesClient(featuresAddress);
  const records: PreprocessRecord[] = apps.map((a) => ({ fields: requestFields(a) }));
  try {
    let features: string[] = [];
    for await (const msg of client.getHistoricalFeatures({ feature_service: FEATURE_SERVICE, rows: apps.map((a) => ({ entity_id: a.user_id, time_ms: a.timeMs })) })) {
      if (msg.features.length > 0) features = msg.features;
      for (const r of msg.rows) features.forEach((ref, j) => ((records[r.row_index] as { fields: Record<string, PreprocessValue> }).fields[columnOf(ref)] = featureField(r.values[j])));
    }
  } finally {
    client.close();
  }
  const { pipeline } = await creditArtifact();
  const t = pipeline.transformRecords(records as Parameters<CompiledPipeline['transformRecords']>[0]);
  if (t.errors.length > 0) throw new Error(`the pipeline refused rows: ${JSON.stringify(t.errors.slice(0, 3))}`);
  return { probabilities: await runModel(t.tensor, t.rows, t.features), records };
}

/** The committed ONNX model on a [rows, features] float32 tensor, in onnxruntime-node. */
export async function runModel(x: Float32Array, rows: number, features: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(join(MODEL_DIR, 'model.onnx'));
  try {
    const out = await session.run({ features: new ort.Tensor('float32', x, [rows, features]) });
    return out['probabilities']?.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** A running mesh of the repository's config with the credit features loaded. */
export interface CreditMesh {
  mesh: Mesh;
  /** gRPC address of a service of the mesh. */
  address(service: string): string;
  /** The gateway's HTTP base URL (`http://127.0.0.1:<port>`). */
  gatewayHttp: string;
  record(service: string): ServiceRecord;
  stop(): Promise<void>;
}

/**
 * Starts features, preprocess, inference and the gateway from the repository's mlmesh.yaml (so
 * examples/pipelines, examples/models and examples/deployments are what they serve) in a
 * temporary var folder, on free ports, without NATS, loads the credit features (`mlmesh features
 * apply` + `materialize`, as the demo does) and waits until the gateway serves `credit` (it
 * refuses the deployment until the feature service is registered, and retries every reloadMs).
 */
export async function startCreditMesh(): Promise<CreditMesh> {
  const varDir = await mkdtemp(join(tmpdir(), 'mlmesh-credit-'));
  const only = ['features', 'preprocess', 'inference', 'gateway'];
  const overrides: Record<string, Record<string, unknown>> = { mesh: { natsUrl: '' }, inference: { startupModels: [MODEL] }, gateway: { reloadMs: 200 } };
  for (const s of only) overrides[s] = { ...overrides[s], grpcPort: 0, httpPort: 0 };
  const plan = await planMesh({ configFile: join(root, 'mlmesh.yaml'), only, varDir, overrides, env: { ...process.env, NATS_SERVER_BIN: '/nonexistent/nats-server', PATH: '/usr/bin:/bin' } });
  const mesh = Mesh.create(plan, new LogStream({ out: new PassThrough().resume(), servicesOut: new PassThrough().resume(), format: 'json' }));
  const stop = async (): Promise<void> => {
    await mesh.drain();
    await rm(varDir, { recursive: true, force: true });
  };
  try {
    await mesh.up({ ...process.env, NATS_SERVER_BIN: '/nonexistent/nats-server' });
    const record = (s: string): ServiceRecord => {
      const r = mesh.records().find((m) => m.name === s);
      if (!r) throw new Error(`the mesh runs no ${s}`);
      return r;
    };
    const address = (s: string): string => record(s).grpc ?? '';
    await loadCreditFeatures(address('features'));
    await waitForDeployment(address('gateway'), DEPLOYMENT);
    return { mesh, address, record, gatewayHttp: record('gateway').http ?? '', stop };
  } catch (e: unknown) {
    await stop();
    throw e;
  }
}

/** Waits until the gateway has loaded `name` (or says why it refused it). */
async function waitForDeployment(address: string, name: string, timeoutMs = 60_000): Promise<void> {
  const client = new GatewayClient(address);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const list = await client.listDeployments();
      if (list.deployments.some((d) => d.name === name)) return;
      if (Date.now() > deadline) throw new Error(`the gateway did not load deployment ${name}: ${JSON.stringify(list.refused)}`);
      await sleep(100);
    }
  } finally {
    client.close();
  }
}
