/**
 * `npx mlmesh bench inference-http` — ModelInfer over the Open Inference Protocol's HTTP/REST
 * binding (JSON tensors, and Triton's binary tensor extension) against the same call over gRPC,
 * on the inference service running as its own process (dist/services/inference/main.js) with
 * digits_mlp, 1 and 64 rows per request:
 *   - latency: one request at a time for `--duration` s, p50 and p99 (client side);
 *   - throughput: `--concurrency` requests in flight for `--duration` s, requests/s and rows/s.
 * The clients are Node's: grpc-js (InferenceClient) for gRPC, node:http with a keep-alive agent
 * for HTTP, so client work is in every figure alike. Every answer is checked (status, and the
 * first one of each mode against the gRPC answer). Each measurement is repeated `--runs` times;
 * the table shows medians. Writes bench/results/<date>-inference-http.json.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../shared/config/index.js';
import { InferenceClient } from '../services/inference/index.js';
import { benchOptions } from '../tools/cli/bench-specs.js';
import { freePort, median } from './common.js';

const values = benchOptions('inference-http');
const RUNS = Number(values.runs);
const D = Number(values.duration);
const CONC = Number(values.concurrency);
const root = projectRoot();

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};


const grpcPort = await freePort();
const httpPort = await freePort();
const server = spawn(process.execPath, [join(root, 'dist/services/inference/main.js')], {
  env: {
    ...process.env,
    MLMESH_INFERENCE_GRPC_PORT: String(grpcPort),
    MLMESH_INFERENCE_HTTP_PORT: String(httpPort),
    MLMESH_INFERENCE_MODEL_REPOSITORY: join(root, 'examples/models'),
    MLMESH_INFERENCE_STARTUP_MODELS: 'digits_mlp',
    MLMESH_INFERENCE_LOG_LEVEL: 'warn',
    NATS_URL: '',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const base = `http://127.0.0.1:${httpPort}`;
const client = new InferenceClient(`127.0.0.1:${grpcPort}`);
const agent = new Agent({ keepAlive: true, maxSockets: CONC });

for (let i = 0; ; i++) {
  const ok = await fetch(`${base}/v2/models/digits_mlp/ready`).then((r) => r.status === 200, () => false);
  if (ok) break;
  if (i > 300) throw new Error('the inference service did not get ready');
  await new Promise((r) => setTimeout(r, 100));
}

/** One HTTP POST on the keep-alive agent; resolves with the status, headers and body. */
function post(path: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.byteLength) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

type Mode = 'gRPC (raw)' | 'HTTP JSON' | 'HTTP binary';
const MODES: Mode[] = ['gRPC (raw)', 'HTTP JSON', 'HTTP binary'];

/** A call of `mode` with `rows` rows: resolves with the output as float32 values. */
function caller(mode: Mode, rows: number): { call: () => Promise<Float32Array>; requestBytes: number } {
  const values = Array.from({ length: rows * 64 }, (_, i) => ((i * 7) % 17) / 16);
  const raw = Buffer.from(Float32Array.from(values).buffer);
  if (mode === 'gRPC (raw)') {
    return {
      requestBytes: raw.byteLength,
      call: async () => {
        const res = await client.infer({ model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, 64] }], raw_input_contents: [raw] });
        return new Float32Array(new Uint8Array(res.raw_output_contents[0] as Buffer).buffer);
      },
    };
  }
  if (mode === 'HTTP JSON') {
    const body = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: [rows, 64], datatype: 'FP32', data: Array.from(Float32Array.from(values)) }] }));
    return {
      requestBytes: body.byteLength,
      call: async () => {
        const res = await post('/v2/models/digits_mlp/infer', body, { 'content-type': 'application/json' });
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.toString().slice(0, 200)}`);
        const json = JSON.parse(res.body.toString('utf8')) as { outputs: { data: number[] }[] };
        return Float32Array.from(json.outputs[0]?.data ?? []);
      },
    };
  }
  const head = Buffer.from(JSON.stringify({ parameters: { binary_data_output: true }, inputs: [{ name: 'input', shape: [rows, 64], datatype: 'FP32', parameters: { binary_data_size: raw.byteLength } }] }));
  const body = Buffer.concat([head, raw]);
  return {
    requestBytes: body.byteLength,
    call: async () => {
      const res = await post('/v2/models/digits_mlp/infer', body, { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(head.byteLength) });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.toString().slice(0, 200)}`);
      const n = Number(res.headers['inference-header-content-length']);
      return new Float32Array(new Uint8Array(res.body.subarray(n)).buffer);
    },
  };
}

async function latency(call: () => Promise<unknown>): Promise<{ p50: number; p99: number; n: number }> {
  const ms: number[] = [];
  const end = Date.now() + D * 1000;
  while (Date.now() < end) {
    const t0 = process.hrtime.bigint();
    await call();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), n: ms.length };
}

async function throughput(call: () => Promise<unknown>): Promise<number> {
  let done = 0;
  const t0 = Date.now();
  const end = t0 + D * 1000;
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (Date.now() < end) {
        await call();
        done++;
      }
    }),
  );
  return done / ((Date.now() - t0) / 1000);
}

type Row = Record<string, number>;
const runs: Row[] = [];
const sizes: Record<string, number> = {};
try {
  // Every mode answers what gRPC answers, before anything is measured.
  for (const rows of [1, 64]) {
    const want = await caller('gRPC (raw)', rows).call();
    for (const mode of MODES) {
      const c = caller(mode, rows);
      sizes[`${mode} request bytes (${rows} rows)`] = c.requestBytes;
      const got = await c.call();
      if (got.length !== want.length || got.some((v, i) => v !== want[i])) throw new Error(`${mode} (${rows} rows) answers differently from gRPC`);
    }
  }
  for (let r = 0; r < RUNS; r++) {
    const row: Row = {};
    for (const rows of [1, 64]) {
      for (const mode of MODES) {
        const c = caller(mode, rows);
        const l = await latency(c.call);
        row[`${mode} p50 ms (${rows} rows)`] = l.p50;
        row[`${mode} p99 ms (${rows} rows)`] = l.p99;
        const rps = await throughput(c.call);
        row[`${mode} req/s (${rows} rows, conc ${CONC})`] = rps;
        row[`${mode} rows/s (${rows} rows, conc ${CONC})`] = rps * rows;
      }
    }
    runs.push(row);
    process.stderr.write(`run ${r + 1}/${RUNS} done\n`);
  }
} finally {
  client.close();
  agent.destroy();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
}

const medians: Row = {};
for (const k of Object.keys(runs[0] ?? {})) medians[k] = median(runs.map((r) => r[k] as number));
const fmt = (v: number | undefined) => (v === undefined ? '' : v >= 100 ? Math.round(v).toLocaleString('en') : v.toFixed(3));
let table = `| metric (median of ${RUNS} runs, ${D} s each) | value |\n| --- | ---: |\n`;
for (const [k, v] of Object.entries({ ...sizes, ...medians })) table += `| ${k} | ${fmt(v)} |\n`;
process.stdout.write(`\ndigits_mlp (64 → 10, FP32) on ${cpus().length} CPUs, Node ${process.version}\n\n${table}`);
const outDir = join(root, 'bench/results');
await mkdir(outDir, { recursive: true });
const file = join(outDir, `${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}-inference-http.json`);
await writeFile(file, JSON.stringify({ date: new Date().toISOString(), host: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, runs: RUNS, durationS: D, concurrency: CONC, sizes, medians, allRuns: runs }, null, 2) + '\n');
process.stdout.write(`\nwrote ${file}\n`);
