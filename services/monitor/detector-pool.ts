/**
 * A small pool of worker threads that run a window's detectors: jobs queue and run one per
 * worker, so the CPU-bound tests (an MMD of 500 × 500 rows with 1000 permutations is ~0.6 s; KS
 * over 64 features ~50 ms) never block the event loop that serves gRPC and consumes NATS. The
 * reference and window are copied to the worker (structured clone, ~0.5 MB for digits). A worker
 * that dies is replaced; its job fails (the batch is retried).
 */
import { Worker } from 'node:worker_threads';
import { InternalError, ResourceExhaustedError, UnavailableError } from '../../shared/errors/index.js';
import type { DetectorSettings, Verdict, WindowData } from './detectors.js';
import type { DetectJob, DetectReply } from './detector-worker.js';
import type { Reference } from './reference.js';

interface Pending {
  job: DetectJob;
  resolve: (v: Verdict) => void;
  reject: (e: Error) => void;
}

/** Runs {@link runDetectors} in worker threads. */
export class DetectorPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  /**
   * @param size number of worker threads
   * @param queueMax jobs that may wait beyond the running ones; more are refused with
   *   RESOURCE_EXHAUSTED (@default unbounded: window closes are already serialised)
   */
  constructor(
    private readonly size: number,
    private readonly queueMax = Infinity,
  ) {
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  private spawn(): Worker {
    const w = new Worker(new URL('./detector-worker.js', import.meta.url));
    w.on('message', (reply: DetectReply) => {
      const p = this.busy.get(w);
      if (!p) return;
      this.busy.delete(w);
      if (reply.ok) p.resolve(reply.verdict);
      else p.reject(new InternalError(`detectors: ${reply.error}`));
      this.idle.push(w);
      this.pump();
    });
    w.on('error', (e) => this.lost(w, e));
    w.on('exit', (code) => this.lost(w, new Error(`detector worker exited with code ${code}`)));
    return w;
  }

  private lost(w: Worker, e: Error): void {
    const p = this.busy.get(w);
    this.busy.delete(w);
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
    p?.reject(new InternalError(`detector worker failed: ${e.message}`));
    if (!this.closed && this.idle.length + this.busy.size < this.size) {
      this.idle.push(this.spawn());
      this.pump();
    }
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop() as Worker;
      const p = this.queue.shift() as Pending;
      this.busy.set(w, p);
      w.postMessage(p.job);
    }
  }

  /** Runs the detectors of one window. @throws UnavailableError once closed. */
  run(reference: Reference | undefined, window: WindowData, settings: DetectorSettings): Promise<Verdict> {
    if (this.closed) return Promise.reject(new UnavailableError('detector pool closed'));
    if (this.queue.length >= this.queueMax) return Promise.reject(new ResourceExhaustedError(`${this.queue.length} tests are already waiting for the detector worker; retry later`));
    return new Promise<Verdict>((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, reference, window, settings }, resolve, reject });
      this.pump();
    });
  }

  /** Stops the workers; queued jobs fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new UnavailableError('detector pool closed'));
    const all = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    await Promise.all(all.map((w) => w.terminate()));
  }
}
