/**
 * The monitor engine without NATS, for tests: a recording publisher, a real state folder (whose
 * writes can be made to fail, as a crash would), a fake clock, and prediction-log builders.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestFn } from 'ava';
import type { Registry } from 'prom-client';
import { createLogger } from '../../shared/logging/index.js';
import { createRegistry } from '../../shared/metrics/index.js';
import { encodeFeedback, encodePredictionLog } from '../../shared/events/index.js';
import type { Feedback } from '../../shared/events/index.js';
import { encodeNpy } from '../../shared/tensors/index.js';
import { MonitorEngine } from '../../services/monitor/engine.js';
import { runDetectors } from '../../services/monitor/detectors.js';
import type { DetectorRunner, StreamMessage } from '../../services/monitor/engine.js';
import { MonitorMetrics } from '../../services/monitor/metrics.js';
import { StateStore } from '../../services/monitor/state-store.js';
import type { ModelState } from '../../services/monitor/state-store.js';
import type { Credit, PredictionRow } from '../../services/monitor/join-store.js';
import type { OpenWindow } from '../../services/monitor/window.js';
import { resolveMonitorConfig } from '../../services/monitor/config.js';
import type { MonitorConfig } from '../../services/monitor/config.js';
import { mmdTest, seededRandom } from '../../services/monitor/stats/index.js';

/** Context of engine tests: a fresh folder per test, and the engines to close after it. */
export interface EngineCtx {
  dir: string;
  engines: MonitorEngine[];
}

/** Gives each test a fresh folder, closes its engines and removes the folder after it. */
export function useEngineDir(test: TestFn<EngineCtx>): void {
  test.beforeEach(async (t) => {
    t.context = { dir: await mkdtemp(join(tmpdir(), 'mlmesh-engine-')), engines: [] };
  });
  test.afterEach.always(async (t) => {
    for (const e of t.context.engines) e.close();
    await rm(t.context.dir, { recursive: true, force: true });
  });
}

/** An event the engine published. */
export interface Published {
  subject: string;
  data: Uint8Array;
  msgId: string;
}

/** A store write that can be made to fail. */
export type Fault = 'saveWindow' | 'saveAppliedSeq' | 'appendReport' | 'saveModels' | 'rememberPredictions' | 'commitFeedback';

/** A real StateStore whose next calls of a method can be made to fail (a crash at that point). */
export class FaultyStore extends StateStore {
  fail: Partial<Record<Fault, number>> = {};
  private trip(what: Fault): void {
    const n = this.fail[what] ?? 0;
    if (n > 0) {
      this.fail[what] = n - 1;
      throw new Error(`${what} failed (test crash)`);
    }
  }
  override async saveWindow(w: OpenWindow): Promise<void> {
    this.trip('saveWindow');
    return super.saveWindow(w);
  }
  override async saveAppliedSeq(seq: number): Promise<void> {
    this.trip('saveAppliedSeq');
    return super.saveAppliedSeq(seq);
  }
  override async appendReport(model: string, json: object): Promise<void> {
    this.trip('appendReport');
    return super.appendReport(model, json);
  }
  override async saveModels(models: Record<string, ModelState>): Promise<void> {
    this.trip('saveModels');
    return super.saveModels(models);
  }
  override async rememberPredictions(rows: readonly PredictionRow[], retentionRows: number): Promise<void> {
    this.trip('rememberPredictions');
    return super.rememberPredictions(rows, retentionRows);
  }
  override async commitFeedback(credits: readonly Credit[], nowMs: number): Promise<void> {
    this.trip('commitFeedback');
    return super.commitFeedback(credits, nowMs);
  }
}

/** A model `m` (version 1, a 2-feature reference) with this `monitoring` section, and an engine on a fresh state folder. */
export async function setup(ctx: EngineCtx, monitoring: object, opts: { failPublish?: () => boolean; detect?: DetectorRunner; config?: Partial<MonitorConfig> } = {}) {
  const dir = ctx.dir;
  const repo = join(dir, 'repo');
  await mkdir(join(repo, 'm', '1', 'reference'), { recursive: true });
  await writeFile(join(repo, 'm', 'config.json'), JSON.stringify({ monitoring }));
  const rand = seededRandom(3);
  await writeFile(join(repo, 'm', '1', 'reference', 'inputs.npy'), encodeNpy('FP32', [100, 2], new Uint8Array(Float32Array.from({ length: 200 }, () => rand()).buffer)));
  const config: MonitorConfig = { ...resolveMonitorConfig({ env: {} }), modelRepository: repo, stateDir: join(dir, 'state'), ...opts.config };
  const published: Published[] = [];
  const clock = { now: 1_000_000 };
  const store = new FaultyStore(config.stateDir);
  /** Each engine's metrics registry (a registry takes a metric name once). */
  const registries = new Map<MonitorEngine, Registry>();
  const make = (st: StateStore = store): MonitorEngine => {
    const registry = createRegistry({ service: 'engine-test', processMetrics: false });
    const e = new MonitorEngine(
      config,
      st,
      async (subject, data, msgId) => {
        if (opts.failPublish?.()) throw new Error('publish failed (test)');
        published.push({ subject, data, msgId });
      },
      opts.detect ?? ((r, w, s) => runDetectors(r, w, s, (input) => Promise.resolve(mmdTest(input)))),
      createLogger({ service: 'engine-test', level: 'silent' }),
      new MonitorMetrics(registry),
      () => clock.now,
    );
    ctx.engines.push(e);
    registries.set(e, registry);
    return e;
  };
  const engine = make();
  await engine.load();
  /** A restart: a new store and engine on the same folder, loaded. */
  const restart = async (): Promise<MonitorEngine> => {
    const e = make(new StateStore(config.stateDir));
    await e.load();
    return e;
  };
  /** A counter's value in an engine's metrics. */
  const metric = async (e: MonitorEngine, name: string, labels: Record<string, string>): Promise<number> => {
    const m = (await registries.get(e)?.getSingleMetric(name)?.get())?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
    return m?.value ?? 0;
  };
  return { engine, published, clock, config, make, store, restart, metric };
}

/** A PredictionLog message: `rows` as FP32 inputs, `probs` as outputs. */
export function msg(seq: number, rows: number[][], opts: { model?: string; cols?: number; time?: number; garbage?: boolean; shape?: string[]; requestId?: string; probs?: number[][]; parameters?: Record<string, string> } = {}): StreamMessage {
  if (opts.garbage) return { seq, data: Uint8Array.of(0xff, 0xff, 0xff), timeMs: 0 };
  const cols = opts.cols ?? 2;
  const data = Float32Array.from(rows.flat());
  return {
    seq,
    timeMs: opts.time ?? 1_000_000,
    data: encodePredictionLog({
      meta: { event_id: `r${seq}`, time_unix_ms: String(opts.time ?? 1_000_000) },
      request_id: opts.requestId ?? `r${seq}`,
      model: opts.model ?? 'm',
      version: '1',
      inputs: [{ name: 'x', datatype: 'FP32', shape: opts.shape ?? [String(rows.length), String(cols)], raw: Buffer.from(data.buffer) }],
      ...(opts.parameters ? { parameters: opts.parameters } : {}),
      outputs: opts.probs ? [{ name: 'p', datatype: 'FP32', shape: [String(opts.probs.length), String(opts.probs[0]?.length ?? 0)], raw: Buffer.from(Float32Array.from(opts.probs.flat()).buffer) }] : [],
    }),
  };
}

/** A Feedback message. */
export function feedback(seq: number, fb: Feedback, timeMs = 0): StreamMessage {
  return { seq, timeMs, data: encodeFeedback(fb) };
}

/** The DriftReports and RetrainRequests among published events. */
export function isDrift(p: Published): boolean {
  return p.subject.startsWith('mlmesh.events.drift.');
}
export function isRetrain(p: Published): boolean {
  return p.subject.startsWith('mlmesh.events.retrain.');
}
