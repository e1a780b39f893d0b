import { Worker } from 'node:worker_threads';
import { UnavailableError } from '../../shared/errors/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { InferenceRunError, ModelLoadError } from './errors.js';
import { CONTROL_DIE_AFTER_RUN, CONTROL_FAIL_INIT } from './worker-protocol.js';
import type { FromWorker, TensorMeta, ToWorker, WireTensor, WorkerInit } from './worker-protocol.js';

/** What one session run returns. */
export interface RunResult {
  outputs: WireTensor[];
  /** Time inside `session.run`, in nanoseconds. */
  computeNs: number;
  /** Wall-clock start of the run (epoch ms), as the worker saw it. */
  startedAtMs: number;
  /** Which instance ran it (0-based). */
  instance: number;
}

/** Options for {@link InstancePool.create}. */
export interface InstancePoolOptions extends Omit<WorkerInit, 'warmup' | 'control'> {
  /** Name for logs and errors, e.g. `digits_mlp@1`. */
  label: string;
  /** Number of instances (workers, each with its own session). */
  count: number;
  logger: Logger;
  /** Run one inference on zeros in each instance before it counts as ready. @default true */
  warmup?: boolean;
  /** Called whenever an instance becomes idle (the batcher schedules then). */
  onIdle?: () => void;
  /** Called when the pool becomes unable to run anything (every instance dead and failing to restart). */
  onUnhealthy?: (reason: string) => void;
}

/** Lifecycle of a pool. */
export type PoolState = 'ready' | 'closed';

interface Pending {
  resolve: (r: RunResult) => void;
  reject: (e: unknown) => void;
}

const WORKER_URL = new URL('./session-worker.js', import.meta.url);
/** Delay before each successive restart of a dying instance, in ms. */
export const RESPAWN_BACKOFF_MS = [0, 500, 1000, 2000, 5000] as const;
/** A worker that lived this long counts as stable: its next death restarts without backoff. */
const STABLE_MS = 30_000;

/** Workers whose thread has exited (their 'exit' event already fired). */
const exitedWorkers = new WeakSet<Worker>();

/** One worker and its session. */
class Instance {
  worker: Worker | undefined;
  busy = false;
  ready = false;
  current: Pending | undefined;
  /** Consecutive restarts without a stable run in between. */
  respawns = 0;
  startedAtMs = 0;
  /** Why the last restart failed; cleared by a successful one. */
  lastError: string | undefined;
  /** Shared with the worker for fault injection (see WorkerInit.control). */
  readonly control = new SharedArrayBuffer(4);
  /** Fault injection: replacements report an init error. */
  failRestarts = false;
  constructor(readonly index: number) {}
}

/** Asks a worker to exit after its current run and waits for it to be gone. */
function stopWorker(worker: Worker): Promise<void> {
  if (exitedWorkers.has(worker)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    worker.once('exit', () => resolve());
    const msg: ToWorker = { type: 'exit' };
    worker.postMessage(msg);
  });
}

/**
 * `count` worker threads, each owning one onnxruntime session created from the same verified
 * model bytes. Runs one batch per instance at a time. A worker that dies is replaced; the run it
 * held fails with UNAVAILABLE and the other instances are unaffected. When every instance is
 * dead and restarting fails, the pool is unhealthy (`unhealthyReason`) until one comes back.
 */
export class InstancePool {
  /** Inputs as the ONNX file declares them. */
  readonly inputs: TensorMeta[];
  /** Outputs as the ONNX file declares them. */
  readonly outputs: TensorMeta[];
  /** Providers the sessions actually use. */
  readonly providers: string[];
  private stateValue: PoolState = 'ready';
  private readonly instances: Instance[];
  private readonly opts: InstancePoolOptions;
  private nextId = 1;

  private constructor(opts: InstancePoolOptions, instances: Instance[], ready: Extract<FromWorker, { type: 'ready' }>) {
    this.opts = opts;
    this.instances = instances;
    this.inputs = ready.inputs;
    this.outputs = ready.outputs;
    this.providers = ready.providers;
  }

  /**
   * Starts every instance and waits until each has loaded (and warmed up) its session.
   * @throws ModelLoadError when any instance fails to load the model; all are stopped then.
   */
  static async create(opts: InstancePoolOptions): Promise<InstancePool> {
    const instances = Array.from({ length: opts.count }, (_, i) => new Instance(i));
    const started = await Promise.allSettled(instances.map((inst) => startWorker(opts, inst)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // Every start has settled: no worker is inside onnxruntime, so stopping them is safe.
      await Promise.all(instances.map(async (i) => (i.worker ? stopWorker(i.worker) : undefined)));
      throw failed.reason;
    }
    const first = (started[0] as PromiseFulfilledResult<Extract<FromWorker, { type: 'ready' }>>).value;
    for (const w of first.warnings) opts.logger.warn({ model: opts.label }, w);
    const pool = new InstancePool(opts, instances, first);
    for (const inst of instances) pool.attach(inst);
    return pool;
  }

  /** Current state. */
  get state(): PoolState {
    return this.stateValue;
  }

  /** Instances free to take a batch now. */
  get idleCount(): number {
    let n = 0;
    for (const i of this.instances) if (i.ready && !i.busy) n++;
    return n;
  }

  /** Instances running a batch now. */
  get busyCount(): number {
    let n = 0;
    for (const i of this.instances) if (i.busy) n++;
    return n;
  }

  /**
   * Why the pool cannot run anything, or undefined while it can: every instance is dead and
   * its last restart failed.
   */
  get unhealthyReason(): string | undefined {
    if (this.stateValue === 'closed') return 'closed';
    if (this.instances.some((i) => i.ready || i.lastError === undefined)) return undefined;
    return `no instance of ${this.opts.label} is running: ${this.instances[0]?.lastError ?? 'unknown'}`;
  }

  /**
   * Runs one batch on an idle instance. Input buffers are transferred (unusable afterwards).
   * @throws UnavailableError when no instance is idle, the pool is closed, or the worker dies;
   *   InferenceRunError when onnxruntime fails the run.
   */
  run(inputs: WireTensor[], outputs: string[]): Promise<RunResult> {
    const inst = this.instances.find((i) => i.ready && !i.busy);
    if (this.stateValue === 'closed' || !inst?.worker) {
      return Promise.reject(new UnavailableError(`model ${this.opts.label}: no instance available`));
    }
    inst.busy = true;
    const worker = inst.worker;
    const msg: ToWorker = { type: 'run', id: this.nextId++, inputs, outputs };
    return new Promise<RunResult>((resolve, reject) => {
      inst.current = { resolve, reject };
      worker.postMessage(msg, inputs.map((t) => t.buffer));
    });
  }

  /**
   * Fault injection for tests: instance `index` dies at the end of its current run (or its next
   * one) without answering, as a crash mid-run would look. The pool handles it like any death.
   * With `failRestarts`, its replacements fail to start until {@link allowRestarts}.
   */
  crashInstance(index: number, opts: { failRestarts?: boolean } = {}): void {
    const inst = this.instances[index];
    if (!inst) return;
    inst.failRestarts = opts.failRestarts ?? false;
    Atomics.store(new Int32Array(inst.control), 0, CONTROL_DIE_AFTER_RUN);
  }

  /** Fault injection for tests: lets replacements of every instance start again. */
  allowRestarts(): void {
    for (const inst of this.instances) inst.failRestarts = false;
  }

  /**
   * Stops every worker, each after its current run (never `terminate()` inside onnxruntime:
   * that aborts the process). Runs still in flight fail with UNAVAILABLE. Idempotent.
   */
  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    await Promise.all(
      this.instances.map(async (inst) => {
        const w = inst.worker;
        inst.worker = undefined;
        inst.ready = false;
        this.failCurrent(inst, 'model unloaded');
        if (w) await stopWorker(w);
      }),
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private failCurrent(inst: Instance, why: string): void {
    const p = inst.current;
    inst.current = undefined;
    inst.busy = false;
    p?.reject(new UnavailableError(`model ${this.opts.label}: instance ${inst.index} ${why}`));
  }

  private attach(inst: Instance): void {
    const worker = inst.worker;
    if (!worker) return;
    inst.ready = true;
    inst.lastError = undefined;
    worker.on('message', (msg: FromWorker) => {
      if (msg.type !== 'result' && msg.type !== 'error') return;
      const p = inst.current;
      inst.current = undefined;
      inst.busy = false;
      if (msg.type === 'result') p?.resolve({ outputs: msg.outputs, computeNs: msg.computeNs, startedAtMs: msg.startedAtMs, instance: inst.index });
      else p?.reject(new InferenceRunError(this.opts.label, inst.index, msg.message));
      this.opts.onIdle?.();
    });
    worker.on('error', (e) => {
      this.opts.logger.error({ err: e, model: this.opts.label, instance: inst.index }, 'session worker error');
    });
    worker.once('exit', (code) => {
      if (inst.worker !== worker || this.stateValue === 'closed') return;
      inst.worker = undefined;
      inst.ready = false;
      if (Date.now() - inst.startedAtMs >= STABLE_MS) inst.respawns = 0;
      this.opts.logger.error({ model: this.opts.label, instance: inst.index, code }, 'session worker died: replacing it');
      this.failCurrent(inst, `died (exit code ${code})`);
      this.respawn(inst);
    });
  }

  private respawn(inst: Instance): void {
    const delay = RESPAWN_BACKOFF_MS[Math.min(inst.respawns, RESPAWN_BACKOFF_MS.length - 1)] ?? 5000;
    inst.respawns++;
    const timer = setTimeout(() => {
      if (this.stateValue === 'closed') return;
      startWorker(this.opts, inst).then(
        () => {
          if (this.stateValue === 'closed') {
            if (inst.worker) void stopWorker(inst.worker);
            return;
          }
          this.attach(inst);
          this.opts.logger.info({ model: this.opts.label, instance: inst.index }, 'session worker replaced');
          this.opts.onIdle?.();
        },
        (e: unknown) => {
          inst.lastError = e instanceof Error ? e.message : String(e);
          this.opts.logger.error({ err: e, model: this.opts.label, instance: inst.index }, 'replacing session worker failed: retrying');
          const reason = this.unhealthyReason;
          if (reason) this.opts.onUnhealthy?.(reason);
          this.respawn(inst);
        },
      );
    }, delay);
    timer.unref();
  }
}

/** Spawns the worker of `inst` and waits for its `ready` (or `init-error`). */
function startWorker(opts: InstancePoolOptions, inst: Instance): Promise<Extract<FromWorker, { type: 'ready' }>> {
  // A fresh worker starts healthy (a replacement must not inherit the fault that killed it),
  // unless a test asked its restarts to fail.
  Atomics.store(new Int32Array(inst.control), 0, inst.failRestarts ? CONTROL_FAIL_INIT : 0);
  const init: WorkerInit = {
    model: opts.model,
    executionProviders: opts.executionProviders,
    intraOpThreads: opts.intraOpThreads,
    warmup: opts.warmup ?? true,
    ...(opts.warmupOutputs ? { warmupOutputs: opts.warmupOutputs } : {}),
    control: inst.control,
  };
  const worker = new Worker(WORKER_URL, { workerData: init, name: `${opts.label}#${inst.index}` });
  worker.once('exit', () => exitedWorkers.add(worker));
  inst.worker = worker;
  inst.startedAtMs = Date.now();
  return new Promise((resolve, reject) => {
    const fail = (e: ModelLoadError, stop: boolean): void => {
      cleanup();
      if (inst.worker === worker) inst.worker = undefined;
      // An init-error arrives from a worker that is idle again: asking it to exit is safe.
      if (stop) void stopWorker(worker);
      reject(e);
    };
    const onMessage = (msg: FromWorker): void => {
      if (msg.type === 'ready') {
        cleanup();
        resolve(msg);
      } else if (msg.type === 'init-error') {
        fail(new ModelLoadError(`onnxruntime could not load ${opts.label}: ${msg.message}`), true);
      }
    };
    const onError = (e: Error): void => fail(new ModelLoadError(`session worker for ${opts.label} failed to start: ${e.message}`, { cause: e }), false);
    const onExit = (code: number): void => fail(new ModelLoadError(`session worker for ${opts.label} exited during load (code ${code})`), false);
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
