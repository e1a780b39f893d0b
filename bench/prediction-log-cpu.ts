/**
 * What prediction logging costs the inference service in CPU: `node dist/bench/prediction-log-cpu.js
 * [--runs 3] [--duration 8] [--concurrency 64]` (or `mlmesh bench prediction-log-cpu …`).
 *
 * Two inference processes on digits_mlp (one instance, routing off), one with `NATS_URL` unset
 * and one logging every prediction to a private nats-server, loaded in turn by h2load with
 * single-row ModelInfer at `--concurrency` streams over 4 connections (a 2 s warm-up, then
 * `--duration` s measured), the order alternating every run. For each it reads the CPU time of
 * the service process (all its threads, the onnxruntime worker included) and of nats-server from
 * /proc/<pid>/stat over the measured seconds, and prints medians of req/s, CPU µs per request and
 * the per-run ratio logging on / off. Writes bench/results/<date>-prediction-log-cpu.json.
 * Linux only (/proc).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../shared/config/index.js';
import { InferenceClient } from '../services/inference/index.js';
import { NatsServer } from '../test/helpers/nats-server.js';
import { buildRequest, grpcFrame, runH2load } from '../tools/loadtest/index.js';
import { benchOptions } from '../tools/cli/bench-specs.js';
import { median } from './common.js';

const values = benchOptions('prediction-log-cpu');
const RUNS = Number(values.runs);
const D = Number(values.duration);
const C = Number(values.concurrency);
const root = projectRoot();

/** CPU seconds (user + system, all threads) of a process so far. */
function cpuSeconds(pid: number): number {
  const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function startService(env: Record<string, string>): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [join(root, 'dist/services/inference/main.js')], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    proc.once('exit', (code) => reject(new Error(`the inference service exited (${code}) before it was ready`)));
    proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          if (rec['msg'] === 'inference service ready') resolve(Number(String(rec['address']).split(':')[1]));
        } catch {
          // not a log line
        }
      }
    });
  });
  return { proc, port };
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

const nats = await NatsServer.start();
const repo = await mkdtemp(join(tmpdir(), 'mlmesh-logcpu-repo-'));
const spool = await mkdtemp(join(tmpdir(), 'mlmesh-logcpu-spool-'));
await cp(join(root, 'examples/models/digits_mlp'), join(repo, 'digits_mlp'), { recursive: true });
const base = { MLMESH_INFERENCE_GRPC_PORT: '0', MLMESH_INFERENCE_HTTP_PORT: '0', MLMESH_INFERENCE_MODEL_REPOSITORY: repo, MLMESH_LOG_LEVEL: 'info', MLMESH_INFERENCE_ROUTING: 'false', MLMESH_INFERENCE_SPOOL_DIR: spool };
const off = await startService({ ...base, NATS_URL: '' });
const on = await startService({ ...base, NATS_URL: nats.url });
const natsPid = nats.pid as number;
type Row = { reqS: number; svcUsPerReq: number; natsUsPerReq: number; p99Ms: number; errors: number };
const rows: { off: Row; on: Row; ratio: number }[] = [];
try {
  const client = new InferenceClient(`127.0.0.1:${off.port}`);
  const frame = grpcFrame(buildRequest(await client.modelMetadata('digits_mlp'), 1));
  client.close();
  const measure = async (svc: { proc: ChildProcess; port: number }): Promise<Row> => {
    const target = `127.0.0.1:${svc.port}`;
    const load = (durationS: number) => runH2load({ target, model: 'digits_mlp', path: '/inference.GRPCInferenceService/ModelInfer', frame, rows: 1, concurrency: C, durationS, rate: 0, connections: 4 });
    await load(2);
    const pid = svc.proc.pid as number;
    const a = [cpuSeconds(pid), cpuSeconds(natsPid)] as const;
    const r = await load(D);
    const b = [cpuSeconds(pid), cpuSeconds(natsPid)] as const;
    return { reqS: r.throughput, svcUsPerReq: ((b[0] - a[0]) * 1e6) / r.ok, natsUsPerReq: ((b[1] - a[1]) * 1e6) / r.ok, p99Ms: r.latencyMs.p99, errors: r.requests - r.ok };
  };
  for (let run = 0; run < RUNS; run++) {
    process.stderr.write(`prediction-log-cpu: run ${run + 1}/${RUNS}\n`);
    const first = run % 2 === 0 ? off : on;
    const second = first === off ? on : off;
    const x = await measure(first);
    const y = await measure(second);
    const [o, n] = first === off ? [x, y] : [y, x];
    rows.push({ off: o, on: n, ratio: n.reqS / o.reqS });
  }
} finally {
  await stop(off.proc);
  await stop(on.proc);
  await nats.dispose();
  await rm(repo, { recursive: true, force: true });
  await rm(spool, { recursive: true, force: true });
}

const m = (f: (r: (typeof rows)[number]) => number): number => median(rows.map(f));
const summary = {
  off_req_s: m((r) => r.off.reqS),
  on_req_s: m((r) => r.on.reqS),
  ratio_on_vs_off: m((r) => r.ratio),
  off_svc_cpu_us_per_req: m((r) => r.off.svcUsPerReq),
  on_svc_cpu_us_per_req: m((r) => r.on.svcUsPerReq),
  logging_svc_cpu_us_per_req: m((r) => r.on.svcUsPerReq - r.off.svcUsPerReq),
  nats_cpu_us_per_req: m((r) => r.on.natsUsPerReq),
  off_p99_ms: m((r) => r.off.p99Ms),
  on_p99_ms: m((r) => r.on.p99Ms),
  errors: rows.reduce((s, r) => s + r.off.errors + r.on.errors, 0),
};
let table = `| metric (median of ${RUNS} runs, ${D} s, ${C} in flight) | value |\n| --- | ---: |\n`;
for (const [k, v] of Object.entries(summary)) table += `| ${k} | ${v >= 100 ? v.toFixed(0) : v.toFixed(2)} |\n`;
process.stdout.write(`\n${table}`);
const outDir = join(root, 'bench/results');
await mkdir(outDir, { recursive: true });
const file = join(outDir, `${new Date().toISOString().slice(0, 10)}-prediction-log-cpu.json`);
await writeFile(file, JSON.stringify({ date: new Date().toISOString(), host: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, runs: RUNS, durationS: D, concurrency: C, summary, rows }, null, 2) + '\n');
process.stdout.write(`\nwrote ${file}\n`);
