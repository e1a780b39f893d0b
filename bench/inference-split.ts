/**
 * `npx mlmesh bench inference-split` — a ModelInfer request over `max_batch_size` rows, split by
 * the server into chunks through the dynamic batcher (docs/inference.md, "Requests over
 * max_batch_size"), against what a client of Triton must do: send the rows in requests of at
 * most `max_batch_size` (256 + 194 for 450 rows), one after the other or all at once. digits_mlp
 * (max_batch_size 256, its 2 instances) in an inference service started in this process, over
 * gRPC (InferenceClient). One request (or group) at a time for `--duration` s: p50/p99 latency of
 * the `--rows` rows, rows/s. Every answer is checked against the first. Each measurement is
 * repeated `--runs` times; the table shows medians. Writes bench/results/<date>-inference-split.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../shared/config/index.js';
import { createLogger } from '../shared/logging/index.js';
import { InferenceClient, InferenceService } from '../services/inference/index.js';
import { benchOptions } from '../tools/cli/bench-specs.js';
import { median } from './common.js';

const values = benchOptions('inference-split');
const RUNS = Number(values.runs);
const D = Number(values.duration);
const ROWS = Number(values.rows);
const MAX = 256;
const root = projectRoot();

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};

const service = await InferenceService.create({
  env: {},
  overrides: { host: '127.0.0.1', grpcPort: 0, httpPort: 0, modelRepository: join(root, 'examples/models'), startupModels: ['digits_mlp'] },
  logger: createLogger({ service: 'bench-inference-split', level: 'warn' }),
});
const client = new InferenceClient(service.address);
const data = new Float32Array(ROWS * 64).map((_, i) => ((i * 7919) % 1000) / 1000);
const bytes = Buffer.from(data.buffer);
const request = (from: number, to: number) => ({
  model_name: 'digits_mlp',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [to - from, 64] }],
  raw_input_contents: [bytes.subarray(from * 256, to * 256)],
});
const ranges: [number, number][] = [];
for (let from = 0; from < ROWS; from += MAX) ranges.push([from, Math.min(ROWS, from + MAX)]);

type Mode = 'server split (1 request)' | 'client split, sequential' | 'client split, concurrent';
const modes: Record<Mode, () => Promise<Buffer>> = {
  'server split (1 request)': async () => (await client.infer(request(0, ROWS))).raw_output_contents[0] as Buffer,
  'client split, sequential': async () => {
    const out: Buffer[] = [];
    for (const [a, b] of ranges) out.push((await client.infer(request(a, b))).raw_output_contents[0] as Buffer);
    return Buffer.concat(out);
  },
  'client split, concurrent': async () => Buffer.concat(await Promise.all(ranges.map(async ([a, b]) => (await client.infer(request(a, b))).raw_output_contents[0] as Buffer))),
};

const reference = await modes['server split (1 request)']();
const runs: Record<Mode, { p50Ms: number; p99Ms: number; rowsPerS: number }[]> = { 'server split (1 request)': [], 'client split, sequential': [], 'client split, concurrent': [] };
for (let r = 0; r < RUNS; r++) {
  for (const mode of Object.keys(modes) as Mode[]) {
    const lat: number[] = [];
    const end = Date.now() + D * 1000;
    const t0 = process.hrtime.bigint();
    while (Date.now() < end) {
      const s = process.hrtime.bigint();
      const out = await modes[mode]();
      lat.push(Number(process.hrtime.bigint() - s) / 1e6);
      if (!out.equals(reference)) throw new Error(`${mode}: the answer differs from the server split's`);
    }
    const elapsedS = Number(process.hrtime.bigint() - t0) / 1e9;
    runs[mode].push({ p50Ms: quantile(lat, 0.5), p99Ms: quantile(lat, 0.99), rowsPerS: (lat.length * ROWS) / elapsedS });
  }
}
client.close();
await service.drain();

const medians = Object.fromEntries(
  (Object.keys(runs) as Mode[]).map((m) => [m, { p50Ms: median(runs[m].map((x) => x.p50Ms)), p99Ms: median(runs[m].map((x) => x.p99Ms)), rowsPerS: median(runs[m].map((x) => x.rowsPerS)) }]),
) as Record<Mode, { p50Ms: number; p99Ms: number; rowsPerS: number }>;
process.stdout.write(`\n${ROWS} rows, digits_mlp (max_batch_size ${MAX}), one at a time, ${RUNS} × ${D} s, medians\n\n| mode | p50 ms | p99 ms | rows/s |\n|---|---:|---:|---:|\n`);
for (const [m, v] of Object.entries(medians)) process.stdout.write(`| ${m} | ${v.p50Ms.toFixed(2)} | ${v.p99Ms.toFixed(2)} | ${Math.round(v.rowsPerS)} |\n`);
const outDir = join(root, 'bench/results');
await mkdir(outDir, { recursive: true });
const file = join(outDir, `${new Date().toISOString().slice(0, 10)}-inference-split.json`);
await writeFile(file, JSON.stringify({ date: new Date().toISOString(), host: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, runs: RUNS, durationS: D, rows: ROWS, maxBatchSize: MAX, medians, allRuns: runs }, null, 2) + '\n');
process.stdout.write(`\nwrote ${file}\n`);
