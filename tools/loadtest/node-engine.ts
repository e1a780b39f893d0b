/** The node engine: several processes of grpc-js clients, so the client is not the bottleneck. */
import type { LoadConnection } from './connection.js';
import { fork } from 'node:child_process';
import type { ModelInferRequest } from '../../shared/generated/inference/ModelInferRequest.js';
import { summarize } from './stats.js';
import type { LoadResult } from './stats.js';
import type { WorkerReport, WorkerTask } from './node-worker.js';

/** Options of a node-engine run. */
export interface NodeRunOptions {
  target: string;
  model: string;
  request: ModelInferRequest;
  rows: number;
  concurrency: number;
  durationMs: number;
  /** Total requests to send (0: as many as the duration allows). */
  requests?: number;
  /** Total requests/s, or 0 for as fast as possible. */
  rate: number;
  /** Client processes. @default min(concurrency, 4) */
  processes?: number;
  deadlineMs?: number;
  /** Called about once a second with totals so far. */
  onProgress?: (ok: number, errors: number, elapsedMs: number) => void;
  /** TLS files and a token for the calls. @default plaintext */
  connection?: LoadConnection;
}

/** Runs the load and returns its result. */
export async function runNodeEngine(o: NodeRunOptions): Promise<LoadResult> {
  const procs = Math.max(1, Math.min(o.processes ?? 4, o.concurrency));
  const started = Date.now();
  const progress = new Map<number, { ok: number; errors: number }>();
  const reports = await Promise.all(
    Array.from({ length: procs }, (_, i) => {
      const loops = Math.floor(o.concurrency / procs) + (i < o.concurrency % procs ? 1 : 0);
      const child = fork(new URL('./node-worker.js', import.meta.url), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const task: WorkerTask = {
        target: o.target,
        ...(o.connection ? { connection: o.connection } : {}),
        request: o.request,
        loops,
        durationMs: o.durationMs,
        requests: o.requests ? Math.floor(o.requests / procs) + (i < o.requests % procs ? 1 : 0) : 0,
        rate: o.rate > 0 ? (o.rate * loops) / o.concurrency : 0,
        deadlineMs: o.deadlineMs ?? 30_000,
      };
      child.send(task);
      return new Promise<Extract<WorkerReport, { type: 'done' }>>((resolve, reject) => {
        child.on('message', (m: WorkerReport) => {
          if (m.type === 'progress') {
            progress.set(i, m);
            let ok = 0;
            let errors = 0;
            for (const p of progress.values()) {
              ok += p.ok;
              errors += p.errors;
            }
            if (i === 0) o.onProgress?.(ok, errors, Date.now() - started);
          } else resolve(m);
        });
        child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`load process ${i} exited with code ${code}`))));
      });
    }),
  );
  const durationS = (Date.now() - started) / 1000;
  const all = new Float64Array(reports.reduce((n, r) => n + r.latenciesUs.length, 0));
  let off = 0;
  const errors: Record<string, number> = {};
  let ok = 0;
  for (const r of reports) {
    all.set(r.latenciesUs, off);
    off += r.latenciesUs.length;
    ok += r.ok;
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  }
  const failed = Object.values(errors).reduce((a, b) => a + b, 0);
  return {
    engine: 'node',
    target: o.target,
    model: o.model,
    rowsPerRequest: o.rows,
    concurrency: o.concurrency,
    rate: o.rate > 0 ? o.rate : null,
    durationS,
    requests: ok + failed,
    ok,
    errors,
    throughput: ok / durationS,
    rowsPerS: (ok * o.rows) / durationS,
    latencyMs: summarize(all),
  };
}
