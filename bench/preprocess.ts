/**
 * `npm run bench:preprocess` — Transform throughput of the preprocess service over gRPC on a
 * 20-column pipeline (14 numeric and 6 categorical input columns, missing values; impute with
 * indicators, rare labels, one-hot, log1p, Yeo-Johnson, outlier caps, a derived column, three
 * scalers: 50 output features), side by side with the same pipeline called in-process:
 *   1. in-process `CompiledPipeline.transformRecords`, 1 and 256 records per call: the
 *      compute limit (no gRPC, no protobuf);
 *   2. the service (its own process) with 1 record per request at concurrency 1 and 16, and
 *      256 records per request at concurrency 4.
 * Load comes from h2load (a prepared gRPC frame; C, not the bottleneck a Node client would
 * be), after one real call checks the request is valid. Each measurement is repeated `--runs`
 * times; the table shows medians. Writes bench/results/<date>-preprocess.json.
 *
 *   npm run bench:preprocess -- [--runs 3] [--duration 5] [--train-rows 20000]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { projectRoot } from '../shared/config/index.js';
import { ArtifactStore, CompiledPipeline, PreprocessClient, bytesSource, fitPipeline, parseSpec } from '../services/preprocess/index.js';
import type { Record__Output } from '../shared/generated/mlmesh/preprocess/v1/Record.js';
import { runH2load } from '../tools/loadtest/index.js';
import type { LoadResult } from '../tools/loadtest/index.js';
import { benchData, BENCH_SPEC } from './preprocess-data.js';
import { benchOptions } from '../tools/cli/bench-specs.js';
import { freePort, median } from './common.js';

const values = benchOptions('preprocess');
const RUNS = Number(values.runs);
const D = Number(values.duration);
const root = projectRoot();



/** A length-prefixed gRPC frame holding a TransformRequest. */
function transformFrame(request: object): Buffer {
  const protoRoot = protobuf.parse(readFileSync(join(root, 'protos/mlmesh/preprocess/v1/preprocess.proto'), 'utf8'), { keepCase: true }).root;
  const type = protoRoot.lookupType('mlmesh.preprocess.v1.TransformRequest');
  const msg = Buffer.from(type.encode(type.fromObject(request)).finish());
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(msg.byteLength, 1);
  return Buffer.concat([prefix, msg]);
}

/** In-process calls/s of transformRecords with `n` records per call, for `seconds`. */
function inProcess(p: CompiledPipeline, records: Record__Output[], n: number, seconds: number): { rowsPerS: number; p99Ms: number } {
  const lat: number[] = [];
  const end = performance.now() + seconds * 1000;
  let rows = 0;
  let i = 0;
  const t0 = performance.now();
  while (performance.now() < end) {
    const batch: Record__Output[] = [];
    for (let k = 0; k < n; k++) batch.push(records[(i + k) % records.length] as Record__Output);
    i += n;
    const s = performance.now();
    const r = p.transformRecords(batch);
    lat.push(performance.now() - s);
    rows += r.rows;
  }
  lat.sort((a, b) => a - b);
  return { rowsPerS: rows / ((performance.now() - t0) / 1000), p99Ms: lat[Math.ceil(lat.length * 0.99) - 1] ?? NaN };
}

const tmp = await mkdtemp(join(tmpdir(), 'mlmesh-bench-preprocess-'));
const { csv, records } = benchData(Number(values['train-rows']), 2000);
const tFit = performance.now();
const { artifact, passes } = await fitPipeline({ spec: parseSpec(BENCH_SPEC), source: bytesSource(csv), name: 'bench20', version: '1', producedBy: 'bench' });
const fitS = (performance.now() - tFit) / 1000;
await new ArtifactStore(join(tmp, 'pipelines')).put(artifact);
const pipeline = new CompiledPipeline(artifact);
process.stderr.write(`fitted ${artifact.input_schema.columns.length} input columns → ${artifact.feature_names.length} features on ${artifact.provenance.training_rows} rows in ${fitS.toFixed(2)} s (${passes} passes)\n`);

const grpcPort = await freePort();
const server = spawn(process.execPath, [join(root, 'dist/services/preprocess/main.js')], {
  env: { ...process.env, MLMESH_PREPROCESS_GRPC_PORT: String(grpcPort), MLMESH_PREPROCESS_HTTP_PORT: '-1', MLMESH_PREPROCESS_ARTIFACT_DIR: join(tmp, 'pipelines'), MLMESH_PREPROCESS_LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const target = `127.0.0.1:${grpcPort}`;
const client = new PreprocessClient(target);
for (let i = 0; ; i++) {
  try {
    await client.listPipelines('', { deadlineMs: 500 });
    break;
  } catch (e: unknown) {
    if (i > 100) throw e;
    await new Promise((r) => setTimeout(r, 100));
  }
}

type Row = Record<string, number>;
const runs: Row[] = [];
try {
  const frames = new Map<number, Buffer>();
  for (const n of [1, 256]) {
    const req = { pipeline: { name: 'bench20', version: '1' }, records: records.slice(0, n) };
    const check = await client.transform(req);
    if (check.errors.length > 0 || check.row_index.length !== n) throw new Error(`the benchmark request is not valid: ${JSON.stringify(check.errors.slice(0, 3))}`);
    frames.set(n, transformFrame(req));
  }
  const path = '/mlmesh.preprocess.v1.PreprocessService/Transform';
  for (let r = 0; r < RUNS; r++) {
    const row: Row = {};
    for (const n of [1, 256]) {
      const ip = inProcess(pipeline, records, n, Math.min(D, 2));
      row[`in-process rows/s (${n}/call)`] = ip.rowsPerS;
      row[`in-process p99 ms (${n}/call)`] = ip.p99Ms;
    }
    for (const [n, c] of [[1, 1], [1, 16], [256, 4]] as const) {
      const res: LoadResult = await runH2load({ target, model: 'bench20', path, frame: frames.get(n) as Buffer, rows: n, concurrency: c, durationS: D, rate: 0, connections: Math.min(c, 4) });
      const bad = Object.values(res.errors).reduce((a, b) => a + b, 0);
      if (bad > 0) throw new Error(`errors under load: ${JSON.stringify(res.errors)}`);
      row[`gRPC rows/s (${n}/req, conc ${c})`] = res.rowsPerS;
      row[`gRPC req/s (${n}/req, conc ${c})`] = res.throughput;
      row[`gRPC p50 ms (${n}/req, conc ${c})`] = res.latencyMs.p50;
      row[`gRPC p99 ms (${n}/req, conc ${c})`] = res.latencyMs.p99;
    }
    runs.push(row);
    process.stderr.write(`run ${r + 1}/${RUNS} done\n`);
  }
} finally {
  client.close();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  await rm(tmp, { recursive: true, force: true });
}

const medians: Row = {};
for (const k of Object.keys(runs[0] ?? {})) medians[k] = median(runs.map((r) => r[k] as number));
const fmt = (v: number | undefined) => (v === undefined ? '' : v >= 100 ? Math.round(v).toLocaleString('en') : v.toFixed(3));
let table = `| metric (median of ${RUNS} runs, ${D} s each) | value |\n| --- | ---: |\n`;
for (const [k, v] of Object.entries(medians)) table += `| ${k} | ${fmt(v)} |\n`;
process.stdout.write(`\npipeline: ${artifact.input_schema.columns.length} input columns, ${artifact.feature_names.length} features; fit ${artifact.provenance.training_rows} rows in ${fitS.toFixed(2)} s (${passes} passes)\n\n${table}`);
const outDir = join(root, 'bench/results');
await mkdir(outDir, { recursive: true });
const file = join(outDir, `${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}-preprocess.json`);
await writeFile(
  file,
  JSON.stringify({ date: new Date().toISOString(), host: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, runs: RUNS, durationS: D, pipeline: { inputColumns: artifact.input_schema.columns.length, features: artifact.feature_names.length, trainingRows: artifact.provenance.training_rows, fitSeconds: fitS, passes }, medians, allRuns: runs }, null, 2) + '\n',
);
process.stdout.write(`\nwrote ${file}\n`);
