/**
 * Routing benchmark (not a test): `mlmesh bench routing [--runs 5] [--duration 5]`.
 *
 * One inference process (its own, on free loopback ports, prediction logging to a private
 * nats-server in every mode) serving digits_mlp at versions 1 and 2 (copies), one instance each.
 * Single-row ModelInfer without a version from h2load at 64 streams over 4 connections, in
 * interleaved rounds (the order rotates every run), one mode after the other on the same
 * process:
 * - `off`: the model has no route (the newest version, 2, serves everything);
 * - `on_same`: a two-version route 2=100, 1=0 (the routing code runs in full, the work lands
 *   where it does with `off`: the routing cost alone);
 * - `on_9010`: a route 2=90, 1=10 (a canary split: version 1's instance takes a tenth of
 *   the rows, so two session workers share the two cores with h2load and the gRPC thread).
 * Each route is written to KV and waited for (a probe's response carries its revision) before
 * its round. Then, in-process (free of the machine's noise), the cost of the choice itself and
 * of encoding a response with the two route parameters vs without. Prints the medians of req/s,
 * p50 and p99 per mode, the medians of the per-run ratios on/off and the in-process costs, and
 * writes bench/results/<date>-routing.json.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { projectRoot } from '../shared/config/index.js';
import type { Route } from '../shared/events/index.js';
import { RouteStore, chooseVersion, compileRoute } from '../shared/routes/index.js';
import { loadPackage } from '../shared/protos/index.js';
import { InferenceClient } from '../services/inference/index.js';
import { loadTest } from '../tools/loadtest/index.js';
import { benchOptions } from '../tools/cli/bench-specs.js';
import { NatsServer } from '../test/helpers/nats-server.js';
import { freePort, median } from './common.js';

const values = benchOptions('routing');
const RUNS = Number(values.runs);
const D = Number(values.duration);
const C = Number(values.concurrency);
const root = projectRoot();
const MODEL = 'digits_mlp';



type Mode = 'off' | 'on_same' | 'on_9010';
const MODES: readonly Mode[] = ['off', 'on_same', 'on_9010'];
const ROUTES: Record<Exclude<Mode, 'off'>, Route['versions']> = {
  on_same: [
    { version: '2', weight: 100 },
    { version: '1', weight: 0 },
  ],
  on_9010: [
    { version: '2', weight: 90 },
    { version: '1', weight: 10 },
  ],
};

const tmp = await mkdtemp(join(tmpdir(), 'mlmesh-bench-routing-'));
const nats = await NatsServer.start();
let child: ChildProcess | undefined;
type Row = Record<string, number>;
const runs: Row[] = [];
let errors = 0;
try {
  const repo = join(tmp, 'models');
  await mkdir(join(repo, MODEL), { recursive: true });
  for (const v of ['1', '2']) await cp(join(root, 'examples/models', MODEL, '1'), join(repo, MODEL, v), { recursive: true });
  await writeFile(
    join(repo, MODEL, 'config.json'),
    JSON.stringify({ max_batch_size: 256, dynamic_batching: { max_queue_delay_microseconds: 0, max_queue_size: 4096 }, instance_group: [{ count: 1 }], intra_op_threads: 1, version_policy: { all: {} } }),
  );
  const port = await freePort();
  child = spawn(process.execPath, ['--enable-source-maps', join(root, 'dist/services/inference/main.js')], {
    env: { ...process.env, MLMESH_LOG_LEVEL: 'warn', MLMESH_INFERENCE_GRPC_PORT: String(port), MLMESH_INFERENCE_HTTP_PORT: '-1', MLMESH_INFERENCE_MODEL_REPOSITORY: repo, MLMESH_INFERENCE_SPOOL_DIR: join(tmp, 'spool'), NATS_URL: nats.url },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const target = `127.0.0.1:${port}`;
  const client = new InferenceClient(target);
  for (let i = 0; ; i++) {
    try {
      if ((await client.modelReady(MODEL, '2', { deadlineMs: 500 })).ready) break;
    } catch (e: unknown) {
      if (i > 300) throw new Error(`inference did not come up: ${e instanceof Error ? e.message : String(e)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const nc = await connect({ servers: nats.url });
  const store = await RouteStore.create(nc);
  const probe = { model_name: MODEL, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }], raw_input_contents: [Buffer.alloc(64 * 4)] };
  /** Writes the mode's route (or deletes it) and waits until the service answers by it. */
  const setMode = async (mode: Mode): Promise<void> => {
    let want = '';
    if (mode === 'off') await store.delete(MODEL);
    else want = String((await store.put({ model: MODEL, versions: ROUTES[mode], written_by: 'bench routing' })).route.revision);
    for (let i = 0; ; i++) {
      const res = await client.infer(probe, { deadlineMs: 2000 });
      if ((res.parameters['mlmesh_route_revision']?.int64_param ?? '') === want) return;
      if (i > 500) throw new Error(`route of mode ${mode} not in force after 5 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  // Warm-up: every mode once, not measured.
  for (const mode of MODES) {
    await setMode(mode);
    await loadTest({ target, model: MODEL, rows: 1, concurrency: C, durationS: 1, engine: 'h2load', connections: 4 });
  }
  for (let r = 0; r < RUNS; r++) {
    const row: Row = {};
    // Rotate the order so that no mode always runs first (or after the same one).
    const order = MODES.map((_, i) => MODES[(i + r) % MODES.length] as Mode);
    for (const mode of order) {
      await setMode(mode);
      const res = await loadTest({ target, model: MODEL, rows: 1, concurrency: C, durationS: D, engine: 'h2load', connections: 4 });
      errors += Object.values(res.errors).reduce((a, b) => a + b, 0);
      row[`${mode}_req_s`] = res.throughput;
      row[`${mode}_p50_ms`] = res.latencyMs.p50;
      row[`${mode}_p99_ms`] = res.latencyMs.p99;
    }
    for (const mode of ['on_same', 'on_9010'] as const) {
      row[`${mode}/off req/s`] = (row[`${mode}_req_s`] as number) / (row['off_req_s'] as number);
      row[`${mode}/off p50`] = (row[`${mode}_p50_ms`] as number) / (row['off_p50_ms'] as number);
      row[`${mode}/off p99`] = (row[`${mode}_p99_ms`] as number) / (row['off_p99_ms'] as number);
    }
    runs.push(row);
    process.stderr.write(`run ${r + 1}/${RUNS}: ${MODES.map((m) => `${m} ${Math.round(row[`${m}_req_s`] as number)} req/s`).join(', ')}\n`);
  }
  client.close();
  await nc.close();
} finally {
  if (child && child.exitCode === null) {
    const c = child;
    c.kill('SIGTERM');
    await new Promise((r) => c.once('exit', r));
  }
  await nats.dispose();
  await rm(tmp, { recursive: true, force: true });
}

// In-process, free of the machine's noise: the routing choice, and the response encoding with
// and without the two route parameters (what grpc-js runs per answer), per request.
const inproc: Row = {};
{
  const c = compileRoute({ model: MODEL, versions: ROUTES.on_9010 });
  const N = 1_000_000;
  let sink = 0;
  let t0 = performance.now();
  for (let i = 0; i < N; i++) sink += chooseVersion(c, undefined).version.length;
  inproc['choose µs per request (in-process)'] = ((performance.now() - t0) * 1000) / N;
  const sticky = compileRoute({ model: MODEL, versions: ROUTES.on_9010, sticky: 'request_id' });
  t0 = performance.now();
  for (let i = 0; i < N; i++) sink += chooseVersion(sticky, `req-${i}`).version.length;
  inproc['choose sticky µs per request (in-process)'] = ((performance.now() - t0) * 1000) / N;
  const def = loadPackage(['inference/grpc_service.proto'])['inference.GRPCInferenceService'] as Record<string, { responseSerialize: (v: unknown) => Buffer }>;
  const serialize = def['ModelInfer']!.responseSerialize;
  const base = { model_name: MODEL, model_version: '2', id: 'req-1', outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1, 10] }], raw_output_contents: [Buffer.alloc(40)] };
  const withParams = { ...base, parameters: { mlmesh_route_revision: { int64_param: 3 }, mlmesh_route: { string_param: 'weights' } } };
  const time = (v: unknown): number => {
    const M = 200_000;
    const s0 = performance.now();
    for (let i = 0; i < M; i++) sink += serialize(v).byteLength;
    return ((performance.now() - s0) * 1000) / M;
  };
  time(base);
  time(withParams);
  const plain: number[] = [];
  const routed: number[] = [];
  for (let r = 0; r < 5; r++) {
    plain.push(time(base));
    routed.push(time(withParams));
  }
  inproc['response encode µs, no route parameters (in-process)'] = median(plain);
  inproc['response encode µs, with route parameters (in-process)'] = median(routed);
  if (sink === 42) process.stderr.write('\n');
}

const medians: Row = {};
for (const k of Object.keys(runs[0] ?? {})) medians[k] = median(runs.map((r) => r[k] as number));
medians['errors (all runs)'] = errors;
Object.assign(medians, inproc);
const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(3) : v.toFixed(3));
let table = `| metric (median of ${RUNS} runs, ${D} s each, ${C} in flight, 1 row) | value |\n| --- | ---: |\n`;
for (const [k, v] of Object.entries(medians)) table += `| ${k} | ${fmt(v)} |\n`;
const goal = medians['on_9010/off req/s'] as number;
const goalSame = medians['on_same/off req/s'] as number;
table += `\ngoal: at most 2% fewer req/s with routing on — on_same ${(100 * (goalSame - 1)).toFixed(1)}% (${goalSame >= 0.98 ? 'met' : 'missed'}), on_9010 ${(100 * (goal - 1)).toFixed(1)}% (${goal >= 0.98 ? 'met' : 'missed'})\n`;
process.stdout.write(table);
await mkdir(join(root, 'bench/results'), { recursive: true });
const file = join(root, 'bench/results', `${new Date().toISOString().slice(0, 10)}-routing.json`);
await writeFile(file, JSON.stringify({ date: new Date().toISOString(), host: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, runs: RUNS, durationS: D, concurrency: C, medians, allRuns: runs }, null, 2) + '\n');
process.stderr.write(`wrote ${file}\n`);
