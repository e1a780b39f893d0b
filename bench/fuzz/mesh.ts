/**
 * The mesh the fuzz suite runs against, every service real and in this process on 127.0.0.1:0:
 * a private nats-server; inference serving the example models (a private copy of
 * examples/models, prediction logs to NATS); the gateway's test mesh (feature service on a
 * private SQLite file with registered features and values, preprocess with a fitted pipeline, an
 * inference serving gw_risk, the gateway with one deployment: test/helpers/gateway.ts); the
 * monitor; the rollout service; the retrainer. Every key of SERVICES must have a target: a
 * service added to SERVICES and not started here fails the run at once.
 *
 * The retrainer gets its own copy of the repository with the `retraining` sections taken out:
 * a fuzzed Retrain naming digits_mlp would otherwise train a real model (minutes of CPU on a
 * shared box) and roll it out mid-run; with them out it answers FAILED_PRECONDITION, which is
 * what the fuzz checks (the training path has its own tests in test/retrainer).
 */
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import { SERVICES } from '../../shared/client/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { PROTOS_DIR } from '../../shared/protos/index.js';
import { RetrainerService } from '../../services/retrainer/index.js';
import { RolloutService } from '../../services/rollout/index.js';
import { APPLICANTS, startGatewayMesh } from '../../test/helpers/gateway.js';
import type { GatewayMesh } from '../../test/helpers/gateway.js';
import { copyRepository, startInference } from '../../test/helpers/inference.js';
import type { InferenceFixture } from '../../test/helpers/inference.js';
import { startMonitor } from '../../test/helpers/monitor.js';
import type { MonitorFixture } from '../../test/helpers/monitor.js';
import { NatsServer } from '../../test/helpers/nats-server.js';
import { healthStatus } from './runner.js';
import type { FuzzTarget } from './runner.js';

/** The running mesh. */
export interface FuzzMesh {
  /** One target per key of SERVICES, in its order. */
  targets: FuzzTarget[];
  /** Names the mesh knows (models, versions, features, pipelines…), for the string generators. */
  dictionary: string[];
  /** The names a field of a given name takes (see ArbitraryOptions.fieldDictionary). */
  fieldDictionary: Record<string, string[]>;
  stop(): Promise<void>;
}

/** The resolved protobufjs Root of every service in SERVICES (imports resolved from protos/). */
export function loadServiceRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    if (isAbsolute(target)) return target;
    if (existsSync(join(PROTOS_DIR, target))) return join(PROTOS_DIR, target);
    return protobuf.util.path.resolve(origin, target);
  };
  root.loadSync(Object.values(SERVICES).map((s) => join(PROTOS_DIR, s.proto)), { keepCase: true });
  root.resolveAll();
  return root;
}

/** A copy of the repository at `repo` whose config.json files have no `retraining` section. */
async function withoutRetraining(repo: string): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'mlmesh-fuzz-retrainer-repo-'));
  await cp(repo, copy, { recursive: true });
  for (const model of await readdir(copy)) {
    const file = join(copy, model, 'config.json');
    if (!existsSync(file)) continue;
    const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    delete config['retraining'];
    await writeFile(file, JSON.stringify(config, null, 2));
  }
  return copy;
}

/**
 * Starts the mesh. `only` limits it to some keys of SERVICES (the gateway's backends start
 * with the gateway either way).
 * @throws Error naming a key of SERVICES that has no target here, or a service that failed to start.
 */
export async function startFuzzMesh(only?: readonly string[]): Promise<FuzzMesh> {
  const keys = Object.keys(SERVICES) as (keyof typeof SERVICES)[];
  for (const k of only ?? []) if (!keys.includes(k as keyof typeof SERVICES)) throw new Error(`fuzz: --services names '${k}', not a service (known: ${keys.join(', ')})`);
  const want = (k: string): boolean => !only || only.includes(k);
  const stops: (() => Promise<void>)[] = [];
  const addresses: Partial<Record<keyof typeof SERVICES, string>> = {};
  const dictionary = new Set<string>(['1', '2', '0', '-1', 'input', 'output', 'FP32', 'FP16', 'FP64', 'INT64', 'INT32', 'INT8', 'UINT8', 'BOOL', 'BYTES']);
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s().catch((e: unknown) => console.error(`fuzz: stopping: ${e instanceof Error ? e.message : String(e)}`));
  };
  try {
    const nats = await NatsServer.start();
    stops.push(() => nats.dispose());
    const repo = await copyRepository();
    stops.push(() => rm(repo, { recursive: true, force: true }));
    for (const m of readdirSync(repo)) dictionary.add(m);
    const spool = await mkdtemp(join(tmpdir(), 'mlmesh-fuzz-spool-'));
    stops.push(() => rm(spool, { recursive: true, force: true }));
    let inference: InferenceFixture | undefined;
    if (want('inference') || want('rollout') || want('retrainer')) {
      inference = await startInference({ repo, overrides: { natsUrl: nats.url, spoolDir: spool } });
      stops.push(() => (inference as InferenceFixture).stop());
      addresses.inference = inference.service.address;
    }
    if (want('gateway') || want('features') || want('preprocess')) {
      const gw: GatewayMesh = await startGatewayMesh({ inference: {} });
      stops.push(() => gw.stop());
      addresses.gateway = gw.gateway.address;
      addresses.features = gw.features.service.address;
      addresses.preprocess = gw.preprocess.service.address;
      for (const w of ['risk', 'gw_risk', 'gw_risk_features', 'gw_risk_features@1', 'balance', 'balance@1', 'tenure', 'tenure@1', 'gw_applicant', 'applicant', 'applicant_id', 'amount', 'channel', 'web', ...Object.values(APPLICANTS)]) dictionary.add(w);
    }
    if (want('monitor')) {
      const monitor: MonitorFixture = await startMonitor({ natsUrl: nats.url, repo });
      stops.push(() => monitor.stop());
      addresses.monitor = `127.0.0.1:${monitor.service.grpcPort}`;
    }
    const level = process.env['LOG_LEVEL'] ?? 'warn';
    let rolloutAddress = '127.0.0.1:1';
    if (want('rollout') || want('retrainer')) {
      const rollout = await RolloutService.create({
        env: {},
        overrides: { host: '127.0.0.1', grpcPort: 0, httpPort: 0, natsUrl: nats.url, modelRepository: repo, inferenceAddresses: [(inference as InferenceFixture).service.address], inferenceMetricsUrls: [`${(inference as InferenceFixture).http}/metrics`], tickMs: 250 },
        logger: createLogger({ service: 'rollout-fuzz', level }),
      });
      stops.push(() => rollout.drain());
      rolloutAddress = rollout.address;
      addresses.rollout = rollout.address;
    }
    if (want('retrainer')) {
      const retrainRepo = await withoutRetraining(repo);
      const workDir = await mkdtemp(join(tmpdir(), 'mlmesh-fuzz-retrainer-'));
      stops.push(async () => {
        await rm(retrainRepo, { recursive: true, force: true });
        await rm(workDir, { recursive: true, force: true });
      });
      const retrainer = await RetrainerService.create({
        env: {},
        overrides: { host: '127.0.0.1', grpcPort: 0, httpPort: 0, natsUrl: nats.url, modelRepository: retrainRepo, workDir, inferenceAddresses: [(inference as InferenceFixture).service.address], rolloutAddress },
        logger: createLogger({ service: 'retrainer-fuzz', level }),
      });
      stops.push(() => retrainer.drain());
      addresses.retrainer = retrainer.address;
    }
    const targets: FuzzTarget[] = [];
    for (const k of keys) {
      if (!want(k)) continue;
      const address = addresses[k];
      if (!address) throw new Error(`fuzz: SERVICES has '${k}' (${SERVICES[k].name}) but bench/fuzz/mesh.ts does not start it: add it there`);
      targets.push({ key: k, service: SERVICES[k].name, address });
    }
    await waitServing(targets);
    const models = readdirSync(repo);
    const fieldDictionary: Record<string, string[]> = {
      model_name: [...models, 'gw_risk'],
      model: models,
      model_version: ['', '1', '2'],
      version: ['', '1', '2'],
      datatype: ['FP32', 'INT64', 'BYTES', 'FP16', 'BOOL'],
      name: ['input', 'features', 'probabilities', 'gw_risk_features', 'balance', 'gw_applicant', 'digits_mlp'],
      deployment: ['risk'],
      feature: ['balance@1', 'tenure@1'],
      features: ['balance@1', 'tenure@1'],
      refs: ['balance@1'],
      entity: ['applicant'],
      entity_id: Object.values(APPLICANTS),
      'fields.key': ['applicant_id', 'amount', 'channel', 'balance'],
      'parameters.key': ['binary_data_output', 'sequence_id', 'priority'],
    };
    return { targets, dictionary: [...dictionary], fieldDictionary, stop };
  } catch (e: unknown) {
    await stop();
    throw e;
  }
}

/** Waits (up to 60 s) until every target's health says SERVING. */
async function waitServing(targets: readonly FuzzTarget[]): Promise<void> {
  const end = Date.now() + 60_000;
  for (const t of targets) {
    while ((await healthStatus(t.address)) !== 1) {
      if (Date.now() > end) throw new Error(`fuzz: ${t.service} at ${t.address} is not SERVING after 60 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
