/**
 * Event-loop (gRPC-thread) cost of logging one prediction while NATS is down, per fsync policy:
 * `npm run build && node dist/bench/prediction-log.js [--n 3000] [--runs 3]`.
 *
 * Calls `PredictionLogger.record()` — encode the PredictionLog, hand it to the publisher, which
 * spools it — for digits_mlp-sized predictions (a 64-float input, 10-float output), one call per
 * `setImmediate` as requests arrive, and measures how long each call holds the thread. Then
 * `drain()` waits until the spool has it all. Prints medians over runs of the per-call median,
 * p99 and mean, and of the total drain time.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { projectRoot } from '../shared/config/index.js';
import { createLogger } from '../shared/logging/index.js';
import { DurablePublisher } from '../shared/nats/index.js';
import type { FsyncPolicy } from '../shared/nats/index.js';
import { parseModelConfig } from '../services/inference/index.js';
import { PredictionLogger } from '../services/inference/prediction-log.js';
import type { Prediction } from '../services/inference/prediction-log.js';
import { benchOptions } from '../tools/cli/bench-specs.js';

const values = benchOptions('prediction-log');
const N = Number(values.n);
// digits_mlp's config.json sets max_batch_size, so no completion from the ONNX file is needed here.
const parsed = parseModelConfig(JSON.parse(readFileSync(join(projectRoot(), 'examples/models/digits_mlp/config.json'), 'utf8')), 'digits_mlp');
const config = { ...parsed, maxBatchSize: parsed.maxBatchSize ?? 0 };
const logger = createLogger({ service: 'bench', level: 'error' });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] as number;

function prediction(i: number): Prediction {
  return {
    requestId: `bench-${i}`,
    model: 'digits_mlp',
    version: '1',
    config,
    latencyUs: 500,
    timeMs: Date.now(),
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], bytes: new Uint8Array(new Float32Array(64).fill(i % 7).buffer) }],
    outputs: [{ name: 'logits', datatype: 'FP32', shape: [1, 10], bytes: new Uint8Array(new Float32Array(10).fill(i % 3).buffer) }],
    parameters: {},
  };
}

async function run(fsync: FsyncPolicy): Promise<{ p50: number; p99: number; mean: number; drainMs: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-bench-predlog-'));
  const registry = new Registry();
  // No JetStream client: the publisher spools everything, as while NATS is down.
  const publisher = DurablePublisher.create({ name: 'predictions', spoolDir: dir, fsync, logger, registry });
  const log = new PredictionLogger(publisher, 'bench', registry);
  const us: number[] = [];
  for (let i = 0; i < N; i++) {
    await new Promise((r) => setImmediate(r));
    const p = prediction(i);
    const t0 = process.hrtime.bigint();
    log.record(p);
    us.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  const t0 = process.hrtime.bigint();
  await publisher.drain();
  const drainMs = Number(process.hrtime.bigint() - t0) / 1e6;
  await rm(dir, { recursive: true, force: true });
  return { p50: pct(us, 0.5), p99: pct(us, 0.99), mean: us.reduce((a, b) => a + b, 0) / us.length, drainMs };
}

await run('never'); // warm-up (JIT), not reported
for (const fsync of ['never', 'interval', 'always'] as const) {
  const rows: Awaited<ReturnType<typeof run>>[] = [];
  for (let r = 0; r < Number(values.runs); r++) rows.push(await run(fsync));
  const m = (k: keyof (typeof rows)[number]) => median(rows.map((x) => x[k])).toFixed(k === 'drainMs' ? 1 : 2);
  process.stdout.write(`spoolFsync=${fsync}: record() holds the thread p50 ${m('p50')} µs, p99 ${m('p99')} µs, mean ${m('mean')} µs; drain after ${N}: ${m('drainMs')} ms\n`);
}
