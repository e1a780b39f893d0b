/**
 * Test helper for the retrainer: a private nats-server; inference (in the test's process) serving
 * digits_mlp version 1 from a private copy of the repository; optionally the monitor (in process);
 * the rollout service and the retrainer as real child processes (the retrainer can be SIGKILLed
 * and restarted); and a traffic generator sending digits (clean or blurred) and publishing each
 * answered request's label as feedback.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { RetrainerClient, RolloutClient } from '../../shared/client/index.js';
import { SUBJECTS, encodeFeedback, encodeRetrainRequest } from '../../shared/events/index.js';
import type { ModelEvent__Output } from '../../shared/events/index.js';
import type { Run__Output } from '../../shared/generated/mlmesh/retrainer/v1/Run.js';
import { readNpy } from '../../shared/tensors/index.js';
import { grpc } from './grpc.js';
import type { ExecutionContext } from 'ava';
import { copyRepository, f32, startInference, waitFor } from './inference.js';
import type { InferenceFixture } from './inference.js';
import { startMonitor } from './monitor.js';
import type { MonitorFixture } from './monitor.js';
import { NatsServer } from './nats-server.js';
import { runNode } from './process.js';
import type { Child } from './process.js';
import { blurDigits } from './retrainer.js';
import { startRolloutProcess } from './rollout.js';
import { modelEvents } from './routing.js';

export const MODEL = 'digits_mlp';

/**
 * Why the tests that train for real cannot run here (Debian's /usr/bin/python3 without torch,
 * onnx or numpy), or undefined when they can. `.ci/run` installs python3-torch python3-onnx.
 */
export function torchMissing(): string | undefined {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch, onnx, numpy'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? undefined : `/usr/bin/python3 cannot import torch, onnx and numpy (${(r.stderr || r.error?.message || '').trim().split('\n').pop()}): apt-get install python3-torch python3-onnx`;
}

/** The committed base dataset's training rows (examples/models/digits_mlp/datasets/<sha>/): traffic comes from them. */
export async function baseRows(repo: string): Promise<{ rows: Float32Array[]; blurred: Float32Array[]; labels: number[] }> {
  const root = join(repo, MODEL, 'datasets');
  const [sha] = (await readdir(root)).filter((d) => /^[0-9a-f]{64}$/.test(d));
  if (!sha) throw new Error(`no dataset snapshot in ${root}`);
  const x = readNpy(join(root, sha, 'train_x.npy'));
  const y = readNpy(join(root, sha, 'train_y.npy'));
  const n = x.shape[0] as number;
  const xs = new Float32Array(new Uint8Array(x.data).buffer.slice(0));
  const ys = new BigInt64Array(new Uint8Array(y.data).buffer.slice(0));
  const bl = blurDigits(xs, n);
  const rows = Array.from({ length: n }, (_, i) => xs.slice(i * 64, (i + 1) * 64));
  const blurred = Array.from({ length: n }, (_, i) => bl.slice(i * 64, (i + 1) * 64));
  return { rows, blurred, labels: Array.from(ys, Number) };
}

/** One answered (or failed) request of the traffic. */
export interface Sent {
  requestId: string;
  version: string;
  ok: boolean;
  blurred: boolean;
  code?: number;
  /** Date.now() when the answer (or the error) came back. */
  atMs: number;
}

/** Keeps `concurrency` requests in flight (no model_version), labels each answer via feedback. */
export class Traffic {
  readonly sent: Sent[] = [];
  blurred = false;
  /** Labels published are shuffled (a random class) instead of the truth. */
  shuffleLabels = false;
  private stopped = false;
  private loops: Promise<void>[] = [];
  private i = 0;

  constructor(
    private readonly f: InferenceFixture,
    private readonly nc: NatsConnection,
    private readonly data: { rows: Float32Array[]; blurred: Float32Array[]; labels: number[] },
    private readonly concurrency = 8,
  ) {}

  start(): void {
    this.stopped = false;
    this.loops = Array.from({ length: this.concurrency }, () => this.loop());
  }

  /** Sends `n` requests (not counting those of the loops) and resolves when they are answered. */
  async send(n: number): Promise<void> {
    let left = n;
    await Promise.all(Array.from({ length: this.concurrency }, async () => {
      while (left-- > 0) await this.one();
    }));
  }

  private async loop(): Promise<void> {
    while (!this.stopped) await this.one();
  }

  private async one(): Promise<void> {
    const k = this.i++ % this.data.labels.length;
    const blurred = this.blurred;
    const row = (blurred ? this.data.blurred : this.data.rows)[k] as Float32Array;
    const label = this.shuffleLabels ? Math.floor(Math.random() * 10) : (this.data.labels[k] as number);
    const requestId = randomUUID();
    const md = new grpc.Metadata();
    md.set('x-request-id', requestId);
    try {
      const r = await this.f.client.infer({ model_name: MODEL, id: requestId, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }], raw_input_contents: [f32(row)] }, { deadlineMs: 30_000, metadata: md });
      this.sent.push({ requestId, version: r.model_version, ok: true, blurred, atMs: Date.now() });
      await this.nc.jetstream().publish(SUBJECTS.feedback(MODEL), encodeFeedback({ meta: { event_id: randomUUID(), time_unix_ms: Date.now(), source: 'test' }, request_id: requestId, model: MODEL, label: String(label) }));
    } catch (e: unknown) {
      this.sent.push({ requestId, version: '', ok: false, blurred, code: (e as { code?: number }).code ?? -1, atMs: Date.now() });
    }
  }

  get failures(): Sent[] {
    return this.sent.filter((s) => !s.ok);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }
}

/** A running retrainer setup. */
export interface RetrainMesh {
  nats: NatsServer;
  nc: NatsConnection;
  f: InferenceFixture;
  monitor: MonitorFixture | undefined;
  repo: string;
  workDir: string;
  rollout: Child;
  retrainer: Child;
  client: RetrainerClient;
  rollouts: RolloutClient;
  retrainerHttp: string;
  traffic: Traffic;
  /** Rewrites digits_mlp's config.json with `patch(config)`. */
  patchConfig(patch: (c: Record<string, unknown>) => void): Promise<void>;
  /** Starts the retrainer (again); `env`, when given, replaces the `retrainerEnv` of startRetrainMesh for this start. */
  restartRetrainer(env?: Record<string, string>): Promise<void>;
  /** Publishes a RetrainRequest as the monitor would (`msgId`: its Nats-Msg-Id, default `id`; another one makes JetStream keep a second copy, i.e. a redelivery). */
  requestRetrain(id: string, firstSequence?: number, msgId?: string): Promise<void>;
  /** The retrainer's ModelEvents so far. */
  events(): Promise<ModelEvent__Output[]>;
  /** Waits for a run satisfying `done`, returns it. */
  waitRun(done: (r: Run__Output) => boolean, timeoutMs: number, what: string): Promise<Run__Output>;
  stop(): Promise<void>;
}

/** The rollout plan of the tests: short steps, judged on errors, latency (loose) and labels; the prediction distribution is expected to change. */
export const TEST_ROLLOUT = {
  steps: [1, 10, 100],
  hold_requests: 40,
  hold_ms: 1500,
  max_wait_ms: 90_000,
  retire_grace_ms: 500,
  drain_ms: 500,
  criteria: {
    error_rate: { min_samples: 30 },
    latency_p99_ratio: { min_samples: 30, threshold: 5 },
    prediction_distribution: { enabled: 'off' },
    accuracy: { enabled: 'on', min_samples: 30 },
  },
};

/** Starts the setup. `monitor`: also the drift monitor (windows of `windowRows`, a RetrainRequest after 2 drifted windows); `retrainerEnv`: more variables for the retrainer process. */
export async function startRetrainMesh(opts: { monitor?: boolean; windowRows?: number; configPatch?: (c: Record<string, unknown>) => void; retrainerEnv?: Record<string, string> } = {}): Promise<RetrainMesh> {
  const nats = await NatsServer.start();
  const repo = await copyRepository([MODEL]);
  const workDir = await mkdtemp(join(tmpdir(), 'mlmesh-retrainer-'));
  const spool = await mkdtemp(join(tmpdir(), 'mlmesh-spool-'));
  const cfgPath = join(repo, MODEL, 'config.json');
  const patchConfig = async (patch: (c: Record<string, unknown>) => void): Promise<void> => {
    const c = JSON.parse(await readFile(cfgPath, 'utf8')) as Record<string, unknown>;
    patch(c);
    await writeFile(cfgPath, JSON.stringify(c, null, 2));
  };
  await patchConfig((c) => {
    c['rollout'] = TEST_ROLLOUT;
    c['monitoring'] = { ...(c['monitoring'] as object), window_rows: opts.windowRows ?? 150, consecutive_windows: 2, cooldown_seconds: 3600, detectors: ['ks', 'mmd', 'bbsd'], permutations: 200 };
    opts.configPatch?.(c);
  });
  const f = await startInference({ repo, overrides: { natsUrl: nats.url, spoolDir: spool } });
  const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  const monitor = opts.monitor ? await startMonitor({ natsUrl: nats.url, repo }) : undefined;
  const { child: rollout, address: rolloutAddress } = await startRolloutProcess({ natsUrl: nats.url, repo, f });
  const rollouts = new RolloutClient(rolloutAddress);
  let retrainer: Child;
  let client: RetrainerClient | undefined;
  let retrainerHttp = '';
  const startRetrainer = async (env: Record<string, string> | undefined = opts.retrainerEnv): Promise<void> => {
    retrainer = runNode('services/retrainer/main.js', [], {
      NATS_URL: nats.url,
      MLMESH_RETRAINER_GRPC_PORT: '0',
      MLMESH_RETRAINER_HTTP_PORT: '0',
      MLMESH_RETRAINER_MODEL_REPOSITORY: repo,
      MLMESH_RETRAINER_WORK_DIR: workDir,
      MLMESH_RETRAINER_INFERENCE_ADDRESSES: f.service.address,
      MLMESH_RETRAINER_ROLLOUT_ADDRESS: rolloutAddress,
      MLMESH_RETRAINER_POLL_MS: '250',
      MLMESH_RETRAINER_MONITOR_URL: monitor?.http ?? 'http://127.0.0.1:8032',
      ...env,
    });
    const ready = await retrainer.waitForLog((r) => r['msg'] === 'retrainer service ready' || r['msg'] === 'retrainer service started but not ready', 30_000);
    await retrainer.waitForLog((r) => r['msg'] === 'NATS connected', 30_000);
    client?.close();
    client = new RetrainerClient(String(ready['address']));
    retrainerHttp = `http://127.0.0.1:${Number(ready['httpPort'])}`;
  };
  await startRetrainer(opts.retrainerEnv);
  const data = await baseRows(repo);
  const traffic = new Traffic(f, nc, data);
  return {
    nats,
    nc,
    f,
    monitor,
    repo,
    workDir,
    get rollout() {
      return rollout;
    },
    get retrainer() {
      return retrainer;
    },
    get client() {
      return client as RetrainerClient;
    },
    rollouts,
    get retrainerHttp() {
      return retrainerHttp;
    },
    traffic,
    patchConfig,
    restartRetrainer: startRetrainer,
    async requestRetrain(id, firstSequence = 1, msgId = id) {
      await nc.jetstream().publish(
        SUBJECTS.retrain(MODEL),
        encodeRetrainRequest({ meta: { event_id: msgId, time_unix_ms: Date.now(), source: 'test' }, request_id: id, model: MODEL, version: '1', reason: 'test', first_sequence: firstSequence, last_sequence: firstSequence, drifted_report_ids: [`${MODEL}/1/0`] }),
        { msgID: msgId },
      );
    },
    async events() {
      return (await modelEvents(nc)).filter((e) => e.model === MODEL && e.run_id !== '');
    },
    async waitRun(done, timeoutMs, what) {
      let last: Run__Output | undefined;
      await waitFor(
        async () => {
          try {
            last = (await (client as RetrainerClient).listRuns({ model: MODEL }, { timeoutMs: 2000 })).runs[0];
          } catch {
            return false;
          }
          return last !== undefined && done(last);
        },
        timeoutMs,
        what,
      ).catch((e: unknown) => {
        throw new Error(`${e instanceof Error ? e.message : String(e)}; last seen: ${JSON.stringify({ state: last?.state, stage: last?.stage, reason: last?.reason, stages: last?.stages.map((s) => `${s.name}:${s.state}:${s.detail}`) })}`);
      });
      return last as Run__Output;
    },
    async stop() {
      await traffic.stop();
      client?.close();
      rollouts.close();
      retrainer.proc.kill('SIGTERM');
      rollout.proc.kill('SIGTERM');
      await Promise.all([retrainer.exited, rollout.exited]);
      await monitor?.stop();
      await nc.close().catch(() => undefined);
      await f.stop();
      await nats.dispose();
      for (const d of [repo, workDir, spool]) await rm(d, { recursive: true, force: true });
    },
  };
}

/**
 * Runs `run` on a fresh mesh (`startRetrainMesh(opts)`) within `timeoutMs`, logs the retrainer's
 * last 30 lines when it fails, and always stops the mesh.
 */
export async function withRetrainMesh(t: ExecutionContext, opts: Parameters<typeof startRetrainMesh>[0], timeoutMs: number, run: (m: RetrainMesh) => Promise<void>): Promise<void> {
  t.timeout(timeoutMs);
  const m = await startRetrainMesh(opts);
  try {
    await run(m);
  } catch (e: unknown) {
    t.log(m.retrainer.stdout.slice(-30).join('\n'));
    throw e;
  } finally {
    await m.stop();
  }
}
