/**
 * Gateway benchmark (not a test): `mlmesh bench gateway [--runs 3] [--duration 3]`.
 *
 * Starts features (SQLite), preprocess, inference (the gw_risk test model) and the gateway as
 * four processes on free loopback ports, then in each run, one after the other on the same
 * services:
 * - gateway Predict with 1 row and with 64 rows, one call at a time: p50, p99, rows/s;
 * - a client making the same three calls itself (GetOnlineFeatures → Transform → ModelInfer,
 *   raw tensor), the same rows: p50, p99, rows/s — the direct chain the gateway replaces;
 * - gateway Predict on a deployment with the cache on, the same rows again (every row a hit:
 *   features and preprocess still run, inference does not);
 * - the cache lookup itself in-process (key build + LRU get of a 5-float row), per row.
 * Prints the medians over runs and the ratio gateway/direct, and writes
 * bench/results/<date>-gateway.json.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../shared/config/index.js';
import { FeaturesClient, GatewayClient, InferenceClient, PreprocessClient } from '../shared/client/index.js';
import type { PlainRow } from '../shared/client/index.js';
import { ResponseCache } from '../services/gateway/index.js';
import { benchOptions } from '../tools/cli/bench-specs.js';
import { PIPELINE_SPEC, deploymentYaml, trainingCsv } from '../test/helpers/gateway.js';
import { freePort, median } from './common.js';

const values = benchOptions('gateway');
const RUNS = Number(values.runs);
const D = Number(values.duration);
const root = projectRoot();

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * q) - 1)] ?? NaN;


const tmp = await mkdtemp(join(tmpdir(), 'mlmesh-bench-gateway-'));
const children: ChildProcess[] = [];

function start(service: string, env: Record<string, string>): void {
  const child = spawn(process.execPath, ['--enable-source-maps', join(root, `dist/services/${service}/main.js`)], {
    env: { ...process.env, MLMESH_LOG_LEVEL: 'warn', [`MLMESH_${service.toUpperCase()}_HTTP_PORT`]: '-1', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
}

async function until(what: string, ok: () => Promise<unknown>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await ok();
      return;
    } catch (e: unknown) {
      if (i > 300) throw new Error(`${what} did not come up: ${e instanceof Error ? e.message : String(e)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Calls `fn` one at a time for `seconds`: latencies (ms, sorted) and calls. */
async function measure(seconds: number, fn: () => Promise<void>): Promise<{ p50: number; p99: number; calls: number; elapsedS: number }> {
  for (let i = 0; i < 20; i++) await fn(); // warm-up
  const lat: number[] = [];
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    const s = performance.now();
    await fn();
    lat.push(performance.now() - s);
  }
  const elapsedS = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), calls: lat.length, elapsedS };
}

type Row = Record<string, number>;
const runs: Row[] = [];
let lookupUs = NaN;
try {
  const ports = { features: await freePort(), preprocess: await freePort(), inference: await freePort(), gateway: await freePort() };
  const repo = join(tmp, 'models');
  await mkdir(join(repo, 'gw_risk'), { recursive: true });
  await cp(join(root, 'test/fixtures/gateway/models/gw_risk/config.json'), join(repo, 'gw_risk/config.json'));
  await cp(join(root, 'test/fixtures/gateway/models/gw_risk/1'), join(repo, 'gw_risk/1'), { recursive: true });
  const deployments = join(tmp, 'deployments');
  await mkdir(deployments);
  start('features', { MLMESH_FEATURES_GRPC_PORT: String(ports.features), MLMESH_FEATURES_SQLITE_PATH: join(tmp, 'features.db') });
  start('preprocess', { MLMESH_PREPROCESS_GRPC_PORT: String(ports.preprocess), MLMESH_PREPROCESS_ARTIFACT_DIR: join(tmp, 'pipelines') });
  start('inference', { MLMESH_INFERENCE_GRPC_PORT: String(ports.inference), MLMESH_INFERENCE_MODEL_REPOSITORY: repo, MLMESH_INFERENCE_SPOOL_DIR: join(tmp, 'spool'), NATS_URL: '' });
  const features = new FeaturesClient(`127.0.0.1:${ports.features}`);
  const preprocess = new PreprocessClient(`127.0.0.1:${ports.preprocess}`);
  const inference = new InferenceClient(`127.0.0.1:${ports.inference}`);
  await until('features', () => features.listFeatures({}, { timeoutMs: 500 }));
  await until('preprocess', () => preprocess.listPipelines({}, { timeoutMs: 500 }));
  await until('inference', async () => {
    if (!(await inference.modelReady({ name: 'gw_risk', version: '' }, { timeoutMs: 500 })).ready) throw new Error('not ready');
  });

  // 64 applicants with a fresh balance; the pipeline; two deployments (cache off and on).
  await features.registerFeature({ definition: { name: 'balance', version: 1, entity: 'applicant', value_type: 'FLOAT', max_age_ms: 24 * 3600 * 1000, source: { push: {} } } });
  const ids = Array.from({ length: 64 }, (_, i) => `b${i}`);
  const now = Date.now();
  await features.writeFeatures({ writes: ids.map((id, i) => ({ feature: 'balance@1', entity_id: id, event_time_ms: now - 60_000, value: { float_value: 1000 + i * 13 } })) });
  const fit = await preprocess.fit({ name: 'gw_risk_features', version: '1', spec: PIPELINE_SPEC, csv: Buffer.from(trainingCsv()) });
  const sha = fit.pipeline?.sha256 ?? '';
  await writeFile(join(deployments, 'bench.yaml'), deploymentYaml('bench', 1));
  await writeFile(join(deployments, 'bench_cached.yaml'), deploymentYaml('bench_cached', 1, 'cache: { enabled: true, ttl_ms: 3600000 }\n'));
  const gatewayHttp = await freePort();
  start('gateway', {
    MLMESH_GATEWAY_GRPC_PORT: String(ports.gateway),
    MLMESH_GATEWAY_HTTP_PORT: String(gatewayHttp),
    MLMESH_GATEWAY_DEPLOYMENTS_DIR: deployments,
    MLMESH_GATEWAY_FEATURES_ADDRESS: `127.0.0.1:${ports.features}`,
    MLMESH_GATEWAY_PREPROCESS_ADDRESS: `127.0.0.1:${ports.preprocess}`,
    MLMESH_GATEWAY_INFERENCE_ADDRESS: `127.0.0.1:${ports.inference}`,
    MLMESH_GATEWAY_SERVING_CHECK_MS: '3600000',
  });
  const gateway = new GatewayClient(`127.0.0.1:${ports.gateway}`);
  await until('gateway', async () => {
    if ((await gateway.listDeployments({ timeoutMs: 500 })).deployments.length !== 2) throw new Error('deployments not loaded');
  });

  const rowsOf = (n: number): PlainRow[] => ids.slice(0, n).map((id, i) => ({ applicant_id: id, amount: 300 + i, channel: ['web', 'app', 'branch'][i % 3] as string }));
  const gatewayCall = (deployment: string, rows: PlainRow[]) => async (): Promise<void> => {
    const res = await gateway.predictRows(deployment, rows);
    if (res.predicted_rows !== rows.length) throw new Error(`gateway: ${JSON.stringify(res.rows.find((r) => r.errors.length > 0)?.errors)}`);
  };
  const directCall = (rows: PlainRow[]) => async (): Promise<void> => {
    const entityIds = rows.map((r) => r['applicant_id'] as string);
    const f = await features.getOnlineFeatures({ features: { refs: ['balance@1'] }, entity_ids: entityIds });
    const col = f.columns[0];
    const records = rows.map((r, i) => ({ fields: { balance: { double_value: Number(col?.values[i]?.float_value) }, amount: { double_value: r['amount'] as number }, channel: { string_value: r['channel'] as string } } }));
    const t = await preprocess.transform({ pipeline: { sha256: sha }, records, mode: 'LENIENT' });
    if (t.errors.length > 0) throw new Error(`direct: ${JSON.stringify(t.errors[0])}`);
    const res = await inference.modelInfer({ model_name: 'gw_risk', inputs: [{ name: 'x', datatype: 'FP32', shape: [rows.length, 5] }], raw_input_contents: [t.tensor], outputs: [{ name: 'probabilities' }] });
    const out = res.raw_output_contents[0];
    if (!out || out.byteLength !== rows.length * 8) throw new Error('direct: no output');
    // Read the probabilities as a caller would.
    void new Float32Array(new Uint8Array(out).buffer);
  };

  /** Sum and count of a histogram's series in the gateway's /metrics. */
  const histogram = async (name: string, label: string): Promise<{ sum: number; count: number }> => {
    const text = await (await fetch(`http://127.0.0.1:${gatewayHttp}/metrics`)).text();
    // A series that has no sample yet is not exported: it counts as zero.
    const pick = (suffix: string): number => Number(text.split('\n').find((l) => l.startsWith(`${name}_${suffix}{`) && l.includes(label))?.split(' ').at(-1) ?? 0);
    return { sum: pick('sum'), count: pick('count') };
  };
  for (let r = 0; r < RUNS; r++) {
    const row: Row = {};
    for (const n of [1, 64]) {
      const rows = rowsOf(n);
      const before = await Promise.all(['features', 'preprocess', 'inference'].map((h) => histogram('mlmesh_gateway_hop_duration_seconds', `hop="${h}"`)));
      const pBefore = await histogram('mlmesh_gateway_predict_duration_seconds', 'deployment="bench"');
      const g = await measure(D, gatewayCall('bench', rows));
      const after = await Promise.all(['features', 'preprocess', 'inference'].map((h) => histogram('mlmesh_gateway_hop_duration_seconds', `hop="${h}"`)));
      const pAfter = await histogram('mlmesh_gateway_predict_duration_seconds', 'deployment="bench"');
      ['features', 'preprocess', 'inference'].forEach((h, k) => {
        const a = after[k] as { sum: number; count: number };
        const b = before[k] as { sum: number; count: number };
        row[`gateway's ${h} hop mean ms (${n} rows)`] = ((a.sum - b.sum) / (a.count - b.count)) * 1000;
      });
      row[`gateway's Predict handler mean ms (${n} rows)`] = ((pAfter.sum - pBefore.sum) / (pAfter.count - pBefore.count)) * 1000;
      const d = await measure(D, directCall(rows));
      await gatewayCall('bench_cached', rows)(); // fill the cache
      const c = await measure(D, gatewayCall('bench_cached', rows));
      row[`gateway p50 ms (${n} rows)`] = g.p50;
      row[`gateway p99 ms (${n} rows)`] = g.p99;
      row[`gateway rows/s (${n} rows, 1 in flight)`] = (g.calls * n) / g.elapsedS;
      row[`direct p50 ms (${n} rows)`] = d.p50;
      row[`direct p99 ms (${n} rows)`] = d.p99;
      row[`direct rows/s (${n} rows, 1 in flight)`] = (d.calls * n) / d.elapsedS;
      row[`gateway/direct p50 (${n} rows)`] = g.p50 / d.p50;
      row[`cache-hit p50 ms (${n} rows)`] = c.p50;
      row[`cache-hit p99 ms (${n} rows)`] = c.p99;
    }
    runs.push(row);
    process.stderr.write(`run ${r + 1}/${RUNS} done\n`);
  }

  // The lookup itself, in-process: key of a 5-float row + LRU get, per row.
  const cache = new ResponseCache(64 * 1024 * 1024, { hit: () => undefined, miss: () => undefined, bytes: () => undefined });
  const keys = Array.from({ length: 1000 }, (_, i) => new Uint8Array(Float32Array.of(i, i / 2, 0, 1, 0).buffer));
  for (const k of keys) cache.set(ResponseCache.key('gw_risk', '1', k), { values: Float64Array.of(0.3, 0.7), version: '1' }, 3_600_000);
  const N = 200_000;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) cache.get(ResponseCache.key('gw_risk', '1', keys[i % keys.length] as Uint8Array));
  lookupUs = ((performance.now() - t0) * 1000) / N;
  for (const c of [gateway, features, preprocess, inference]) c.close();
} finally {
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
  await rm(tmp, { recursive: true, force: true });
}

const medians: Row = {};
for (const k of Object.keys(runs[0] ?? {})) medians[k] = median(runs.map((r) => r[k] as number));
medians['cache lookup µs per row (in-process)'] = lookupUs;
const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
let table = `| metric (median of ${RUNS} runs, ${D} s each, one call in flight) | value |\n| --- | ---: |\n`;
for (const [k, v] of Object.entries(medians)) table += `| ${k} | ${fmt(v)} |\n`;
process.stdout.write(table);
await mkdir(join(root, 'bench/results'), { recursive: true });
const file = join(root, 'bench/results', `${new Date().toISOString().slice(0, 10)}-gateway.json`);
await writeFile(file, JSON.stringify({ date: new Date().toISOString(), host: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, runs: RUNS, durationS: D, medians, allRuns: runs }, null, 2) + '\n');
process.stderr.write(`wrote ${file}\n`);
