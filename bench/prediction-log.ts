/**
 * Prediction-log costs: `npm run build && node dist/bench/prediction-log.js [--n 3000] [--runs 3]
 * [--duration 5] [--concurrency 16]` (or `mlmesh bench prediction-log …`).
 *
 * Part 1, event-loop (gRPC-thread) cost of logging one prediction while NATS is down, per fsync
 * policy:
 *
 * Calls `PredictionLogger.record()` — encode the PredictionLog, hand it to the publisher, which
 * spools it — for digits_mlp-sized predictions (a 64-float input, 10-float output), one call per
 * `setImmediate` as requests arrive, and measures how long each call holds the thread. Then
 * `drain()` waits until the spool has it all. Prints medians over runs of the per-call median,
 * p99 and mean, and of the total drain time.
 *
 * Part 2, `publishDurability` `memory` (default) vs `spool` (zero-loss): two inference processes
 * (digits_mlp, one instance, spool folders on the machine's disk under bench/results/.spool-*), both
 * logging every prediction to one private nats-server, side by side in one run: h2load (single-row
 * ModelInfer, `--concurrency` streams over one connection) against each in turn, `--runs` rounds,
 * the order alternating every round. Prints medians of req/s, p50 and p99 per mode and of the
 * per-round ratios spool/memory, checks that every answered prediction reached the stream, and
 * writes bench/results/<date>-prediction-log.json.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { Registry } from 'prom-client';
import { projectRoot } from '../shared/config/index.js';
import { createLogger } from '../shared/logging/index.js';
import { DurablePublisher } from '../shared/nats/index.js';
import type { FsyncPolicy } from '../shared/nats/index.js';
import { parseModelConfig } from '../services/inference/index.js';
import { PredictionLogger } from '../services/inference/prediction-log.js';
import type { Prediction } from '../services/inference/prediction-log.js';
import { benchOptions } from '../tools/cli/bench-specs.js';
import { InferenceClient } from '../services/inference/index.js';
import { STREAMS } from '../shared/events/index.js';
import { loadTest } from '../tools/loadtest/index.js';
import { NatsServer } from '../test/helpers/nats-server.js';
import { freePort, median } from './common.js';

const values = benchOptions('prediction-log');
const N = Number(values.n);
// digits_mlp's config.json sets max_batch_size, so no completion from the ONNX file is needed here.
const parsed = parseModelConfig(JSON.parse(readFileSync(join(projectRoot(), 'examples/models/digits_mlp/config.json'), 'utf8')), 'digits_mlp');
const config = { ...parsed, maxBatchSize: parsed.maxBatchSize ?? 0 };
const logger = createLogger({ service: 'bench', level: 'error' });
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

const recordCost: Record<string, Record<string, number>> = {};
await run('never'); // warm-up (JIT), not reported
for (const fsync of ['never', 'interval', 'always'] as const) {
  const rows: Awaited<ReturnType<typeof run>>[] = [];
  for (let r = 0; r < Number(values.runs); r++) rows.push(await run(fsync));
  const med = (k: keyof (typeof rows)[number]) => median(rows.map((x) => x[k]));
  recordCost[fsync] = { p50Us: med('p50'), p99Us: med('p99'), meanUs: med('mean'), drainMs: med('drainMs') };
  const m = (k: keyof (typeof rows)[number]) => med(k).toFixed(k === 'drainMs' ? 1 : 2);
  process.stdout.write(`spoolFsync=${fsync}: record() holds the thread p50 ${m('p50')} µs, p99 ${m('p99')} µs, mean ${m('mean')} µs; drain after ${N}: ${m('drainMs')} ms\n`);
}

// Part 2: publishDurability memory vs spool, ModelInfer over gRPC.
const RUNS = Number(values.runs);
const D = Number(values.duration);
const C = Number(values.concurrency);
const root = projectRoot();
type Mode = 'memory' | 'spool';
const MODES: readonly Mode[] = ['memory', 'spool'];
await mkdir(join(root, 'bench/results'), { recursive: true });
// On the machine's disk (not a tmpfs), so that the fsync costs what it costs.
const spoolRoot = await mkdtemp(join(root, 'bench/results/.spool-'));
const nats = await NatsServer.start();
const children: ChildProcess[] = [];
const rounds: Record<string, number>[] = [];
let errors = 0;
let answered = 0;
let stored = 0;
try {
  const targets = {} as Record<Mode, string>;
  for (const mode of MODES) {
    const port = await freePort();
    const child = spawn(process.execPath, ['--enable-source-maps', join(root, 'dist/services/inference/main.js')], {
      cwd: root,
      env: {
        ...process.env,
        MLMESH_LOG_LEVEL: 'warn',
        MLMESH_INFERENCE_GRPC_PORT: String(port),
        MLMESH_INFERENCE_HTTP_PORT: '-1',
        MLMESH_INFERENCE_STARTUP_MODELS: 'digits_mlp',
        MLMESH_INFERENCE_SPOOL_DIR: join(spoolRoot, mode),
        MLMESH_INFERENCE_PUBLISH_DURABILITY: mode,
        NATS_URL: nats.url,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(child);
    targets[mode] = `127.0.0.1:${port}`;
    const client = new InferenceClient(targets[mode]);
    for (let i = 0; ; i++) {
      try {
        if ((await client.modelReady('digits_mlp', '', { deadlineMs: 500 })).ready) break;
      } catch (e: unknown) {
        if (i > 300) throw new Error(`inference (${mode}) did not come up: ${e instanceof Error ? e.message : String(e)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    client.close();
  }
  const nc = await connect({ servers: nats.url });
  const jsm = await nc.jetstreamManager();
  const inStream = async (): Promise<number> => (await jsm.streams.info(STREAMS.predictions.name).catch(() => undefined))?.state.messages ?? 0;
  // Warm-up: each mode once, not measured.
  for (const mode of MODES) {
    const w = await loadTest({ target: targets[mode], model: 'digits_mlp', rows: 1, concurrency: C, durationS: 1, engine: 'h2load', connections: 1 });
    answered += w.ok;
  }
  for (let r = 0; r < RUNS; r++) {
    const row: Record<string, number> = {};
    const order = r % 2 === 0 ? MODES : [...MODES].reverse();
    for (const mode of order) {
      const res = await loadTest({ target: targets[mode], model: 'digits_mlp', rows: 1, concurrency: C, durationS: D, engine: 'h2load', connections: 1 });
      errors += Object.values(res.errors).reduce((a, b) => a + b, 0);
      answered += res.ok;
      row[`${mode}_req_s`] = res.throughput;
      row[`${mode}_p50_ms`] = res.latencyMs.p50;
      row[`${mode}_p99_ms`] = res.latencyMs.p99;
    }
    row['spool/memory req/s'] = (row['spool_req_s'] as number) / (row['memory_req_s'] as number);
    row['spool/memory p50'] = (row['spool_p50_ms'] as number) / (row['memory_p50_ms'] as number);
    row['spool/memory p99'] = (row['spool_p99_ms'] as number) / (row['memory_p99_ms'] as number);
    rounds.push(row);
    process.stderr.write(`round ${r + 1}/${RUNS}: ${MODES.map((m) => `${m} ${Math.round(row[`${m}_req_s`] as number)} req/s p50 ${row[`${m}_p50_ms`]} ms p99 ${row[`${m}_p99_ms`]} ms`).join('; ')}\n`);
  }
  // Every answered prediction is logged: wait (at most 30 s) for the stream to hold them all.
  for (let i = 0; i < 300 && (stored = await inStream()) < answered; i++) await new Promise((res) => setTimeout(res, 100));
  await nc.close();
} finally {
  for (const c of children) {
    if (c.exitCode === null) {
      c.kill('SIGTERM');
      await new Promise((r) => c.once('exit', r));
    }
  }
  await nats.dispose();
  await rm(spoolRoot, { recursive: true, force: true });
}
const medians: Record<string, number> = {};
for (const k of Object.keys(rounds[0] ?? {})) medians[k] = median(rounds.map((x) => x[k] as number));
let table = `\n| publishDurability (median of ${RUNS} rounds, ${D} s each, ${C} in flight, 1 row) | req/s | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: |\n`;
for (const mode of MODES) table += `| ${mode} | ${(medians[`${mode}_req_s`] as number).toFixed(0)} | ${(medians[`${mode}_p50_ms`] as number).toFixed(2)} | ${(medians[`${mode}_p99_ms`] as number).toFixed(2)} |\n`;
table += `| spool/memory (median of per-round ratios) | ${(medians['spool/memory req/s'] as number).toFixed(2)} | ${(medians['spool/memory p50'] as number).toFixed(2)} | ${(medians['spool/memory p99'] as number).toFixed(2)} |\n`;
table += `\nerrors: ${errors}; answered ${answered}, in the stream ${stored}${stored >= answered ? '' : ' (MISSING LOGS)'}\n`;
process.stdout.write(table);
const file = join(root, 'bench/results', `${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}-prediction-log.json`);
await writeFile(
  file,
  JSON.stringify({ date: new Date().toISOString(), host: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, n: N, runs: RUNS, durationS: D, concurrency: C, recordCost, durability: { medians, rounds, errors, answered, stored } }, null, 2) + '\n',
);
process.stderr.write(`wrote ${file}\n`);
