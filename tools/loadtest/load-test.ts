/**
 * The load test as a library (`mlmesh loadtest` is its command, tools/cli/loadtest.ts; the
 * benchmarks call it too):
 *
 *   mlmesh loadtest [--address 127.0.0.1:8001] [--model digits_mlp] [--version ''] [--rows 1]
 *     [--concurrency 16] [--duration 10 (seconds) | --requests N] [--rate 0 (req/s; 0 = max)]
 *     [--engine node|h2load] [--processes 4 (node)] [--connections 1 (h2load)] [--out out.json]
 *
 * The node engine runs several processes of grpc-js clients and reports errors by gRPC status;
 * the h2load engine sends a prepared gRPC frame with nghttp2's h2load (cheapest client, but it
 * sees HTTP statuses only: the request is checked with one real call first). `onProgress` is
 * called every second; the result holds throughput, p50/p90/p99/max latency and errors.
 */
import { InferenceClient } from '../../services/inference/index.js';
import { buildRequest, grpcFrame } from './request.js';
import { runH2load } from './h2load-engine.js';
import { runNodeEngine } from './node-engine.js';
import { connectionOptions } from './connection.js';
import type { LoadConnection } from './connection.js';
import type { LoadResult } from './stats.js';

/** Options of {@link loadTest}. */
export interface LoadTestOptions {
  target: string;
  model: string;
  version?: string;
  rows: number;
  concurrency: number;
  durationS: number;
  /** Stop after this many requests (0 or absent: run for `durationS`). */
  requests?: number;
  rate?: number;
  engine?: 'node' | 'h2load';
  processes?: number;
  connections?: number;
  onProgress?: (ok: number, errors: number, elapsedMs: number) => void;
  /** TLS files and a bearer token for the calls (node engine only). @default plaintext, no token */
  connection?: LoadConnection;
}

/**
 * Runs one load test. The request is built from the model's metadata and sent once first: if
 * that call fails, the test does not run.
 * @throws Error for bad options or a failing first call.
 */
export async function loadTest(o: LoadTestOptions): Promise<LoadResult> {
  for (const [name, v] of [['rows', o.rows], ['concurrency', o.concurrency], ['duration', o.durationS]] as const) {
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number, got ${v}`);
  }
  if (o.requests !== undefined && (!Number.isInteger(o.requests) || o.requests < 0)) throw new Error(`--requests must be a whole number, got ${o.requests}`);
  if (o.connection?.tls && (o.engine ?? 'node') === 'h2load') throw new Error('--engine h2load does not take the TLS options here: use --engine node');
  const client = new InferenceClient(o.target, connectionOptions(o.connection));
  let request;
  try {
    const meta = await client.modelMetadata(o.model, o.version ?? '', { deadlineMs: 5000 });
    request = buildRequest(meta, o.rows, o.version ?? '');
    await client.infer(request, { deadlineMs: 10_000 });
  } finally {
    client.close();
  }
  if ((o.engine ?? 'node') === 'h2load') {
    return runH2load({
      target: o.target,
      model: o.model,
      path: '/inference.GRPCInferenceService/ModelInfer',
      frame: grpcFrame(request),
      rows: o.rows,
      concurrency: o.concurrency,
      durationS: o.durationS,
      requests: o.requests ?? 0,
      rate: o.rate ?? 0,
      connections: o.connections ?? 1,
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
  }
  return runNodeEngine({
    target: o.target,
    ...(o.connection ? { connection: o.connection } : {}),
    model: o.model,
    request,
    rows: o.rows,
    concurrency: o.concurrency,
    // With a request count, the duration is only a safety bound.
    durationMs: (o.requests ? Math.max(o.durationS, 3600) : o.durationS) * 1000,
    requests: o.requests ?? 0,
    rate: o.rate ?? 0,
    processes: o.processes ?? 4,
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
}

