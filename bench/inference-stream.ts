/**
 * `npx mlmesh bench inference-stream` — the same ModelInfer requests (digits_mlp, `--rows` rows
 * each) sent as unary calls and as messages of one ModelStreamInfer stream (Triton's
 * bidirectional RPC), with `--concurrency` requests in flight in both modes, against an
 * inference service started in this process, over gRPC on loopback. For `--duration` s per run:
 * rows/s, p50/p99 ms per request (from write to its answer). Every answer is checked against
 * the unary answer of the same rows. Each measurement is repeated `--runs` times, modes
 * interleaved; the table shows medians. Writes bench/results/<date>-inference-stream.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../shared/config/index.js';
import { InferenceClient as PublicClient } from '../shared/client/index.js';
import type { ModelInferRequest, ModelStreamInferResponse } from '../shared/client/index.js';
import { createLogger } from '../shared/logging/index.js';
import { InferenceService } from '../services/inference/index.js';
import { benchOptions } from '../tools/cli/bench-specs.js';
import { median } from './common.js';

const values = benchOptions('inference-stream');
const RUNS = Number(values.runs);
const D = Number(values.duration);
const INFLIGHT = Number(values.concurrency);
const ROWS = Number(values.rows);
const root = projectRoot();

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};

const service = await InferenceService.create({
  env: {},
  overrides: { host: '127.0.0.1', grpcPort: 0, httpPort: 0, modelRepository: join(root, 'examples/models'), startupModels: ['digits_mlp'] },
  logger: createLogger({ service: 'bench-inference-stream', level: 'warn' }),
});
const client = new PublicClient(service.address, { retry: false });
// A handful of distinct requests, cycled: the answer of each is known from a unary call.
const VARIANTS = 16;
const requests: ModelInferRequest[] = Array.from({ length: VARIANTS }, (_, v) => {
  const data = new Float32Array(ROWS * 64).map((_, i) => (((i + v * 131) * 7919) % 1000) / 1000);
  return { model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [ROWS, 64] }], raw_input_contents: [Buffer.from(data.buffer)] };
});
const expected = await Promise.all(requests.map(async (r) => Buffer.from((await client.modelInfer(r)).raw_output_contents[0] as Uint8Array)));

interface Run {
  rowsPerS: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
}

function check(v: number, out: Uint8Array | undefined, mode: string): void {
  if (!out || !Buffer.from(out).equals(expected[v] as Buffer)) throw new Error(`${mode}: the answer to request variant ${v} differs from its unary answer`);
}

async function unaryRun(): Promise<Run> {
  const lat: number[] = [];
  const end = Date.now() + D * 1000;
  const t0 = performance.now();
  let k = 0;
  await Promise.all(
    Array.from({ length: INFLIGHT }, async () => {
      while (Date.now() < end) {
        const v = k++ % VARIANTS;
        const s = performance.now();
        const res = await client.modelInfer(requests[v] as ModelInferRequest);
        lat.push(performance.now() - s);
        check(v, res.raw_output_contents[0], 'unary');
      }
    }),
  );
  const elapsedS = (performance.now() - t0) / 1000;
  return { rowsPerS: (lat.length * ROWS) / elapsedS, p50Ms: quantile(lat, 0.5), p99Ms: quantile(lat, 0.99), requests: lat.length };
}

async function streamRun(): Promise<Run> {
  const lat: number[] = [];
  const call = client.modelStreamInfer();
  const sentAt = new Map<string, { at: number; v: number }>();
  const end = Date.now() + D * 1000;
  const t0 = performance.now();
  let k = 0;
  let inflight = 0;
  let slot: (() => void) | undefined;
  const reading = (async () => {
    for await (const a of call as AsyncIterable<ModelStreamInferResponse>) {
      const id = a.infer_response?.id ?? '';
      const sent = sentAt.get(id);
      if (a.error_message !== '' || !sent) throw new Error(`stream: request ${id} failed: ${a.error_message}`);
      sentAt.delete(id);
      lat.push(performance.now() - sent.at);
      check(sent.v, a.infer_response?.raw_output_contents[0], 'stream');
      inflight--;
      const w = slot;
      slot = undefined;
      w?.();
    }
  })();
  while (Date.now() < end) {
    if (inflight >= INFLIGHT) {
      await new Promise<void>((r) => (slot = r));
      continue;
    }
    const n = k++;
    const v = n % VARIANTS;
    const id = `q${n}`;
    sentAt.set(id, { at: performance.now(), v });
    inflight++;
    await call.write({ ...(requests[v] as ModelInferRequest), id });
  }
  call.end();
  await reading;
  const elapsedS = (performance.now() - t0) / 1000;
  return { rowsPerS: (lat.length * ROWS) / elapsedS, p50Ms: quantile(lat, 0.5), p99Ms: quantile(lat, 0.99), requests: lat.length };
}

type Mode = 'unary ModelInfer' | 'ModelStreamInfer (1 stream)';
const modes: Record<Mode, () => Promise<Run>> = { 'unary ModelInfer': unaryRun, 'ModelStreamInfer (1 stream)': streamRun };
const runs: Record<Mode, Run[]> = { 'unary ModelInfer': [], 'ModelStreamInfer (1 stream)': [] };
for (let r = 0; r < RUNS; r++) for (const m of Object.keys(modes) as Mode[]) runs[m].push(await modes[m]());
client.close();
await service.drain();

const medians = Object.fromEntries(
  (Object.keys(runs) as Mode[]).map((m) => [m, { rowsPerS: median(runs[m].map((x) => x.rowsPerS)), p50Ms: median(runs[m].map((x) => x.p50Ms)), p99Ms: median(runs[m].map((x) => x.p99Ms)) }]),
) as Record<Mode, { rowsPerS: number; p50Ms: number; p99Ms: number }>;
process.stdout.write(`\ndigits_mlp, ${ROWS} row(s) per request, ${INFLIGHT} in flight, ${RUNS} × ${D} s, medians\n\n| mode | rows/s | p50 ms | p99 ms |\n|---|---:|---:|---:|\n`);
for (const [m, v] of Object.entries(medians)) process.stdout.write(`| ${m} | ${Math.round(v.rowsPerS)} | ${v.p50Ms.toFixed(2)} | ${v.p99Ms.toFixed(2)} |\n`);
const outDir = join(root, 'bench/results');
await mkdir(outDir, { recursive: true });
const file = join(outDir, `${new Date().toISOString().slice(0, 10)}-inference-stream.json`);
await writeFile(file, JSON.stringify({ date: new Date().toISOString(), host: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, runs: RUNS, durationS: D, concurrency: INFLIGHT, rows: ROWS, medians, allRuns: runs }, null, 2) + '\n');
process.stdout.write(`\nwrote ${file}\n`);
