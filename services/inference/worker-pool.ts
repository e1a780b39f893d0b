import { Worker } from 'node:worker_threads';
import { UnavailableError } from '../../shared/errors/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { ModelLoadError } from './errors.js';
import { CONTROL_DIE_AFTER_RUN } from './worker-protocol.js';
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
}

/** Lifecycle of a pool. */
export type PoolState = 'ready' | 'closing' | 'closed';

interface Pending {
  resolve: (r: RunResult) => void;
  reject: (e: unknown) => void;
}

const WORKER_URL = new URL('./session-worker.js', import.meta.url);
const RESPAWN_BACKOFF_MS = [100, 500, 1000, 2000, 5000];

/** One worker and its session. */
class Instance {
  worker: Worker | undefined;
  busy = false;
  ready = false;
  current: Pending | undefined;
  respawns = 0;
  /** Shared with the worker for fault injection (see WorkerInit.control). */
  control = new SharedArrayBuffer(4);
  constructor(readonly index: number) {}
}

/** Asks a worker to exit after its current run and waits for it to be gone. */
function stopWorker(worker: Worker): Promise<void> {
  return new Promise<void>((resolve) => {
    worker.once('exit', () => resolve());
    const msg: ToWorker = { type: 'exit' };
    worker.postMessage(msg);
  });
}

/**
 * `count` worker threads, each owning one onnxruntime session of the same model file. Runs one
 * batch per instance at a time. A worker that dies is replaced; the run it held fails with
 * UNAVAILABLE and the other instances are unaffected.
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
      // Every instance has settled (none is inside onnxruntime), so terminating is safe.
      await Promise.all(instances.map((i) => i.worker?.terminate()));
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
    return this.instances.filter((i) => i.busy).length;
  }

  /**
   * Runs one batch on an idle instance. Input buffers are transferred (unusable afterwards).
   * @throws UnavailableError when no instance is idle, the pool is closed, or the worker dies.
   */
  run(inputs: WireTensor[], outputs: string[]): Promise<RunResult> {
    const inst = this.instances.find((i) => i.ready && !i.busy);
    if (this.stateValue === 'closed' || !inst?.worker) {
      return Promise.reject(new UnavailableError(`model ${this.opts.label}: no instance available`));
    }
    inst.busy = true;
    const id = this.nextId++;
    const worker = inst.worker;
    return new Promise<RunResult>((resolve, reject) => {
      inst.current = {
        resolve: (r) => resolve({ ...r, instance: inst.index }),
        reject,
      };
      const msg: ToWorker = { type: 'run', id, inputs, outputs };
      worker.postMessage(msg, inputs.map((t) => t.buffer));
    });
  }

  /**
   * Fault injection for tests: instance `index` dies at the end of its current run (or its next
   * one) without answering, as a crash mid-run would look. The pool handles it like any death:
   * the run it held fails with UNAVAILABLE and a replacement starts.
   */
  crashInstance(index: number): void {
    const inst = this.instances[index];
    if (inst) Atomics.store(new Int32Array(inst.control), 0, CONTROL_DIE_AFTER_RUN);
  }

  /** Stops every worker. Runs still in flight fail with UNAVAILABLE. Idempotent. */
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
    worker.on('message', (msg: FromWorker) => {
      if (msg.type !== 'result' && msg.type !== 'error') return;
      const p = inst.current;
      inst.current = undefined;
      inst.busy = false;
      if (msg.type === 'result') p?.resolve({ outputs: msg.outputs, computeNs: msg.computeNs, startedAtMs: msg.startedAtMs, instance: inst.index });
      else p?.reject(new Error(`onnxruntime: ${msg.message}`));
      this.opts.onIdle?.();
    });
    worker.on('error', (e) => {
      this.opts.logger.error({ err: e, model: this.opts.label, instance: inst.index }, 'session worker error');
    });
    worker.once('exit', (code) => {
      if (inst.worker !== worker || this.stateValue === 'closed') return;
      inst.worker = undefined;
      inst.ready = false;
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
          inst.respawns = 0;
          this.attach(inst);
          this.opts.logger.info({ model: this.opts.label, instance: inst.index }, 'session worker replaced');
          this.opts.onIdle?.();
        },
        (e: unknown) => {
          this.opts.logger.error({ err: e, model: this.opts.label, instance: inst.index }, 'replacing session worker failed: retrying');
          this.respawn(inst);
        },
      );
    }, inst.respawns === 1 ? 0 : delay);
    timer.unref();
  }
}

/** Spawns the worker of `inst` and waits for its `ready` (or `init-error`). */
function startWorker(opts: InstancePoolOptions, inst: Instance): Promise<Extract<FromWorker, { type: 'ready' }>> {
  const init: WorkerInit = {
    modelPath: opts.modelPath,
    executionProviders: opts.executionProviders,
    intraOpThreads: opts.intraOpThreads,
    warmup: opts.warmup ?? true,
    control: inst.control,
  };
  // A fresh worker starts healthy (a replacement must not inherit the fault that killed it).
  Atomics.store(new Int32Array(inst.control), 0, 0);
  const worker = new Worker(WORKER_URL, { workerData: init, name: `${opts.label}#${inst.index}` });
  inst.worker = worker;
  return new Promise((resolve, reject) => {
    const onMessage = (msg: FromWorker): void => {
      if (msg.type === 'ready') {
        cleanup();
        resolve(msg);
      } else if (msg.type === 'init-error') {
        cleanup();
        void worker.terminate();
        reject(new ModelLoadError(`onnxruntime could not load ${opts.label}: ${msg.message}`));
      }
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(new ModelLoadError(`session worker for ${opts.label} failed to start: ${e.message}`, { cause: e }));
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new ModelLoadError(`session worker for ${opts.label} exited during load (code ${code})`));
    };
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
