/**
 * `npm run bench:features` — GetOnlineFeatures over gRPC on loopback, measured with h2load (a
 * prepared gRPC frame; C, not the bottleneck a Node client would be) against the feature service
 * running as its own process (dist/services/features/main.js):
 *   - backends: SQLite (a temp file) and Redis (127.0.0.1:6379, a private key prefix deleted after);
 *   - shapes: 1 entity × 20 features and 100 entities × 20 features (latest values);
 *   - cache: on (the default: a hot key set is served from memory) and off (every value from the store);
 *   - per case: maximum throughput (4 connections × 16 streams) and latency at 1,000 requests/s;
 *   - a bare grpc-js echo server (bench/echo-server.ts) carrying a payload as large as the 1 × 20
 *     response, driven the same way: the transport floor on this machine at that moment.
 * Every request is checked once with a real gRPC call first (h2load cannot read gRPC statuses), and
 * the service's own grpc_server_handled_total is compared before/after to count non-OK answers;
 * its grpc_server_handling_seconds histogram gives the service-side p50/p99 (as bucket upper
 * bounds), which h2load's client-side figures include along with queueing and client time.
 * Each measurement is repeated `--runs` times; the table shows medians. Writes
 * bench/results/<date>-features.json.
 *
 *   npm run bench:features -- [--runs 3] [--duration 5] [--backends sqlite,redis] [--rate 1000]
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { projectRoot } from '../shared/config/index.js';
import { FeaturesClient, RedisStore } from '../services/features/index.js';
import type { GetOnlineFeaturesRequest } from '../shared/generated/mlmesh/features/v1/GetOnlineFeaturesRequest.js';
import { runH2load } from '../tools/loadtest/index.js';
import type { LoadResult } from '../tools/loadtest/index.js';
import { benchOptions } from '../tools/cli/bench-specs.js';

const values = benchOptions('features');
const RUNS = Number(values.runs);
const D = Number(values.duration);
const RATE = Number(values.rate);
const REDIS_URL = values['redis-url'];
const root = projectRoot();
const FEATURES = 20;
const ENTITIES = 1000;
const PATH = '/mlmesh.features.v1.FeatureService/GetOnlineFeatures';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const requestType = protobuf
  .parse(readFileSync(join(root, 'protos/mlmesh/features/v1/features.proto'), 'utf8'), { keepCase: true })
  .root.lookupType('mlmesh.features.v1.GetOnlineFeaturesRequest');

/** A length-prefixed gRPC message (uncompressed) holding the request, for h2load. */
function frame(req: GetOnlineFeaturesRequest): Buffer {
  const msg = Buffer.from(requestType.encode(requestType.fromObject(req)).finish());
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(msg.byteLength, 1);
  return Buffer.concat([prefix, msg]);
}

interface Service {
  proc: ChildProcess;
  address: string;
  http: string;
}

/** Starts main.js and resolves once it logs that it is ready. */
function startService(env: Record<string, string>): Promise<Service> {
  const proc = spawn(process.execPath, [join(root, 'dist/services/features/main.js')], {
    cwd: root,
    env: { ...process.env, MLMESH_FEATURES_GRPC_PORT: '0', MLMESH_FEATURES_HTTP_PORT: '0', MLMESH_FEATURES_LOG_LEVEL: 'info', MLMESH_FEATURES_RETENTION_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (c: string) => {
      buf += c;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let rec: Record<string, unknown>;
        try {
          rec = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue; // not a log line
        }
        if (rec['msg'] === 'features service ready') resolve({ proc, address: rec['address'] as string, http: `http://127.0.0.1:${String(rec['httpPort'])}` });
      }
    });
    proc.once('exit', (code) => reject(new Error(`features service exited with ${code}`)));
  });
}

async function stopService(s: Service): Promise<void> {
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGTERM');
  await exited;
}

/** What the service itself counted for GetOnlineFeatures: non-OK answers and handling-time buckets. */
interface ServiceCounters {
  nonOk: number;
  /** Cumulative count per bucket edge (seconds; Infinity for +Inf). */
  buckets: Map<number, number>;
}

async function serviceCounters(http: string): Promise<ServiceCounters> {
  const text = await (await fetch(`${http}/metrics`)).text();
  const out: ServiceCounters = { nonOk: 0, buckets: new Map() };
  for (const line of text.split('\n')) {
    if (!line.includes('grpc_method="GetOnlineFeatures"')) continue;
    const value = Number(line.split(' ').pop());
    if (line.startsWith('grpc_server_handled_total') && !line.includes('grpc_code="OK"')) out.nonOk += value;
    const le = /^grpc_server_handling_seconds_bucket\{.*le="([^"]+)"/.exec(line)?.[1];
    if (le !== undefined) out.buckets.set(le === '+Inf' ? Infinity : Number(le), value);
  }
  return out;
}

/**
 * Upper bound (bucket edge, ms) of the q-quantile of the service's own handling time (receipt of
 * the request to the response handed to grpc-js) for the calls between two snapshots.
 */
function serviceQuantileMs(before: ServiceCounters, after: ServiceCounters, q: number): number {
  const edges = [...after.buckets.keys()].sort((a, b) => a - b);
  const total = (after.buckets.get(Infinity) ?? 0) - (before.buckets.get(Infinity) ?? 0);
  for (const le of edges) if ((after.buckets.get(le) ?? 0) - (before.buckets.get(le) ?? 0) >= q * total) return le * 1000;
  return Infinity;
}

/** Registers 20 FLOAT features and writes 1,000 entities × 20 features × 3 history points. */
async function seed(client: FeaturesClient): Promise<string[]> {
  const refs: string[] = [];
  for (let i = 0; i < FEATURES; i++) {
    await client.register({ name: `bench_f${i}`, version: 1, entity: 'user', value_type: 'FLOAT', source: { push: {} } });
    refs.push(`bench_f${i}@1`);
  }
  const now = Date.now();
  for (let e = 0; e < ENTITIES; e += 100) {
    const writes = [];
    for (let k = e; k < e + 100; k++) for (const feature of refs) for (let h = 0; h < 3; h++) writes.push({ feature, entity_id: `user-${k}`, event_time_ms: now - h * 3600_000, value: { float_value: k + h / 10 } });
    await client.write(writes);
  }
  return refs;
}

interface Row {
  backend: string;
  cache: string;
  shape: string;
  kind: 'max' | 'rate';
  runs: LoadResult[];
  nonOk: number;
  /** Bucket upper bounds (ms) of the service-side p50 and p99 over all runs of the case. */
  serviceP50Ms: number;
  serviceP99Ms: number;
}

const results: Row[] = [];

/** The echo server under the same two loads, with a payload as large as the 1 × 20 response. */
async function measureEcho(payloadBytes: number): Promise<void> {
  const proc = spawn(process.execPath, [join(root, 'dist/bench/echo-server.js')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout?.once('data', (c: Buffer) => resolve((JSON.parse(c.toString('utf8')) as { port: number }).port));
    proc.once('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
  });
  try {
    const echo = protobuf.parse(readFileSync(join(root, 'bench/echo.proto'), 'utf8'), { keepCase: true }).root.lookupType('mlmesh.bench.v1.EchoMessage');
    const body = Buffer.from(echo.encode(echo.fromObject({ payload: Buffer.alloc(payloadBytes, 7) })).finish());
    const data = Buffer.concat([Buffer.alloc(5), body]);
    data.writeUInt32BE(body.byteLength, 1);
    for (const kind of ['max', 'rate'] as const) {
      const runs: LoadResult[] = [];
      for (let r = 0; r < RUNS; r++) {
        runs.push(await runH2load({ target: `127.0.0.1:${port}`, model: 'echo', path: '/mlmesh.bench.v1.Echo/Call', frame: data, rows: 1, concurrency: kind === 'max' ? 64 : 32, connections: 4, durationS: D, rate: kind === 'max' ? 0 : RATE }));
      }
      results.push({ backend: 'echo (grpc-js)', cache: '-', shape: `${payloadBytes} B`, kind, runs, nonOk: 0, serviceP50Ms: NaN, serviceP99Ms: NaN });
      process.stderr.write(`echo ${kind}: ${median(runs.map((x) => x.throughput)).toFixed(0)} req/s p50 ${median(runs.map((x) => x.latencyMs.p50))} ms p99 ${median(runs.map((x) => x.latencyMs.p99))} ms\n`);
    }
  } finally {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }
}

async function measureBackend(backend: 'sqlite' | 'redis'): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-bench-features-'));
  const prefix = `mlmesh:bench:${randomUUID()}:`;
  const storeEnv: Record<string, string> =
    backend === 'sqlite'
      ? { MLMESH_FEATURES_BACKEND: 'sqlite', MLMESH_FEATURES_SQLITE_PATH: join(dir, 'features.db') }
      : { MLMESH_FEATURES_BACKEND: 'redis', MLMESH_FEATURES_REDIS_URL: REDIS_URL, MLMESH_FEATURES_REDIS_KEY_PREFIX: prefix };
  try {
    for (const cache of ['on', 'off'] as const) {
      const svc = await startService({ ...storeEnv, MLMESH_FEATURES_CACHE_TTL_MS: cache === 'on' ? '60000' : '0' });
      const client = new FeaturesClient(svc.address);
      try {
        // Seed once per backend: the second service (cache off) reads what the first wrote.
        const refs = cache === 'on' ? await seed(client) : Array.from({ length: FEATURES }, (_, i) => `bench_f${i}@1`);
        for (const n of [1, 100]) {
          const req: GetOnlineFeaturesRequest = { features: { refs }, entity_ids: Array.from({ length: n }, (_, i) => `user-${(i * 7) % ENTITIES}`) };
          const check = await client.online(req, { deadlineMs: 5000 });
          const statuses = check.columns.flatMap((c) => c.statuses);
          if (statuses.length !== n * FEATURES || statuses.some((s) => s !== 'PRESENT')) throw new Error(`bench request is not answered as expected: ${JSON.stringify(statuses.slice(0, 5))}`);
          const data = frame(req);
          const shape = `${n}x${FEATURES}`;
          for (const kind of ['max', 'rate'] as const) {
            const before = await serviceCounters(svc.http);
            const runs: LoadResult[] = [];
            for (let r = 0; r < RUNS; r++) {
              runs.push(
                await runH2load({
                  target: svc.address,
                  model: `features-${backend}-cache-${cache}-${shape}`,
                  path: PATH,
                  frame: data,
                  rows: n,
                  concurrency: kind === 'max' ? 64 : 32,
                  connections: 4,
                  durationS: D,
                  rate: kind === 'max' ? 0 : RATE,
                }),
              );
            }
            const after = await serviceCounters(svc.http);
            const row: Row = { backend, cache, shape, kind, runs, nonOk: after.nonOk - before.nonOk, serviceP50Ms: serviceQuantileMs(before, after, 0.5), serviceP99Ms: serviceQuantileMs(before, after, 0.99) };
            results.push(row);
            const tp = median(runs.map((x) => x.throughput));
            const p50 = median(runs.map((x) => x.latencyMs.p50));
            const p99 = median(runs.map((x) => x.latencyMs.p99));
            process.stderr.write(`${backend} cache=${cache} ${shape} ${kind === 'max' ? 'max' : `@${RATE}/s`}: ${tp.toFixed(0)} req/s p50 ${p50} ms p99 ${p99} ms (service ≤ ${row.serviceP50Ms} / ≤ ${row.serviceP99Ms} ms; non-OK ${row.nonOk})\n`);
          }
        }
      } finally {
        client.close();
        await stopService(svc);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (backend === 'redis') {
      const store = await RedisStore.create({ url: REDIS_URL, keyPrefix: prefix });
      await store.deleteAll();
      await store.close();
    }
  }
}

// The size of a 1 × 20 response: 20 refs, one entity, 20 columns of one float value, status and time.
const responseType = requestType.root.lookupType('mlmesh.features.v1.GetOnlineFeaturesResponse');
const oneRow = responseType.fromObject({
  features: Array.from({ length: FEATURES }, (_, i) => `bench_f${i}@1`),
  entity_ids: ['user-0'],
  columns: Array.from({ length: FEATURES }, () => ({ values: [{ float_value: 1.5 }], statuses: ['PRESENT'], event_times_ms: [Date.now()] })),
});
await measureEcho(responseType.encode(oneRow).finish().byteLength);
for (const b of values.backends.split(',')) {
  if (b !== 'sqlite' && b !== 'redis') throw new Error(`--backends: unknown backend ${b}`);
  await measureBackend(b);
}

const table = [
  '| backend | cache | entities × features | load | throughput (req/s) | p50 ms | p99 ms | service p50 / p99 ms (bucket ≤) | non-OK |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...results.map((r) =>
    [
      '',
      r.backend,
      r.cache,
      r.shape.replace(/^(\d+)x(\d+)$/, '$1 × $2'),
      r.kind === 'max' ? 'max (4 conn × 16 streams)' : `${RATE}/s`,
      median(r.runs.map((x) => x.throughput)).toFixed(0),
      median(r.runs.map((x) => x.latencyMs.p50)),
      median(r.runs.map((x) => x.latencyMs.p99)),
      Number.isNaN(r.serviceP50Ms) ? '-' : `${r.serviceP50Ms} / ${r.serviceP99Ms}`,
      r.nonOk,
      '',
    ].join(' | ').trim(),
  ),
].join('\n');
process.stdout.write(`\nGetOnlineFeatures, medians of ${RUNS} runs of ${D} s (h2load; ${cpus().length} CPUs)\n\n${table}\n`);
const outDir = join(root, 'bench/results');
await mkdir(outDir, { recursive: true });
const file = join(outDir, `${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}-features.json`);
await writeFile(file, JSON.stringify({ date: new Date().toISOString(), cpus: cpus().length, runs: RUNS, durationS: D, rate: RATE, results }, null, 2));
process.stdout.write(`\nwritten to ${file}\n`);
