/**
 * A small pool of worker threads for MMD tests: jobs queue and run one per worker, so a test of
 * 500 × 500 rows with 1000 permutations (~0.4 s of CPU) never blocks the event loop that serves
 * gRPC and consumes NATS. A worker that dies is replaced; its job fails.
 */
import { Worker } from 'node:worker_threads';
import { InternalError, UnavailableError } from '../../shared/errors/index.js';
import type { MmdInput, MmdResult } from './stats/index.js';
import type { MmdJob, MmdReply } from './mmd-worker.js';

interface Pending {
  job: MmdJob;
  resolve: (r: MmdResult) => void;
  reject: (e: Error) => void;
}

/** Runs {@link mmdTest} jobs in worker threads. */
export class MmdPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  /** @param size number of worker threads */
  constructor(private readonly size: number) {
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  private spawn(): Worker {
    const w = new Worker(new URL('./mmd-worker.js', import.meta.url));
    w.on('message', (reply: MmdReply) => {
      const p = this.busy.get(w);
      if (!p) return;
      this.busy.delete(w);
      if (reply.ok) p.resolve(reply.result);
      else p.reject(new InternalError(`mmd: ${reply.error}`));
      this.idle.push(w);
      this.pump();
    });
    w.on('error', (e) => this.lost(w, e));
    w.on('exit', (code) => this.lost(w, new Error(`mmd worker exited with code ${code}`)));
    return w;
  }

  private lost(w: Worker, e: Error): void {
    const p = this.busy.get(w);
    this.busy.delete(w);
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
    p?.reject(new InternalError(`mmd worker failed: ${e.message}`));
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

  /** Runs one test; resolves with its result. @throws UnavailableError once closed. */
  run(input: MmdInput): Promise<MmdResult> {
    if (this.closed) return Promise.reject(new UnavailableError('mmd pool closed'));
    return new Promise<MmdResult>((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, input }, resolve, reject });
      this.pump();
    });
  }

  /** Stops the workers; queued jobs fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new UnavailableError('mmd pool closed'));
    const all = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    await Promise.all(all.map((w) => w.terminate()));
  }
}
