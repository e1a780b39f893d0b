/**
 * The mesh the chaos run drives (bench/chaos/main.ts): a private nats-server, and the whole mesh
 * started by the real supervisor (`mlmesh up`, test/helpers/mesh.ts) from a temp project folder
 * on free ports: a private copy of the credit model and digits_mlp (the spool filler's model),
 * a copy of the fitted pipelines, the credit deployment with its response cache off (a cached
 * row is answered without inference, so it would have no prediction log to account for), and
 * the gateway's inference hop through a TCP proxy (test/helpers/tcp-proxy.ts) that the slow-hop
 * fault drives. The credit example's feature definitions are registered (not materialized: the
 * deployment's `on_missing: pipeline` imputes the missing values, and the run is about the
 * hops, not the scores).
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { GatewayClient } from '../../shared/client/index.js';
import { projectRoot } from '../../shared/config/index.js';
import { DEFINITIONS, mlmesh } from '../../examples/credit/steps.js';
import { waitForDeployment } from '../../examples/credit/demo-part.js';
import { copyRepository } from '../../test/helpers/inference.js';
import { freePort, killAll, runMesh, waitUp } from '../../test/helpers/mesh.js';
import type { MeshProject, MeshRun } from '../../test/helpers/mesh.js';
import { NatsServer } from '../../test/helpers/nats-server.js';
import { TcpProxy } from '../../test/helpers/tcp-proxy.js';
import type { ServiceRecord } from '../../tools/mesh/index.js';

/** The services the supervisor runs, in its start order. */
export const MESH_SERVICES = ['features', 'preprocess', 'inference', 'monitor', 'gateway', 'rollout', 'retrainer'] as const;
/** One of {@link MESH_SERVICES}. */
export type MeshService = (typeof MESH_SERVICES)[number];

/** How to build the mesh. */
export interface ChaosMeshOptions {
  /** Inference's spool cap (spoolMaxBytes), in bytes. */
  spoolMaxBytes: number;
  /** Monitor windowRows. */
  windowRows: number;
  /** Supervisor restartDelayMs. */
  restartDelayMs: number;
  /** Environment variables for inference (set in the supervisor's environment, which every service inherits; only inference reads MLMESH_INFERENCE_*). */
  inferenceEnv: Record<string, string>;
  /** Progress lines. */
  log: (line: string) => void;
}

/** The running mesh. */
export interface ChaosMesh {
  nats: NatsServer;
  run: MeshRun;
  proxy: TcpProxy;
  /** The gateway's gRPC address (direct, not through the proxy). */
  gateway: string;
  /** Inference's gRPC address (direct). */
  inference: string;
  /** Inference's /metrics URL. */
  inferenceMetrics: string;
  /** The service's record in the supervisor's state file. */
  record(name: MeshService): ServiceRecord;
  stop(): Promise<void>;
}

/** The credit deployment with `cache.enabled: false`, into `dir`. */
async function writeDeployment(dir: string): Promise<void> {
  const doc = parse(await readFile(join(projectRoot(), 'examples/deployments/credit.yaml'), 'utf8')) as Record<string, unknown>;
  doc['cache'] = { enabled: false };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'credit.yaml'), stringify(doc));
}

/**
 * Starts NATS, writes the project, runs `mlmesh up` on it, registers the credit features and
 * waits for the gateway to serve the deployment.
 * @throws Error with the supervisor's output when the mesh does not come up.
 */
export async function startChaosMesh(o: ChaosMeshOptions): Promise<ChaosMesh> {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => o.log(`chaos: cleanup: ${e instanceof Error ? e.message : String(e)}`));
  };
  try {
    const nats = await NatsServer.start();
    cleanups.push(() => nats.dispose());
    const dir = await mkdtemp(join(tmpdir(), 'mlmesh-chaos-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const repo = await copyRepository(['credit_risk', 'digits_mlp']);
    cleanups.push(() => rm(repo, { recursive: true, force: true }));
    await cp(join(projectRoot(), 'examples/pipelines'), join(dir, 'pipelines'), { recursive: true });
    await writeDeployment(join(dir, 'deployments'));
    const inferencePort = await freePort();
    const proxy = await TcpProxy.start(`127.0.0.1:${inferencePort}`);
    cleanups.push(() => proxy.stop());
    const sections = {
      mesh: { natsUrl: nats.url, restartDelayMs: o.restartDelayMs, readyTimeoutMs: 90_000 },
      features: { grpcPort: 0, httpPort: 0, dataDir: projectRoot() },
      preprocess: { grpcPort: 0, httpPort: 0, artifactDir: join(dir, 'pipelines') },
      inference: { grpcPort: inferencePort, httpPort: 0, modelRepository: repo, startupModels: ['credit_risk', 'digits_mlp'], spoolMaxBytes: o.spoolMaxBytes },
      monitor: { grpcPort: 0, httpPort: 0, modelRepository: repo, windowRows: o.windowRows, permutations: 200 },
      gateway: { grpcPort: 0, httpPort: 0, deploymentsDir: join(dir, 'deployments'), inferenceAddress: proxy.address, reloadMs: 500 },
      rollout: { grpcPort: 0, httpPort: 0, modelRepository: repo },
      retrainer: { grpcPort: 0, httpPort: 0, modelRepository: repo },
    };
    const configFile = join(dir, 'mlmesh.yaml');
    await writeFile(configFile, stringify(sections));
    // The folder and the repository are removed by the cleanups above, after the supervisor has stopped.
    const project: MeshProject = { dir, configFile, varDir: join(dir, 'var'), repo, remove: () => Promise.resolve() };
    o.log(`chaos: mlmesh up --config ${configFile} (NATS ${nats.url}, gateway → inference through ${proxy.address})`);
    const run = runMesh(project, [], { MLMESH_LOG_LEVEL: 'warn', ...o.inferenceEnv });
    cleanups.push(async () => {
      const timer = setTimeout(() => killAll(project.varDir, run.child.proc.pid), 60_000);
      await run.dispose();
      clearTimeout(timer);
    });
    await waitUp(run, 240_000);
    const record = (name: MeshService): ServiceRecord => run.record(name);
    for (const s of MESH_SERVICES) if (record(s).state !== 'ready') throw new Error(`chaos: ${s} is ${record(s).state} after "mesh up"`);
    const gateway = record('gateway').grpc as string;
    const features = record('features').grpc as string;
    const applied = await mlmesh(['features', 'apply', DEFINITIONS, '--address', features, '--json']);
    o.log(`chaos: mlmesh features apply ${DEFINITIONS}: ${applied.stdout.trim().split('\n').pop() ?? ''}`);
    const client = new GatewayClient(gateway);
    try {
      await waitForDeployment(client, 'credit', 60_000);
    } finally {
      client.close();
    }
    const http = record('inference').http as string;
    return {
      nats,
      run,
      proxy,
      gateway,
      inference: `127.0.0.1:${inferencePort}`,
      inferenceMetrics: `${http}/metrics`,
      record,
      stop: cleanup,
    };
  } catch (e: unknown) {
    await cleanup();
    throw e;
  }
}

/**
 * Waits until the supervisor has restarted `name` (restarts above `before`) and it is ready.
 * @returns the time it became ready (epoch ms).
 * @throws after `timeoutMs`.
 */
export async function waitRestarted(mesh: ChaosMesh, name: MeshService, before: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let r: ServiceRecord | undefined;
    try {
      r = mesh.record(name);
    } catch {
      r = undefined; // the state file is being rewritten: read it again
    }
    if (r && r.restarts > before && r.state === 'ready') return Date.now();
    if (Date.now() > deadline) throw new Error(`chaos: ${name} not ready again ${timeoutMs} ms after its kill (state ${r?.state}, restarts ${r?.restarts})`);
    await sleep(50);
  }
}

/** One counter or gauge of a Prometheus text page (the sum over series matching `labels`). */
export async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  const text = await res.text();
  let found = false;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const lbl = m[2] ?? '';
    if (!Object.entries(labels).every(([k, v]) => lbl.includes(`${k}="${v}"`))) continue;
    found = true;
    sum += Number(m[3]);
  }
  return found ? sum : undefined;
}
