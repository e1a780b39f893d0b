/**
 * Test helper for rollouts: a private nats-server, the inference service (in the test's process)
 * serving digits_mlp version 1 and a candidate version 2 (a copy of 1, or a fixture of
 * test/fixtures/rollout made by tools/make_rollout_fixtures.ts), the rollout service as a real
 * child process (so it can be SIGKILLed and restarted), and a load generator that keeps
 * `concurrency` ModelInfer calls without model_version in flight.
 */
import { randomUUID } from 'node:crypto';
import { cp, copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { grpc } from './grpc.js';
import { projectRoot } from '../../shared/config/index.js';
import { SUBJECTS, encodeFeedback } from '../../shared/events/index.js';
import type { ModelEvent__Output } from '../../shared/events/index.js';
import { RolloutClient } from '../../shared/client/index.js';
import { RouteStore } from '../../shared/routes/index.js';
import { readNpy } from '../../shared/tensors/index.js';
import type { Rollout__Output } from '../../shared/generated/mlmesh/rollout/v1/Rollout.js';
import { writeManifest } from '../../tools/manifest.js';
import { NatsServer } from './nats-server.js';
import { copyRepository, exampleConfig, f32, startInference, waitFor } from './inference.js';
import type { InferenceFixture } from './inference.js';
import { runNode } from './process.js';
import type { Child } from './process.js';
import { modelEvents } from './routing.js';

/** The candidate version 2: `good` is a copy of version 1. */
export type CandidateKind = 'good' | 'permuted' | 'slow' | 'flaky';

/** The model every rollout test rolls out. */
export const MODEL = 'digits_mlp';

/** One answered (or failed) request of the load. */
export interface Outcome {
  requestId: string;
  version: string;
  routeRevision: string;
  label: number;
  ok: boolean;
  code?: number;
}

/** 200 held-out digits with their labels (test/fixtures/parity/digits_mlp). */
function digits(): { rows: Float32Array[]; labels: number[] } {
  const dir = join(projectRoot(), 'test/fixtures/parity/digits_mlp');
  const x = readNpy(join(dir, 'inputs.npy'));
  const y = readNpy(join(dir, 'labels.npy'));
  const xs = new Float32Array(new Uint8Array(x.data).buffer);
  const ys = new BigInt64Array(new Uint8Array(y.data).buffer);
  const n = x.shape[0] as number;
  return { rows: Array.from({ length: n }, (_, i) => xs.slice(i * 64, (i + 1) * 64)), labels: Array.from(ys, Number) };
}

/** Keeps `concurrency` requests in flight until stopped. Classes 0–2 are five times as frequent as the others (real traffic is not uniform). */
export class Load {
  readonly outcomes: Outcome[] = [];
  private stopped = false;
  private loops: Promise<void>[] = [];
  private readonly data = digits();
  private readonly pick: number[] = [];

  constructor(
    private readonly f: InferenceFixture,
    private readonly opts: { concurrency?: number; badPixelShare?: number; onAnswer?: (o: Outcome) => void } = {},
  ) {
    this.data.labels.forEach((l, i) => {
      for (let k = 0; k < (l <= 2 ? 5 : 1); k++) this.pick.push(i);
    });
  }

  start(): void {
    this.loops = Array.from({ length: this.opts.concurrency ?? 32 }, () => this.loop());
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const i = this.pick[Math.floor(Math.random() * this.pick.length)] as number;
      const row = Float32Array.from(this.data.rows[i] as Float32Array);
      if (Math.random() < (this.opts.badPixelShare ?? 0)) row[0] = 1;
      const requestId = randomUUID();
      const md = new grpc.Metadata();
      md.set('x-request-id', requestId);
      try {
        const r = await this.f.client.infer(
          { model_name: MODEL, id: requestId, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }], raw_input_contents: [f32(row)] },
          { deadlineMs: 30_000, metadata: md },
        );
        const o = { requestId, version: r.model_version, routeRevision: r.parameters['mlmesh_route_revision']?.int64_param ?? '', label: this.data.labels[i] as number, ok: true };
        this.outcomes.push(o);
        this.opts.onAnswer?.(o);
      } catch (e: unknown) {
        this.outcomes.push({ requestId, version: '', routeRevision: '', label: this.data.labels[i] as number, ok: false, code: (e as { code?: number }).code ?? -1 });
      }
    }
  }

  /**
   * Sends `n` requests to `version` by name, `conc` at a time: a freshly loaded version's first
   * runs are slow (onnxruntime allocates on its first runs), which the latency criterion would
   * rightly hold against it; a deployer warms a candidate up before rolling it out.
   */
  async warm(version: string, n = 200, conc = 8): Promise<void> {
    let left = n;
    await Promise.all(
      Array.from({ length: conc }, async () => {
        while (left-- > 0) {
          const row = this.data.rows[left % this.data.rows.length] as Float32Array;
          await this.f.client.infer({ model_name: MODEL, model_version: version, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }], raw_input_contents: [f32(row)] }, { deadlineMs: 30_000 });
        }
      }),
    );
  }

  /** Failed requests so far. */
  get failures(): Outcome[] {
    return this.outcomes.filter((o) => !o.ok);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }
}

/**
 * Starts the rollout service as a child process against `f`'s inference (250 ms ticks) and
 * resolves once it is connected to NATS, with its gRPC address.
 */
export async function startRolloutProcess(o: { natsUrl: string; repo: string; f: InferenceFixture; leaseMs?: number }): Promise<{ child: Child; address: string }> {
  const child = runNode('services/rollout/main.js', [], {
    NATS_URL: o.natsUrl,
    MLMESH_ROLLOUT_GRPC_PORT: '0',
    MLMESH_ROLLOUT_HTTP_PORT: '0',
    MLMESH_ROLLOUT_MODEL_REPOSITORY: o.repo,
    MLMESH_ROLLOUT_INFERENCE_ADDRESSES: o.f.service.address,
    MLMESH_ROLLOUT_INFERENCE_METRICS_URLS: `${o.f.http}/metrics`,
    MLMESH_ROLLOUT_TICK_MS: '250',
    MLMESH_ROLLOUT_LEASE_MS: String(o.leaseMs ?? 2000),
    MLMESH_ROLLOUT_LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
  });
  const ready = await child.waitForLog((r) => r['msg'] === 'rollout service ready' || r['msg'] === 'rollout service started but not ready', 30_000);
  await child.waitForLog((r) => r['msg'] === 'NATS connected', 30_000);
  return { child, address: String(ready['address']) };
}

/** A running rollout setup. */
export interface RolloutMesh {
  nats: NatsServer;
  f: InferenceFixture;
  nc: NatsConnection;
  repo: string;
  /** The rollout service process (replaced by {@link restartController}). */
  controller: Child;
  client: RolloutClient;
  /** Starts the rollout service (again), e.g. after a SIGKILL. */
  restartController(): Promise<void>;
  /** Publishes a label for a request (MLMESH_FEEDBACK). */
  label(requestId: string, label: number): Promise<void>;
  /** ModelEvents of the model stored so far. */
  events(): Promise<ModelEvent__Output[]>;
  /** Waits until the rollout satisfies `done`; returns it. */
  waitRollout(done: (r: Rollout__Output) => boolean, timeoutMs: number, what: string): Promise<Rollout__Output>;
  stop(): Promise<void>;
}

/** Starts NATS, inference with versions 1 and 2 (the candidate), and the rollout service. */
export async function startRolloutMesh(opts: { candidate: CandidateKind; leaseMs?: number; natsPort?: number } = { candidate: 'good' }): Promise<RolloutMesh> {
  const nats = await NatsServer.start();
  const repo = await copyRepository([MODEL]);
  const spool = await mkdtemp(join(tmpdir(), 'mlmesh-spool-'));
  const v2 = join(repo, MODEL, '2');
  await cp(join(repo, MODEL, '1'), v2, { recursive: true });
  if (opts.candidate !== 'good') {
    await copyFile(join(projectRoot(), 'test/fixtures/rollout', opts.candidate, 'model.onnx'), join(v2, 'model.onnx'));
    await writeManifest(v2, { training_data_sha256: null, parent_version: '1', produced_by: `tools/make_rollout_fixtures.ts (${opts.candidate})`, created_at: '2026-12-01T00:00:00Z', metrics: {} });
  }
  await writeFile(join(repo, MODEL, 'config.json'), exampleConfig(MODEL, { version_policy: { all: {} }, instance_group: [{ count: 1, kind: 'KIND_CPU' }] }));
  const f = await startInference({ repo, overrides: { natsUrl: nats.url, spoolDir: spool } });
  const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  // Version 1 is what serves before the rollout (without a route the newest version, 2, would).
  const pinned = await (await RouteStore.create(nc)).put({ model: MODEL, versions: [{ version: '1', weight: 100 }], sticky: 'none', written_by: 'test: version 1 serves' });
  await waitFor(() => f.service.routes?.routeOf(MODEL)?.revision === Number(pinned.route.revision), 10_000, 'the route of version 1 in force');
  let controller: Child;
  let client: RolloutClient | undefined;
  const startController = async (): Promise<void> => {
    const started = await startRolloutProcess({ natsUrl: nats.url, repo, f, ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {}) });
    controller = started.child;
    client?.close();
    client = new RolloutClient(started.address);
  };
  await startController();
  const mesh: RolloutMesh = {
    nats,
    f,
    nc,
    repo,
    get controller() {
      return controller;
    },
    get client() {
      return client as RolloutClient;
    },
    restartController: startController,
    async label(requestId, label) {
      await nc.jetstream().publish(SUBJECTS.feedback(MODEL), encodeFeedback({ meta: { event_id: randomUUID(), time_unix_ms: Date.now(), source: 'test' }, request_id: requestId, model: MODEL, label: String(label) }));
    },
    async events() {
      return (await modelEvents(nc)).filter((e) => e.model === MODEL && e.rollout_id !== '');
    },
    async waitRollout(done, timeoutMs, what) {
      let last: Rollout__Output | undefined;
      await waitFor(
        async () => {
          try {
            last = (await (client as RolloutClient).getRollout({ model: MODEL }, { timeoutMs: 2000 })).rollout ?? undefined;
          } catch {
            // Not there yet, or the controller is restarting: look again.
            return false;
          }
          return last !== undefined && done(last);
        },
        timeoutMs,
        what,
      ).catch((e: unknown) => {
        throw new Error(`${e instanceof Error ? e.message : String(e)}; last seen: ${JSON.stringify({ state: last?.state, step: last?.step_index, reason: last?.reason, criteria: last?.criteria.map((c) => `${c.name}=${c.state}: ${c.detail}`) })}`);
      });
      return last as Rollout__Output;
    },
    async stop() {
      client?.close();
      controller.proc.kill('SIGTERM');
      await controller.exited;
      await nc.close().catch(() => undefined);
      await f.stop();
      await nats.dispose();
      await rm(repo, { recursive: true, force: true });
      await rm(spool, { recursive: true, force: true });
    },
  };
  return mesh;
}

/** The test plans: short holds, small minimum samples (a few seconds per step on a loaded machine). */
export function testPlan(patch: Record<string, unknown> = {}): Record<string, unknown> {
  const c = { min_samples: 50 };
  return {
    steps: [1, 10, 100],
    hold_requests: 60,
    hold_ms: 2000,
    max_wait_ms: 60_000,
    retire_grace_ms: 1000,
    drain_ms: 500,
    criteria: { error_rate: c, latency_p99_ratio: c, prediction_distribution: c, accuracy: { min_samples: 40 } },
    ...patch,
  };
}
