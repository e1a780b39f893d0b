/**
 * The gateway's test mesh, all real and in-process on 127.0.0.1:0: a feature service (private
 * SQLite) with push features of applicants, a preprocess service with a pipeline fitted on an
 * inline CSV, an inference service serving `gw_risk` (test/fixtures/gateway/models, version 1;
 * version 2 is copied in by the version-switch test), and a gateway on a private deployments
 * folder. `risk(x)` computes the model's answer by hand, so tests check numbers, not just shapes.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../shared/config/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { FeaturesClient, GatewayClient, PreprocessClient as SharedPreprocessClient } from '../../shared/client/index.js';
import type { ClientOptions } from '../../shared/client/index.js';
import type { HostConfig } from '../../shared/host/index.js';
import { GatewayService } from '../../services/gateway/index.js';
import type { GatewayConfig } from '../../services/gateway/index.js';
import { freshLocation, startFeatures } from './features.js';
import type { FeaturesFixture, StoreLocation } from './features.js';
import { startInference } from './inference.js';
import type { InferenceFixture } from './inference.js';
import type { InferenceConfig } from '../../services/inference/index.js';
import { startPreprocess } from './preprocess.js';
import type { PreprocessFixture } from './preprocess.js';

/** One day in ms. */
export const DAY = 24 * 3600 * 1000;

/** The pipeline spec: balance (a feature, required), amount and channel (request fields). */
export const PIPELINE_SPEC = `
name: gw_risk_features
steps:
  - { type: one_hot, columns: [channel], handle_unknown: error }
  - { type: standard_scale, columns: [balance, amount] }
`;

/** Training rows of the pipeline: balance, amount, channel. */
export function trainingCsv(): string {
  const channels = ['web', 'app', 'branch'];
  const lines = ['balance,amount,channel'];
  for (let i = 0; i < 60; i++) lines.push(`${1000 + ((i * 137) % 900)},${200 + ((i * 53) % 800)},${channels[i % 3]}`);
  return `${lines.join('\n')}\n`;
}

/** The weights of gw_risk's versions (tools/make_gateway_fixtures.py). */
const WEIGHTS: Record<string, { w: number[][]; b: number[] }> = {
  '1': { w: [[0.8, -0.8], [-0.5, 0.5], [0.3, -0.1], [0.0, 0.2], [-0.2, 0.1]], b: [0.1, -0.1] },
  '2': { w: [[-0.6, 0.6], [0.9, -0.9], [0.1, 0.1], [0.4, -0.4], [0.0, 0.3]], b: [-0.2, 0.2] },
};

/** gw_risk's probabilities for one model-ready row (float32 like the model, to ~1e-6). */
export function risk(version: string, x: readonly number[]): number[] {
  const { w, b } = WEIGHTS[version] as { w: number[][]; b: number[] };
  const logits = [0, 1].map((j) => x.reduce((s, xi, i) => s + Math.fround(xi) * Math.fround((w[i] as number[])[j] as number), Math.fround(b[j] as number)));
  const m = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - m));
  const s = e[0]! + e[1]!;
  return e.map((v) => v / s);
}

/** A deployment file of the test mesh: `extra` is YAML appended at the end (cache:, timeouts_ms:…), `pipeline` its pipeline ref. */
export function deploymentYaml(name: string, version: string | number, extra = '', pipeline = 'gw_risk_features@1'): string {
  return `format: mlmesh.gateway.deployment/v1
name: ${name}
version: ${version}
model: { name: gw_risk }
pipeline: ${pipeline}
features:
  - entity: applicant_id
    refs: [balance@1]
request_fields:
  - { name: amount, type: double }
  - { name: channel, type: string }
output:
  kind: binary
  labels: [repaid, default]
  threshold: 0.5
${extra}`;
}

/** The running test mesh. */
export interface GatewayMesh {
  features: FeaturesFixture;
  location: StoreLocation;
  preprocess: PreprocessFixture;
  inference: InferenceFixture;
  gateway: GatewayService;
  client: GatewayClient;
  /** The deployments folder. */
  dir: string;
  /** The time the features were written relative to (epoch ms). */
  writtenAt: number;
  /** The pipeline's fitted means and scales of balance and amount (to compute tensors by hand). */
  scale: { balance: [number, number]; amount: [number, number] };
  /** Writes `<name>.yaml` into the deployments folder. */
  write(name: string, text: string): Promise<void>;
  /** Starts a second gateway on this mesh (other options), stopped with the mesh. */
  extraGateway(overrides: Partial<GatewayConfig>): Promise<{ gateway: GatewayService; client: GatewayClient }>;
  stop(): Promise<void>;
}

/** Applicants: a1 fresh, a2 with a value older than balance's max age (1 day), a3 null, none for a4. */
export const APPLICANTS = { fresh: 'a1', old: 'a2', nullValue: 'a3', unknown: 'a4', fresh2: 'a5' } as const;

/**
 * Starts the test mesh. `gateway` overrides gateway options. `host` sets host options (TLS,
 * authorization) of all four services, and `client` the options of the clients the helper sets
 * the mesh up with and of `client` (TLS files, a token).
 */
export async function startGatewayMesh(
  opts: { gateway?: Partial<GatewayConfig>; inference?: Partial<InferenceConfig>; deployments?: Record<string, string>; host?: Partial<HostConfig>; client?: ClientOptions } = {},
): Promise<GatewayMesh> {
  const host = opts.host ?? {};
  const location = await freshLocation('sqlite');
  const features = await startFeatures(location, { overrides: host });
  const preprocess = await startPreprocess({ overrides: host });
  const repo = await mkdtemp(join(tmpdir(), 'mlmesh-gw-repo-'));
  const dir0 = await mkdtemp(join(tmpdir(), 'mlmesh-gw-var-'));
  await mkdir(join(repo, 'gw_risk'), { recursive: true });
  await cp(join(projectRoot(), 'test/fixtures/gateway/models/gw_risk/config.json'), join(repo, 'gw_risk/config.json'));
  await cp(join(projectRoot(), 'test/fixtures/gateway/models/gw_risk/1'), join(repo, 'gw_risk/1'), { recursive: true });
  const inference = await startInference({ repo, ...(opts.inference || opts.host ? { overrides: { ...host, ...opts.inference, spoolDir: join(dir0, 'spool') } } : {}) });
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-deployments-'));
  const stops: (() => Promise<void>)[] = [];

  const fc = new FeaturesClient(features.service.address, opts.client);
  await fc.registerFeature({ definition: { name: 'balance', version: 1, entity: 'applicant', value_type: 'FLOAT', max_age_ms: DAY, source: { push: {} } } });
  await fc.registerFeature({ definition: { name: 'tenure', version: 1, entity: 'applicant', value_type: 'INT64', max_age_ms: 0, source: { push: {} } } });
  await fc.registerFeatureService({ service: { name: 'gw_applicant', features: ['balance@1'] } });
  const now = Date.now();
  await fc.writeFeatures({
    writes: [
      { feature: 'balance@1', entity_id: APPLICANTS.fresh, event_time_ms: now - 60_000, value: { float_value: 1500 } },
      { feature: 'balance@1', entity_id: APPLICANTS.fresh2, event_time_ms: now - 60_000, value: { float_value: 1234.5 } },
      { feature: 'balance@1', entity_id: APPLICANTS.old, event_time_ms: now - 10 * DAY, value: { float_value: 1700 } },
      { feature: 'balance@1', entity_id: APPLICANTS.nullValue, event_time_ms: now - 60_000 },
      { feature: 'tenure@1', entity_id: APPLICANTS.fresh, event_time_ms: now - 60_000, value: { int64_value: 7 } },
    ],
  });
  fc.close();
  using pc = new SharedPreprocessClient(preprocess.service.address, opts.client);
  const fit = await pc.fit({ name: 'gw_risk_features', version: '1', spec: PIPELINE_SPEC, csv: Buffer.from(trainingCsv()) });
  const artifact = JSON.parse((await pc.getPipeline({ pipeline: { sha256: fit.pipeline?.sha256 ?? '' } })).artifact_json) as { steps: { type: string; offset?: Record<string, number>; scale?: Record<string, number> }[] };
  const sc = artifact.steps.find((s) => s.type === 'standard_scale') as { offset: Record<string, number>; scale: Record<string, number> };
  const scale = { balance: [sc.offset['balance'] as number, sc.scale['balance'] as number] as [number, number], amount: [sc.offset['amount'] as number, sc.scale['amount'] as number] as [number, number] };

  for (const [name, text] of Object.entries(opts.deployments ?? { risk: deploymentYaml('risk', 1) })) await writeFile(join(dir, `${name}.yaml`), text);

  const start = async (overrides: Partial<GatewayConfig>): Promise<{ gateway: GatewayService; client: GatewayClient }> => {
    const gateway = await GatewayService.create({
      env: {},
      overrides: {
        host: '127.0.0.1',
        grpcPort: 0,
        httpPort: 0,
        deploymentsDir: dir,
        featuresAddress: features.service.address,
        preprocessAddress: preprocess.service.address,
        inferenceAddress: inference.service.address,
        reloadMs: 0,
        ...host,
        ...overrides,
      },
      logger: createLogger({ service: 'gateway-test', level: process.env['LOG_LEVEL'] ?? 'warn' }),
    });
    const client = new GatewayClient(gateway.address, { retry: false, ...opts.client });
    stops.push(async () => {
      client.close();
      await gateway.drain();
    });
    return { gateway, client };
  };
  const main = await start(opts.gateway ?? {});
  const mesh: GatewayMesh = {
    features,
    location,
    preprocess,
    inference,
    gateway: main.gateway,
    client: main.client,
    dir,
    writtenAt: now,
    scale,
    write: (name, text) => writeFile(join(dir, `${name}.yaml`), text),
    extraGateway: start,
    async stop() {
      for (const s of stops.reverse()) await s();
      await inference.stop();
      await rm(repo, { recursive: true, force: true });
      await rm(dir0, { recursive: true, force: true });
      await preprocess.stop();
      // A test may have restarted the feature service: stop the one running now.
      await mesh.features.stop();
      await location.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return mesh;
}

/** The model-ready row of (balance, amount, channel) by the fitted pipeline: [balance, amount, app, branch, web] or the order it has. */
export function modelRow(mesh: GatewayMesh, order: readonly string[], balance: number, amount: number, channel: string): number[] {
  const v: Record<string, number> = {
    balance: (balance - mesh.scale.balance[0]) / mesh.scale.balance[1],
    amount: (amount - mesh.scale.amount[0]) / mesh.scale.amount[1],
    channel_app: channel === 'app' ? 1 : 0,
    channel_branch: channel === 'branch' ? 1 : 0,
    channel_web: channel === 'web' ? 1 : 0,
  };
  return order.map((n) => v[n] as number);
}
