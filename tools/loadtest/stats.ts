/** Latency statistics and the result of one load test. */

/** Result of a load test, as printed and written to JSON. */
export interface LoadResult {
  engine: 'node' | 'h2load';
  target: string;
  model: string;
  rowsPerRequest: number;
  concurrency: number;
  /** Requested total rate (requests/s), or null for as fast as possible. */
  rate: number | null;
  durationS: number;
  requests: number;
  ok: number;
  /** Errors by gRPC status name (node engine) or by HTTP/transport failure (h2load). */
  errors: Record<string, number>;
  throughput: number;
  rowsPerS: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

/** The q-quantile (0..1) of sorted values, nearest-rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

/** Latency summary (ms) of latencies given in µs. */
export function summarize(latenciesUs: Float64Array): LoadResult['latencyMs'] {
  const s = Float64Array.from(latenciesUs).sort();
  const ms = (us: number) => Math.round(us) / 1000;
  let sum = 0;
  for (const v of s) sum += v;
  return {
    p50: ms(quantile(s, 0.5)),
    p90: ms(quantile(s, 0.9)),
    p99: ms(quantile(s, 0.99)),
    max: ms(s.length ? (s[s.length - 1] as number) : NaN),
    mean: ms(s.length ? sum / s.length : NaN),
  };
}

/** One human line for a result. */
export function formatResult(r: LoadResult): string {
  const errs = Object.entries(r.errors).map(([k, v]) => `${k}=${v}`).join(' ') || 'none';
  return [
    `${r.engine} → ${r.target} model=${r.model} rows=${r.rowsPerRequest} concurrency=${r.concurrency}${r.rate ? ` rate=${r.rate}/s` : ''}`,
    `  ${r.requests} requests in ${r.durationS.toFixed(1)} s: ${r.throughput.toFixed(0)} req/s, ${r.rowsPerS.toFixed(0)} rows/s`,
    `  latency ms: p50 ${r.latencyMs.p50} p90 ${r.latencyMs.p90} p99 ${r.latencyMs.p99} max ${r.latencyMs.max} (mean ${r.latencyMs.mean})`,
    `  errors: ${errs}`,
  ].join('\n');
}
