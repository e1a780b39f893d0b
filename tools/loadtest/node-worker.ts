/**
 * One load-generating process of the node engine (forked by node-engine.ts): `loops` closed
 * loops on its own gRPC channel, each keeping one request in flight (paced when a rate is set).
 * Reports progress every second and, at the end, every latency in µs.
 */
import { connectionOptions } from './connection.js';
import type { LoadConnection } from './connection.js';
import { statusName } from '../../shared/grpc/index.js';
import { InferenceClient } from '../../services/inference/index.js';
import type { ModelInferRequest } from '../../shared/generated/inference/ModelInferRequest.js';

/** Sent by the parent to start. */
export interface WorkerTask {
  target: string;
  /** TLS files and a token. @default plaintext */
  connection?: LoadConnection;
  request: ModelInferRequest;
  loops: number;
  durationMs: number;
  /** Requests this process sends at most (0: no limit; the duration still bounds the run). */
  requests: number;
  /** Requests per second for this process, or 0 for as fast as possible. */
  rate: number;
  deadlineMs: number;
}

/** Sent to the parent. */
export type WorkerReport =
  | { type: 'progress'; ok: number; errors: number }
  | { type: 'done'; latenciesUs: Float64Array; errors: Record<string, number>; ok: number };

async function run(task: WorkerTask): Promise<void> {
  // Raw buffers must be Buffers after IPC (advanced serialization gives Uint8Arrays).
  task.request.raw_input_contents = (task.request.raw_input_contents ?? []).map((b) => Buffer.from(b as Uint8Array));
  const client = new InferenceClient(task.target, connectionOptions(task.connection));
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let ok = 0;
  let failed = 0;
  let sent = 0;
  const end = Date.now() + task.durationMs;
  const perLoopIntervalMs = task.rate > 0 ? (1000 * task.loops) / task.rate : 0;
  const progress = setInterval(() => process.send?.({ type: 'progress', ok, errors: failed } satisfies WorkerReport), 1000);
  await Promise.all(
    Array.from({ length: task.loops }, async (_, loop) => {
      let next = Date.now() + (perLoopIntervalMs * loop) / task.loops;
      while (Date.now() < end && (task.requests === 0 || sent < task.requests)) {
        sent++;
        if (perLoopIntervalMs > 0) {
          const wait = next - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          next += perLoopIntervalMs;
          if (Date.now() >= end) break;
        }
        const t0 = process.hrtime.bigint();
        try {
          await client.infer(task.request, { deadlineMs: task.deadlineMs });
          latencies.push(Number(process.hrtime.bigint() - t0) / 1000);
          ok++;
        } catch (e: unknown) {
          const code = (e as { code?: number }).code;
          const name = typeof code === 'number' ? statusName(code) : 'CLIENT_ERROR';
          errors[name] = (errors[name] ?? 0) + 1;
          failed++;
        }
      }
    }),
  );
  clearInterval(progress);
  client.close();
  process.send?.({ type: 'done', latenciesUs: Float64Array.from(latencies), errors, ok } satisfies WorkerReport, () => process.exit(0));
}

process.once('message', (task: WorkerTask) => {
  void run(task);
});
