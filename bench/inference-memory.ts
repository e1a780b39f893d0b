/**
 * `npx mlmesh bench inference-memory` — the inference service's resident memory (RSS, read from
 * /proc/<pid>/status) through a day's shapes of load, and where large requests' memory goes.
 *
 *   1. the service (a child process, digits_mlp, prediction logging off) idle after start;
 *   2. under single-row load at 64 in flight (h2load, `--duration` s): median and peak RSS;
 *   3. `--large` requests of `--large-mib` MiB each (digits_mlp rows; the server splits them into
 *      max_batch_size chunks, maxRequestBatches raised to let them in), `--large-concurrency` at a
 *      time: peak RSS, then RSS after 5 s and 30 s idle;
 *   4. in this process, onnxruntime alone: RSS after one run of a batch as large as such a request
 *      (what the service did before it split requests) and after the same rows in max_batch_size
 *      runs, with its CPU memory arena on (the service's setting) and off.
 * Writes bench/results/<date>-inference-memory.json.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { projectRoot } from '../shared/config/index.js';
import { InferenceClient } from '../services/inference/index.js';
import { buildRequest, grpcFrame, runH2load } from '../tools/loadtest/index.js';
import { benchOptions } from '../tools/cli/bench-specs.js';
import { freePort, median } from './common.js';

const values = benchOptions('inference-memory');
const D = Number(values.duration);
const LARGE = Number(values.large);
const LARGE_MIB = Number(values['large-mib']);
const LARGE_C = Number(values['large-concurrency']);
const root = projectRoot();
const MODEL = 'digits_mlp';
const ROW_BYTES = 64 * 4;
const MAX_BATCH = 256;

const mib = (bytes: number): number => Math.round(bytes / 1048576);
const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Samples RSS of `pid` every 50 ms while `work` runs. */
async function sampled<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; samples: number[] }> {
  const samples: number[] = [];
  const timer = setInterval(() => samples.push(rssOf(pid)), 50);
  try {
    return { result: await work(), samples };
  } finally {
    clearInterval(timer);
  }
}

const rows = Math.floor((LARGE_MIB * 1048576) / ROW_BYTES);
const PROBE_ENV = 'MLMESH_BENCH_ORT_PROBE';

/** The onnxruntime probe (this file run again with PROBE_ENV set): RSS growth over `rows` rows run in batches of `batch`. */
async function ortProbe(o: { arena: boolean; batch: number; rows: number }): Promise<void> {
  const onnx = join(root, 'examples/models', MODEL, '1/model.onnx');
  const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 1, interOpNumThreads: 1, enableCpuMemArena: o.arena });
  const data = new Float32Array(o.rows * 64).fill(0.5);
  const before = process.memoryUsage().rss;
  for (let from = 0; from < o.rows; from += o.batch) {
    const n = Math.min(o.batch, o.rows - from);
    await session.run({ input: new ort.Tensor('float32', data.subarray(from * 64, (from + n) * 64), [n, 64]) });
  }
  process.stdout.write(JSON.stringify({ grownBytes: process.memoryUsage().rss - before }));
  await session.release();
}

if (process.env[PROBE_ENV]) {
  await ortProbe(JSON.parse(process.env[PROBE_ENV]) as { arena: boolean; batch: number; rows: number });
  process.exit(0);
}
const grpcPort = await freePort();
const proc = spawn(process.execPath, [join(root, 'dist/services/inference/main.js')], {
  cwd: root,
  env: {
    ...process.env,
    MLMESH_NATS_URL: '',
    MLMESH_LOG_LEVEL: 'warn',
    MLMESH_INFERENCE_GRPC_PORT: String(grpcPort),
    MLMESH_INFERENCE_HTTP_PORT: '-1',
    MLMESH_INFERENCE_MODEL_REPOSITORY: join(root, 'examples/models'),
    MLMESH_INFERENCE_STARTUP_MODELS: MODEL,
    MLMESH_INFERENCE_MAX_REQUEST_BATCHES: String(Math.ceil(rows / MAX_BATCH) + 1),
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const pid = proc.pid as number;
const address = `127.0.0.1:${grpcPort}`;
const client = new InferenceClient(address);
try {
  for (let i = 0; ; i++) {
    try {
      if ((await client.serverReady({ deadlineMs: 500 })).ready) break;
    } catch {
      // not listening yet
    }
    if (i > 300) throw new Error('the inference service did not become ready in 60 s');
    await sleep(200);
  }
  await sleep(2000);
  const idle = rssOf(pid);
  process.stdout.write(`idle after start: ${mib(idle)} MiB\n`);

  const meta = await client.modelMetadata(MODEL);
  const load = await sampled(pid, () =>
    runH2load({ target: address, model: MODEL, path: '/inference.GRPCInferenceService/ModelInfer', frame: grpcFrame(buildRequest(meta, 1)), rows: 1, concurrency: 64, durationS: D, rate: 0 }),
  );
  const underLoad = { medianMiB: mib(median(load.samples)), peakMiB: mib(Math.max(...load.samples)), requestsPerS: Math.round(load.result.throughput) };
  process.stdout.write(`single rows at 64 in flight (${underLoad.requestsPerS} req/s): median ${underLoad.medianMiB} MiB, peak ${underLoad.peakMiB} MiB\n`);
  await sleep(2000);
  const afterLoad = rssOf(pid);

  const payload = Buffer.alloc(rows * ROW_BYTES);
  new Float32Array(payload.buffer, payload.byteOffset, rows * 64).fill(0.5);
  const big = { model_name: MODEL, inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, 64] }], raw_input_contents: [payload] };
  const seconds: number[] = [];
  const large = await sampled(pid, async () => {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < LARGE) {
        next++;
        const t0 = performance.now();
        const r = await client.infer(big, { deadlineMs: 300_000 });
        if ((r.raw_output_contents[0]?.length ?? 0) !== rows * 10 * 4) throw new Error('a large request came back with the wrong number of outputs');
        seconds.push((performance.now() - t0) / 1000);
      }
    };
    await Promise.all(Array.from({ length: LARGE_C }, lane));
  });
  const afterLarge = rssOf(pid);
  await sleep(5000);
  const idle5 = rssOf(pid);
  await sleep(25_000);
  const idle30 = rssOf(pid);
  const largeRun = { requests: LARGE, mibEach: LARGE_MIB, rowsEach: rows, concurrency: LARGE_C, medianS: median(seconds), peakMiB: mib(Math.max(...large.samples)), afterMiB: mib(afterLarge), after5sIdleMiB: mib(idle5), after30sIdleMiB: mib(idle30) };
  process.stdout.write(
    `${LARGE} requests of ${LARGE_MIB} MiB (${rows} rows), ${LARGE_C} at a time, ${largeRun.medianS.toFixed(2)} s each: peak ${largeRun.peakMiB} MiB, at the end ${largeRun.afterMiB} MiB, 5 s later ${largeRun.after5sIdleMiB} MiB, 30 s later ${largeRun.after30sIdleMiB} MiB\n`,
  );

  // onnxruntime alone, each measurement in a fresh process: the arena keeps the largest batch's activations.
  const ortRuns: Record<string, { oneBatchMiB: number; chunkedMiB: number }> = {};
  for (const arena of [true, false]) {
    const probe = async (batch: number): Promise<number> => {
      const child = spawn(process.execPath, [process.argv[1] as string], { cwd: root, env: { ...process.env, [PROBE_ENV]: JSON.stringify({ arena, batch, rows }) }, stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout?.setEncoding('utf8').on('data', (c: string) => (text += c));
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      if (code !== 0) throw new Error(`the onnxruntime probe exited with ${code}`);
      return mib((JSON.parse(text) as { grownBytes: number }).grownBytes);
    };
    ortRuns[arena ? 'arena on' : 'arena off'] = { oneBatchMiB: await probe(rows), chunkedMiB: await probe(MAX_BATCH) };
  }
  process.stdout.write(`onnxruntime alone, RSS growth after ${rows} rows: ${Object.entries(ortRuns).map(([k, v]) => `${k}: ${v.oneBatchMiB} MiB as one batch, ${v.chunkedMiB} MiB in ${MAX_BATCH}-row batches`).join('; ')}\n`);

  const out = { date: new Date().toISOString(), model: MODEL, idleMiB: mib(idle), underLoad, afterLoadMiB: mib(afterLoad), large: largeRun, onnxruntimeGrowth: ortRuns };
  const dir = join(root, 'bench/results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${out.date.slice(0, 10)}-inference-memory.json`);
  await writeFile(file, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`wrote ${file}\n`);
} finally {
  client.close();
  proc.kill('SIGTERM');
}
