import { ResourceExhaustedError, DeadlineExceededError, UnavailableError, InternalError } from '../../shared/errors/index.js';
import { abortReason } from '../../shared/grpc/index.js';
import type { CancelSignal } from '../../shared/grpc/index.js';
import type { Datatype } from '../../shared/tensors/index.js';
import type { ModelConfig } from './model-config.js';
import type { RunResult } from './worker-pool.js';
import type { WireTensor } from './worker-protocol.js';

/** An input tensor after validation: little-endian bytes and its full shape. */
export interface DecodedInput {
  name: string;
  datatype: Datatype;
  shape: number[];
  bytes: Uint8Array;
}

/** One request as the batcher sees it. */
export interface InferJob {
  /** Inputs in the signature's order. */
  inputs: DecodedInput[];
  /** Rows along dimension 0 (1 for a model that does not batch). */
  rows: number;
  /** Requests batch together only when their keys (datatypes and non-batch dims) are equal. */
  key: string;
  /** Outputs this request wants; a batch fetches the union of its requests' outputs. */
  outputs: readonly string[];
  /**
   * Aborts on deadline, client cancel or shutdown: the request leaves the queue at once. A call's
   * `ctx.cancel` (cheap), or any AbortSignal.
   */
  signal: CancelSignal;
}

/** One output of one request: a view on the batch's output buffer (no copy). */
export interface JobOutput {
  name: string;
  datatype: Datatype;
  shape: number[];
  bytes: Uint8Array;
}

/** What a request gets back. */
export interface JobResult {
  outputs: JobOutput[];
  /** Time spent queued, in ns. */
  queueNs: number;
  /** Time of the session run that served it, in ns. */
  computeNs: number;
  /** Rows of the batch it ran in. */
  batchRows: number;
  /** Instance that ran it. */
  instance: number;
}

/** Runs a batch: the instance pool. */
export interface BatchRunner {
  readonly idleCount: number;
  run(inputs: WireTensor[], outputs: string[]): Promise<RunResult>;
}

/** Where the batcher reports what it does (the version's metrics). */
export interface BatcherObserver {
  pending(delta: number): void;
  executing(delta: number): void;
  executed(rows: number, computeNs: number): void;
  dequeued(queueNs: number): void;
}

/** Lifecycle of a batcher. */
export type BatcherState = 'open' | 'draining' | 'closed';

interface Entry {
  job: InferJob;
  /** Run alone: set when a batch it was in failed, so one bad request cannot fail the others. */
  solo: boolean;
  enqueuedNs: bigint;
  enqueuedMs: number;
  expiresAtMs: number;
  resolve: (r: JobResult) => void;
  reject: (e: unknown) => void;
  onAbort: () => void;
}

/** Largest number of queued requests scanned when looking for ones that batch with the oldest. */
const SCAN_LIMIT = 4096;

/**
 * Triton-style dynamic batcher for one model version. Requests whose non-batch dimensions agree
 * are concatenated along dimension 0 up to `max_batch_size`; a batch is sent when it is full,
 * when it reaches a preferred size, or when its oldest request has waited
 * `max_queue_delay_microseconds`. A request that aborts while queued (deadline, cancel) is
 * removed before it runs; a full queue refuses at once with RESOURCE_EXHAUSTED.
 */
export class DynamicBatcher {
  private queue: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs = Infinity;
  private inflight = 0;
  private stateValue: BatcherState = 'open';
  private idleWaiters: (() => void)[] = [];
  private readonly delayMs: number;
  private readonly queueTimeoutMs: number;
  private readonly largestPreferred: number;

  constructor(
    private readonly label: string,
    private readonly config: ModelConfig,
    private readonly runner: BatchRunner,
    private readonly observer: BatcherObserver,
  ) {
    this.delayMs = config.dynamicBatching.maxQueueDelayUs / 1000;
    this.queueTimeoutMs = config.dynamicBatching.defaultQueueTimeoutUs / 1000;
    this.largestPreferred = config.dynamicBatching.preferredBatchSizes.at(-1) ?? Infinity;
  }

  /** Current state. */
  get state(): BatcherState {
    return this.stateValue;
  }

  /** Requests waiting. */
  get queued(): number {
    return this.queue.length;
  }

  /** Batches running. */
  get executing(): number {
    return this.inflight;
  }

  /**
   * Queues a request and resolves with its own outputs.
   * @throws (rejects) ResourceExhaustedError when the queue is full; UnavailableError when
   *   draining; the signal's reason when it aborts while queued; DeadlineExceededError when the
   *   queue timeout passes first; the run's error otherwise.
   */
  submit(job: InferJob): Promise<JobResult> {
    if (this.stateValue !== 'open') return Promise.reject(new UnavailableError(`model ${this.label} is being unloaded`));
    if (job.signal.aborted) return Promise.reject(abortReason(job.signal));
    const max = this.config.dynamicBatching.maxQueueSize;
    if (max > 0 && this.queue.length >= max) {
      return Promise.reject(new ResourceExhaustedError(`model ${this.label}: queue is full (max_queue_size ${max})`));
    }
    return new Promise<JobResult>((resolve, reject) => {
      const now = Date.now();
      const entry: Entry = {
        job,
        solo: false,
        enqueuedNs: process.hrtime.bigint(),
        enqueuedMs: now,
        expiresAtMs: this.queueTimeoutMs > 0 ? now + this.queueTimeoutMs : Infinity,
        resolve,
        reject,
        onAbort: () => {
          if (this.remove(entry)) reject(abortReason(job.signal));
        },
      };
      job.signal.addEventListener('abort', entry.onAbort, { once: true });
      this.queue.push(entry);
      this.observer.pending(1);
      this.schedule();
    });
  }

  /** Sends what can be sent now; arms a timer for the rest. Called on submit, idle and timer. */
  schedule(): void {
    if (this.stateValue === 'closed') {
      this.checkIdle();
      return;
    }
    const now = Date.now();
    this.expire(now);
    // Again while batches go and instances are free: a request that did not fit the batch just
    // sent may make a full batch of its own (e.g. the chunks of a split request).
    while (this.queue.length > 0 && this.runner.idleCount > 0) {
      const { ready, nextAtMs } = this.formBatches(now, this.runner.idleCount);
      this.arm(nextAtMs);
      if (ready.length === 0) break;
      const sent = new Set(ready.flat());
      this.queue = this.queue.filter((e) => !sent.has(e));
      for (const batch of ready) {
        for (const e of batch) {
          e.job.signal.removeEventListener('abort', e.onAbort);
          this.observer.pending(-1);
        }
        // Takes its instance before it returns (idleCount drops at once).
        void this.execute(batch);
      }
    }
    // Every request waits the same queue timeout, so the head expires first.
    const head = this.queue[0];
    if (head) this.arm(head.expiresAtMs);
    this.checkIdle();
  }

  /**
   * Forms up to `slots` batches that should go now, one per group of compatible requests (same
   * key), oldest group first, so a full group never waits behind another group's head. Returns
   * when the earliest group that is not ready yet will be.
   */
  private formBatches(now: number, slots: number): { ready: Entry[][]; nextAtMs: number } {
    const maxBatch = this.config.maxBatchSize;
    const ready: Entry[][] = [];
    let nextAtMs = Infinity;
    if (maxBatch === 0) {
      for (let i = 0; i < this.queue.length && ready.length < slots; i++) ready.push([this.queue[i] as Entry]);
      return { ready, nextAtMs };
    }
    const groups = new Map<string, { entries: Entry[]; rows: number; full: boolean }>();
    const limit = Math.min(this.queue.length, SCAN_LIMIT);
    for (let i = 0; i < limit; i++) {
      const e = this.queue[i] as Entry;
      if (e.solo) {
        // Retried alone after its batch failed: a group of its own, always ready.
        groups.set(`solo:${i}`, { entries: [e], rows: e.job.rows, full: true });
        continue;
      }
      let g = groups.get(e.job.key);
      if (!g) {
        g = { entries: [], rows: 0, full: false };
        groups.set(e.job.key, g);
      }
      if (g.full) continue;
      if (g.rows + e.job.rows > maxBatch) {
        g.full = true;
        continue;
      }
      g.entries.push(e);
      g.rows += e.job.rows;
      if (g.rows === maxBatch) g.full = true;
    }
    for (const g of groups.values()) {
      const head = g.entries[0] as Entry;
      const readyAtMs = head.enqueuedMs + this.delayMs;
      const isReady =
        g.full ||
        this.delayMs === 0 ||
        this.stateValue !== 'open' ||
        now >= readyAtMs ||
        g.rows >= this.largestPreferred ||
        this.config.dynamicBatching.preferredBatchSizes.includes(g.rows);
      if (isReady && ready.length < slots) ready.push(g.entries);
      else if (!isReady) nextAtMs = Math.min(nextAtMs, readyAtMs);
    }
    return { ready, nextAtMs };
  }

  /**
   * Stops taking requests and resolves once every queued request has run (batches are sent
   * without waiting for the queue delay).
   */
  async drain(): Promise<void> {
    if (this.stateValue === 'open') this.stateValue = 'draining';
    this.schedule();
    if (this.queue.length === 0 && this.inflight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drain();
  }

  /** Refuses everything still queued with UNAVAILABLE. Idempotent. */
  close(): void {
    this.stateValue = 'closed';
    if (this.timer) clearTimeout(this.timer);
    for (const e of [...this.queue]) {
      this.remove(e);
      e.reject(new UnavailableError(`model ${this.label} was unloaded`));
    }
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.queue.length === 0 && this.inflight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private arm(atMs: number): void {
    if (!Number.isFinite(atMs)) return;
    if (this.timer && this.timerAtMs <= atMs) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAtMs = atMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAtMs = Infinity;
      this.schedule();
    }, Math.max(0, atMs - Date.now()));
  }

  private remove(entry: Entry): boolean {
    const i = this.queue.indexOf(entry);
    if (i < 0) return false;
    this.queue.splice(i, 1);
    entry.job.signal.removeEventListener('abort', entry.onAbort);
    this.observer.pending(-1);
    return true;
  }

  private expire(now: number): void {
    if (this.queueTimeoutMs <= 0) return;
    // Every request waits the same timeout, so expiry order is queue order: look at the head only.
    for (let head = this.queue[0]; head && head.expiresAtMs <= now; head = this.queue[0]) {
      this.remove(head);
      head.reject(new DeadlineExceededError(`model ${this.label}: request waited longer than the queue timeout (${this.queueTimeoutMs} ms)`));
    }
  }

  /** Fails every queued request (the pool can run nothing). */
  failQueued(error: Error): void {
    for (const e of [...this.queue]) {
      this.remove(e);
      e.reject(error);
    }
    this.checkIdle();
  }

  private async execute(entries: Entry[]): Promise<void> {
    this.inflight++;
    this.observer.executing(1);
    const startNs = process.hrtime.bigint();
    for (const e of entries) this.observer.dequeued(Number(startNs - e.enqueuedNs));
    const first = entries[0] as Entry;
    const batched = this.config.maxBatchSize > 0;
    const rows = entries.reduce((n, e) => n + e.job.rows, 0);
    try {
      const wire: WireTensor[] = first.job.inputs.map((input, k) => {
        const total = entries.reduce((n, e) => n + (e.job.inputs[k] as DecodedInput).bytes.byteLength, 0);
        const buffer = new ArrayBuffer(total);
        const target = new Uint8Array(buffer);
        let offset = 0;
        for (const e of entries) {
          const b = (e.job.inputs[k] as DecodedInput).bytes;
          target.set(b, offset);
          offset += b.byteLength;
        }
        const dims = batched ? [rows, ...input.shape.slice(1)] : input.shape;
        return { name: input.name, datatype: input.datatype, dims, buffer };
      });
      const outputs = [...new Set(entries.flatMap((e) => e.job.outputs))];
      const result = await this.runner.run(wire, outputs);
      this.observer.executed(rows, result.computeNs);
      this.split(entries, result, rows, startNs);
    } catch (e: unknown) {
      if (entries.length > 1 && !(e instanceof UnavailableError) && this.stateValue !== 'closed') {
        // One bad request (say, an id out of an embedding's range) must not fail the others:
        // retry each alone, at the head of the queue, in order.
        const retry = entries.filter((entry) => {
          if (!entry.job.signal.aborted) return true;
          entry.reject(abortReason(entry.job.signal));
          return false;
        });
        for (const entry of retry) {
          entry.solo = true;
          entry.job.signal.addEventListener('abort', entry.onAbort, { once: true });
          this.observer.pending(1);
        }
        this.queue.unshift(...retry);
      } else {
        for (const entry of entries) entry.reject(e);
      }
    } finally {
      this.inflight--;
      this.observer.executing(-1);
      this.schedule();
    }
  }

  private split(entries: Entry[], result: RunResult, rows: number, startNs: bigint): void {
    const batched = this.config.maxBatchSize > 0 && entries.length > 1;
    let rowOffset = 0;
    const perEntry: JobOutput[][] = entries.map(() => []);
    for (const out of result.outputs) {
      const dim0 = out.dims[0];
      if (batched && dim0 !== rows) {
        throw new InternalError(`model ${this.label}: output '${out.name}' has ${String(dim0)} rows for a batch of ${rows}: cannot split it`);
      }
      const rowBytes = batched ? out.buffer.byteLength / rows : 0;
      rowOffset = 0;
      entries.forEach((e, i) => {
        const bytes = batched
          ? new Uint8Array(out.buffer, rowOffset * rowBytes, e.job.rows * rowBytes)
          : new Uint8Array(out.buffer);
        const shape = batched ? [e.job.rows, ...out.dims.slice(1)] : out.dims;
        (perEntry[i] as JobOutput[]).push({ name: out.name, datatype: out.datatype, shape, bytes });
        rowOffset += e.job.rows;
      });
    }
    entries.forEach((e, i) => {
      e.resolve({
        outputs: perEntry[i] as JobOutput[],
        queueNs: Number(startNs - e.enqueuedNs),
        computeNs: result.computeNs,
        batchRows: rows,
        instance: result.instance,
      });
    });
  }
}
