/**
 * `npx mlmesh bench inference-layers` — where a single-row ModelInfer call's CPU goes, layer by
 * layer, measured side by side in one run. The same h2load load (a prepared digits_mlp
 * single-row request, `--concurrency` streams over 4 connections) against four servers, each in
 * its own process:
 *   raw          node:http2 and protobufjs alone, a fixed answer (bench/layers-server.ts raw);
 *   host         mlmesh's GrpcServer, ModelInfer on the fast unary path, a handler that answers
 *                at once (bench/layers-server.ts host);
 *   host_grpcjs  the same through grpc-js's call stack (the fast unary path off);
 *   service      the inference service with digits_mlp (max_batch_size 256, no queue delay, one
 *                instance, 1 intra-op thread: the configuration of `npm run bench`).
 * For each: calls/s, and the server process's CPU time (user + system, all its threads, from
 * /proc/<pid>/stat) per answered call in µs. The differences between rows are the cost of each
 * layer: host − raw is mlmesh's call framework, service − host the inference itself (decode and
 * checks, batching, the worker hand-off, the run, the answer). On two cores h2load takes a share
 * of the CPU too, so calls/s of the cheaper servers is bounded by it; the CPU per call is not.
 * Medians of `--runs` runs, servers interleaved. Writes bench/results/<date>-inference-layers.json.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../shared/config/index.js';
import { InferenceClient, buildManifest } from '../services/inference/index.js';
import { buildRequest, grpcFrame, runH2load } from '../tools/loadtest/index.js';
import { benchOptions } from '../tools/cli/bench-specs.js';
import { procStat } from '../test/helpers/process.js';
import { median, startChild, stopChild } from './common.js';
import type { Child } from './common.js';

const values = benchOptions('inference-layers');
const RUNS = Number(values.runs);
const D = Number(values.duration);
const CONCURRENCY = Number(values.concurrency);
const root = projectRoot();
const PATH = '/inference.GRPCInferenceService/ModelInfer';

/** CPU seconds (user + system, every thread) the process has used so far; Linux /proc. */
function cpuSeconds(pid: number): number {
  const fields = procStat(pid);
  // utime and stime are fields 14 and 15 of stat(5), 12 and 13 after the ')'.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Server extends Child {
  name: string;
}

const start = async (name: string, args: string[], env: Record<string, string>, portOf: (rec: Record<string, unknown>) => number | undefined): Promise<Server> => ({ name, ...(await startChild(args, env, portOf)) });

if (process.platform !== 'linux') {
  process.stderr.write('bench/inference-layers.js: reads CPU time from /proc (Linux only)\n');
  process.exit(2);
}

// The service's repository: digits_mlp as `npm run bench` configures it.
const repo = await mkdtemp(join(tmpdir(), 'mlmesh-layers-'));
const version = join(repo, 'digits_mlp', '1');
await mkdir(version, { recursive: true });
await cp(join(root, 'examples/models/digits_mlp/1/model.onnx'), join(version, 'model.onnx'));
const manifest = await buildManifest(version, ['model.onnx'], { training_data_sha256: null, parent_version: null, produced_by: 'bench', created_at: new Date().toISOString(), metrics: {} });
await writeFile(join(version, 'manifest.json'), JSON.stringify(manifest));
await writeFile(join(repo, 'digits_mlp', 'config.json'), JSON.stringify({ max_batch_size: 256, dynamic_batching: { max_queue_delay_microseconds: 0, max_queue_size: 4096 }, instance_group: [{ count: 1 }], intra_op_threads: 1 }));

const byPort = (rec: Record<string, unknown>): number | undefined => (typeof rec['port'] === 'number' ? rec['port'] : undefined);
const servers: Server[] = [];
try {
  servers.push(await start('raw', ['dist/bench/layers-server.js', 'raw'], {}, byPort));
  servers.push(await start('host', ['dist/bench/layers-server.js', 'host'], {}, byPort));
  servers.push(await start('host_grpcjs', ['dist/bench/layers-server.js', 'host-grpcjs'], {}, byPort));
  servers.push(
    await start('service', ['dist/services/inference/main.js'], { MLMESH_INFERENCE_GRPC_PORT: '0', MLMESH_INFERENCE_HTTP_PORT: '-1', MLMESH_INFERENCE_MODEL_REPOSITORY: repo, MLMESH_LOG_LEVEL: 'info', NATS_URL: '' }, (rec) =>
      rec['msg'] === 'inference service ready' ? Number(String(rec['address']).split(':')[1]) : undefined,
    ),
  );
  const service = servers[3] as Server;
  const client = new InferenceClient(`127.0.0.1:${service.port}`);
  const frame = grpcFrame(buildRequest(await client.modelMetadata('digits_mlp'), 1));
  client.close();

  const rows: Record<string, { callsPerS: number[]; cpuUsPerCall: number[]; errors: number[] }> = {};
  for (const s of servers) rows[s.name] = { callsPerS: [], cpuUsPerCall: [], errors: [] };
  for (let run = 0; run < RUNS; run++) {
    process.stderr.write(`run ${run + 1}/${RUNS}\n`);
    for (const s of servers) {
      const pid = s.proc.pid as number;
      const before = cpuSeconds(pid);
      const r = await runH2load({ target: `127.0.0.1:${s.port}`, model: 'digits_mlp', path: PATH, frame, rows: 1, concurrency: CONCURRENCY, durationS: D, rate: 0, connections: Math.min(4, CONCURRENCY) });
      const cpu = cpuSeconds(pid) - before;
      const row = rows[s.name] as (typeof rows)[string];
      row.callsPerS.push(r.throughput);
      // h2load's run includes a short ramp on each side of its timed window: CPU over all answered calls.
      row.cpuUsPerCall.push((cpu * 1e6) / Math.max(1, r.ok));
      row.errors.push(r.requests - r.ok);
    }
  }
  const med = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, { callsPerS: median(v.callsPerS), cpuUsPerCall: median(v.cpuUsPerCall), errors: Math.max(...v.errors) }]));
  const cpu = (k: string): number => (med[k] as { cpuUsPerCall: number }).cpuUsPerCall;
  let table = `| server (median of ${RUNS} runs, ${D} s each, ${CONCURRENCY} streams) | calls/s | CPU µs per call | errors |\n| --- | ---: | ---: | ---: |\n`;
  for (const [k, v] of Object.entries(med)) table += `| ${k} | ${v.callsPerS.toFixed(0)} | ${v.cpuUsPerCall.toFixed(1)} | ${v.errors} |\n`;
  const layers = {
    framework_fast_us: cpu('host') - cpu('raw'),
    framework_grpcjs_us: cpu('host_grpcjs') - cpu('raw'),
    inference_us: cpu('service') - cpu('host'),
  };
  table += `\nmlmesh's call framework (host − raw): ${layers.framework_fast_us.toFixed(1)} µs per call on the fast unary path, ${layers.framework_grpcjs_us.toFixed(1)} µs through grpc-js; the inference itself (service − host): ${layers.inference_us.toFixed(1)} µs\n`;
  process.stdout.write(`\n${table}`);
  const out = join(root, 'bench/results');
  await mkdir(out, { recursive: true });
  const file = join(out, `${new Date().toISOString().slice(0, 10)}-inference-layers.json`);
  await writeFile(file, JSON.stringify({ date: new Date().toISOString(), runs: RUNS, durationS: D, concurrency: CONCURRENCY, medians: med, layers, perRun: rows }, null, 2));
  process.stdout.write(`wrote ${file}\n`);
} finally {
  await Promise.all(servers.map(stopChild));
  await rm(repo, { recursive: true, force: true });
}
