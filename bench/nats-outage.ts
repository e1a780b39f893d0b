/**
 * Prediction latency with NATS up vs down (the prediction log spooling to disk), side by side:
 * `npm run build && node dist/bench/nats-outage.js [--runs 3] [--duration 5] [--concurrency 16]`.
 * Starts a private nats-server and the inference service (digits_mlp, logging on), then
 * alternates h2load runs with NATS up and stopped; prints medians of p50/p99 and req/s.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../shared/config/index.js';
import { NatsServer } from '../test/helpers/nats-server.js';
import { loadTest } from '../tools/loadtest/index.js';
import { benchOptions } from '../tools/cli/bench-specs.js';

const values = benchOptions('nats-outage');
const root = projectRoot();
const nats = await NatsServer.start();
const spool = await mkdtemp(join(tmpdir(), 'mlmesh-bench-spool-'));
const svc = spawn(process.execPath, ['dist/services/inference/main.js'], {
  cwd: root,
  env: { ...process.env, MLMESH_INFERENCE_GRPC_PORT: '0', MLMESH_INFERENCE_HTTP_PORT: '-1', MLMESH_INFERENCE_STARTUP_MODELS: 'digits_mlp', NATS_URL: nats.url, MLMESH_INFERENCE_SPOOL_DIR: spool, MLMESH_LOG_LEVEL: 'info' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const address = await new Promise<string>((resolve) => {
  let buf = '';
  svc.stdout.setEncoding('utf8').on('data', (c: string) => {
    buf += c;
    const m = /"address":"([^"]+)","httpPort".*"msg":"inference service ready"/.exec(buf);
    if (m) resolve(m[1] as string);
  });
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const rows: Record<'up' | 'down', { rps: number[]; p50: number[]; p99: number[] }> = { up: { rps: [], p50: [], p99: [] }, down: { rps: [], p50: [], p99: [] } };
for (let i = 0; i < Number(values.runs); i++) {
  for (const state of ['up', 'down'] as const) {
    if (state === 'down') await nats.stop();
    else if (i > 0) {
      await nats.restart();
      await new Promise((r) => setTimeout(r, 2000)); // let the spool replay before measuring "up"
    }
    const r = await loadTest({ target: address, model: 'digits_mlp', rows: 1, concurrency: Number(values.concurrency), durationS: Number(values.duration), engine: 'h2load', connections: 1 });
    rows[state].rps.push(r.throughput);
    rows[state].p50.push(r.latencyMs.p50);
    rows[state].p99.push(r.latencyMs.p99);
    process.stderr.write(`run ${i + 1} NATS ${state}: ${r.throughput.toFixed(0)} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms\n`);
  }
}
for (const state of ['up', 'down'] as const) {
  process.stdout.write(`NATS ${state}: median ${median(rows[state].rps).toFixed(0)} req/s, p50 ${median(rows[state].p50)} ms, p99 ${median(rows[state].p99)} ms\n`);
}
process.stdout.write(`p99 down / up: ${(median(rows.down.p99) / median(rows.up.p99)).toFixed(2)}\n`);
svc.kill('SIGTERM');
await new Promise((r) => svc.once('exit', r));
await nats.dispose();
await rm(spool, { recursive: true, force: true });
