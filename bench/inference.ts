/**
 * `npm run bench` — the inference service measured side by side with its limits, in one run:
 *   1. in-process onnxruntime-node (batch 1 loop, batch 32, batch 256; 1 intra-op thread, as the
 *      service's instances use): the compute limit;
 *   2. a bare grpc-js unary echo server with the same request and response sizes as the
 *      service's single-row and 256-row calls: the transport limit;
 *   3. the inference service with single-row requests at concurrency 1, 16, 64, batching on
 *      (max_batch_size 256, no queue delay) and off (max_batch_size 1), and at 64 with prediction
 *      logging on (a second service process logging every prediction to a private nats-server,
 *      routing off, measured right after the one without NATS);
 *   4. the inference service with 256-row requests;
 *   5. p99 latency at half the maximum single-row throughput: h2load `--rps` (bursts), and the
 *      open-loop generator (tools/loadtest/open-loop.ts: evenly spaced or Poisson sends, latency
 *      from each request's scheduled time), itself checked against the echo server at that rate,
 *      with the service's GC pauses over the open-loop run (`openloop_gc_*`, from its /metrics);
 *   6. the peers a user would pick instead (bench/peers/): Flask + gunicorn (JSON over HTTP/1.1)
 *      and a grpcio ModelInfer server, over a TorchScript copy of the same weights, checked
 *      against onnxruntime first; single-row requests, 64 in flight, and mlmesh's ratio to each.
 * Load comes from h2load (a prepared gRPC frame; C, not the bottleneck a Node client would be).
 * Each measurement is repeated `--runs` times; the table shows medians, and the ratios are taken
 * from medians of the same run. Writes bench/results/<date>-inference.json.
 *
 *   npm run bench -- [--runs 3] [--duration 5] [--models digits_mlp,digits_mlp_wide]
 *     [--peers flask,grpcio|none] [--arrivals constant|poisson]
 *
 * The wide model (hidden 1024) is generated on demand by tools/make_fixtures.py --wide (needs
 * Debian's python3-torch, python3-sklearn, python3-onnx); without it only digits_mlp runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import protobuf from 'protobufjs';
import { projectRoot } from '../shared/config/index.js';
import * as grpc from '@grpc/grpc-js';
import { InferenceClient, buildManifest } from '../services/inference/index.js';
import { NatsServer } from '../test/helpers/nats-server.js';
import { buildRequest, grpcFrame, loadTest, nativeOpenLoopBinary, openLoop, runH2load } from '../tools/loadtest/index.js';
import type { LoadResult, OpenLoopResult } from '../tools/loadtest/index.js';
import { benchOptions } from '../tools/cli/bench-specs.js';
import { PEERS, compileProtos, exportTorchScript, flaskBody, missing, parity, runH1Load, startFlask, startGrpcio } from './peers/peers.js';
import type { Peer, PeerName } from './peers/peers.js';
import { median, startChild, stopChild } from './common.js';

const values = benchOptions('inference');
const RUNS = Number(values.runs);
const D = Number(values.duration);
const root = projectRoot();
if (values.arrivals !== 'constant' && values.arrivals !== 'poisson') {
  process.stderr.write(`bench/inference.js: --arrivals must be constant or poisson, got '${values.arrivals}'\n`);
  process.exit(2);
}
const ARRIVALS: 'constant' | 'poisson' = values.arrivals;
const engineFlag = values['open-loop-engine'];
if (engineFlag !== 'native' && engineFlag !== 'node') {
  process.stderr.write(`bench/inference.js: --open-loop-engine must be native or node, got '${engineFlag}'\n`);
  process.exit(2);
}
let OPEN_LOOP_ENGINE: 'native' | 'node' = engineFlag;
if (OPEN_LOOP_ENGINE === 'native') {
  // Built now, so a machine without g++ or libnghttp2-dev learns it before the runs, not in them.
  await nativeOpenLoopBinary().catch((e: unknown) => {
    process.stderr.write(`bench/inference.js: the native open-loop engine is not available (${(e as Error).message}): using the node engine\n`);
    OPEN_LOOP_ENGINE = 'node';
  });
}
const PEER_LIST = values.peers === 'none' ? [] : values.peers.split(',').map((p) => p.trim());
for (const p of PEER_LIST) {
  if (!(PEERS as readonly string[]).includes(p)) {
    process.stderr.write(`bench/inference.js: --peers takes ${PEERS.join(', ')} or none, got '${p}'\n`);
    process.exit(2);
  }
}
/** Open-loop runs: HTTP/2 connections of the generator, and seconds of warm-up left out of the figures. */
const OPEN_LOOP_CONNECTIONS = 2;
const OPEN_LOOP_WARMUP_S = 1;
/** Peers: processes (grpcio) or workers (gunicorn) per core, and grpcio's thread pool. */
const CORES = cpus().length;
const GRPCIO_THREADS = 8;
/** Connections h2load spreads the grpcio peer's 64 streams over, so SO_REUSEPORT spreads them over its processes. */
const GRPCIO_CONNECTIONS = 16;
/** Why a peer was skipped, and how each ran: for the results file. */
const peerNotes: { skipped: Record<string, string>; setup: Record<string, unknown>; parity: Record<string, number>; export: Record<string, unknown> } = { skipped: {}, setup: {}, parity: {}, export: {} };
let protoDir: string | undefined;


function modelDir(name: string): string | undefined {
  const candidates = [join(root, 'examples/models', name), join(root, 'bench/models', name)];
  const found = candidates.find((d) => existsSync(join(d, '1', 'model.onnx')));
  if (found || name !== 'digits_mlp_wide') return found;
  process.stderr.write('generating digits_mlp_wide with tools/make_fixtures.py --wide …\n');
  try {
    execFileSync('/usr/bin/python3', [join(root, 'tools/make_fixtures.py'), '--wide', '--out-models', join(tmpdir(), 'mlmesh-fx-models'), '--out-data', join(tmpdir(), 'mlmesh-fx-data')], { stdio: 'inherit' });
  } catch {
    process.stderr.write('could not generate it (needs python3-torch, python3-sklearn, python3-onnx): skipping the wide model\n');
    return undefined;
  }
  return candidates[1];
}

/** In-process onnxruntime: rows/s at a batch size, run for about D seconds. */
async function inProcess(onnx: string, batch: number): Promise<{ rowsPerS: number; msPerRun: number }> {
  const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const x = new ort.Tensor('float32', Float32Array.from({ length: batch * 64 }, () => Math.random()), [batch, 64]);
  for (let i = 0; i < 20; i++) await session.run({ input: x });
  let runs = 0;
  const t0 = process.hrtime.bigint();
  const end = Date.now() + D * 1000;
  while (Date.now() < end) {
    await session.run({ input: x });
    runs++;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await session.release();
  return { rowsPerS: (runs * batch) / s, msPerRun: (s * 1000) / runs };
}

/** The size in bytes of the service's answer to `body` (a ModelInferRequest's bytes), read off the wire. */
function responseBytes(target: string, body: Buffer): Promise<number> {
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  const id = (b: Buffer): Buffer => b;
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest('/inference.GRPCInferenceService/ModelInfer', id, id, body, (err, res) => {
      client.close();
      if (err || !res) reject(err ?? new Error('no response'));
      else resolve(res.byteLength);
    });
  });
}

/** An echo gRPC frame whose request and answer are about `requestBytes` and `responseBytes` long (within a few bytes of field tags). */
function echoFrameFor(EchoMessage: protobuf.Type, requestBytes: number, answerBytes: number): Buffer {
  const body = Buffer.from(EchoMessage.encode({ payload: Buffer.alloc(Math.max(0, requestBytes - 8)), respond_bytes: Math.max(1, answerBytes - 4) }).finish());
  const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), body]);
  frame.writeUInt32BE(body.byteLength, 1);
  return frame;
}

/** Cumulative bucket counts of the service's request-duration histogram for `model`. */
/** The service's /metrics text. */
async function metricsText(httpPort: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
}

async function durationBuckets(httpPort: number, model: string): Promise<Map<number, number>> {
  const text = await metricsText(httpPort);
  const out = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('mlmesh_inference_request_duration_seconds_bucket') || !line.includes(`model="${model}"`)) continue;
    const m = /le="([^"]+)".* (\d+)$/.exec(line);
    if (m) out.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]));
  }
  return out;
}

/** The gRPC thread's GC pauses so far, from prom-client's `nodejs_gc_duration_seconds` on the service's /metrics. */
interface GcPauses {
  minorS: number;
  minorN: number;
  /** Minor pauses of at most 10 ms (the `le="0.01"` bucket). */
  minorUpTo10msN: number;
  /** Mark-compact pauses: kinds major and incremental. */
  majorS: number;
  majorN: number;
  majorUpTo10msN: number;
}

async function gcPauses(httpPort: number): Promise<GcPauses> {
  const text = await metricsText(httpPort);
  const g: GcPauses = { minorS: 0, minorN: 0, minorUpTo10msN: 0, majorS: 0, majorN: 0, majorUpTo10msN: 0 };
  for (const line of text.split('\n')) {
    if (!line.startsWith('nodejs_gc_duration_seconds')) continue;
    const kind = /kind="([a-z]+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const major = kind === 'major' || kind === 'incremental';
    if (kind !== 'minor' && !major) continue;
    if (line.startsWith('nodejs_gc_duration_seconds_sum')) g[major ? 'majorS' : 'minorS'] += value;
    else if (line.startsWith('nodejs_gc_duration_seconds_count')) g[major ? 'majorN' : 'minorN'] += value;
    else if (line.includes('le="0.01"')) g[major ? 'majorUpTo10msN' : 'minorUpTo10msN'] += value;
  }
  return g;
}

/** The GC pauses between two snapshots, as figures under `prefix`. */
function gcRow(r: Row, prefix: string, before: GcPauses, after: GcPauses, seconds: number): void {
  const d = (k: keyof GcPauses): number => after[k] - before[k];
  r[`${prefix}_gc_minor_n`] = d('minorN');
  r[`${prefix}_gc_minor_ms`] = d('minorS') * 1000;
  r[`${prefix}_gc_major_ms`] = d('majorS') * 1000;
  // Pauses over 10 ms: each one alone puts the requests it holds up past a 10 ms p99 target.
  r[`${prefix}_gc_pauses_over_10ms`] = d('minorN') - d('minorUpTo10msN') + d('majorN') - d('majorUpTo10msN');
  r[`${prefix}_gc_share`] = (d('minorS') + d('majorS')) / seconds;
}

/** Upper bound (bucket edge, ms) of the q-quantile of the requests counted between two snapshots. */
function bucketQuantileMs(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const edges = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  for (const le of edges) {
    if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= q * total) return le * 1000;
  }
  return Infinity;
}

/** A repository with the model twice: batching on (`<m>`) and off (`<m>_nobatch`). */
async function benchRepo(name: string, dir: string): Promise<string> {
  const repo = await mkdtemp(join(tmpdir(), 'mlmesh-bench-'));
  for (const [folder, cfg] of [
    [name, { max_batch_size: 256, dynamic_batching: { max_queue_delay_microseconds: 0, max_queue_size: 4096 } }],
    [`${name}_nobatch`, { max_batch_size: 1, dynamic_batching: { max_queue_delay_microseconds: 0, max_queue_size: 4096 } }],
  ] as const) {
    const v = join(repo, folder, '1');
    await mkdir(v, { recursive: true });
    await cp(join(dir, '1', 'model.onnx'), join(v, 'model.onnx'));
    const manifest = await buildManifest(v, ['model.onnx'], { training_data_sha256: null, parent_version: null, produced_by: 'bench', created_at: new Date().toISOString(), metrics: {} });
    await writeFile(join(v, 'manifest.json'), JSON.stringify(manifest));
    await writeFile(join(repo, folder, 'config.json'), JSON.stringify({ ...cfg, instance_group: [{ count: 1 }], intra_op_threads: 1 }));
  }
  return repo;
}

async function h2(target: string, model: string, rows: number, concurrency: number, rate = 0): Promise<LoadResult> {
  return loadTest({ target, model, rows, concurrency, durationS: D, rate, engine: 'h2load', connections: Math.min(4, concurrency) });
}

type Row = Record<string, number>;

/** Open-loop figures under `prefix`. */
function openLoopRow(r: Row, prefix: string, o: OpenLoopResult): void {
  r[`${prefix}_sent_req_s`] = o.sendRate;
  r[`${prefix}_answered_req_s`] = o.throughput;
  r[`${prefix}_p50_ms`] = o.latencyMs.p50;
  r[`${prefix}_p99_ms`] = o.latencyMs.p99;
  r[`${prefix}_p999_ms`] = o.latencyMs.p999;
  r[`${prefix}_send_lag_p99_ms`] = o.sendLagMs.p99;
  r[`${prefix}_errors`] = o.requests - o.ok;
  r[`${prefix}_generator_cpu_pct`] = o.generatorCpuPercent;
}

/** The peers that can run here, each with its TorchScript file (exported once per model). */
async function preparePeers(name: string, onnx: string, dir: string): Promise<Map<PeerName, string>> {
  const ready = new Map<PeerName, string>();
  const pt = join(dir, `${name}.pt`);
  let exported = false;
  for (const p of PEER_LIST as PeerName[]) {
    const why = await missing(p);
    if (why) {
      peerNotes.skipped[p] = why;
      process.stderr.write(`peer ${p} skipped: ${why}\n`);
      continue;
    }
    try {
      if (!exported) {
        peerNotes.export[name] = await exportTorchScript(onnx, pt);
        exported = true;
      }
      if (p === 'grpcio') protoDir ??= await compileProtos();
      ready.set(p, pt);
    } catch (e: unknown) {
      peerNotes.skipped[p] = (e as Error).message;
      process.stderr.write(`peer ${p} skipped: ${(e as Error).message}\n`);
    }
  }
  return ready;
}

/** One peer's run: start it, check it against onnxruntime (first run), 64 single-row requests in flight for D s. */
async function runPeer(p: PeerName, pt: string, name: string, onnx: string, frame: Buffer, r: Row, first: boolean): Promise<void> {
  const peer: Peer = p === 'flask' ? await startFlask(pt, name, CORES) : await startGrpcio(pt, name, protoDir as string, CORES, GRPCIO_THREADS);
  try {
    peerNotes.setup[p] = { ...peer.setup, ...(p === 'grpcio' ? { h2loadConnections: GRPCIO_CONNECTIONS } : { h2loadConnections: 64 }) };
    if (first) {
      const diff = await parity(p, peer.port, name, onnx);
      peerNotes.parity[`${name}/${p}`] = diff;
      process.stderr.write(`${name}: ${p} peer vs onnxruntime on 5 rows: max |Δ| = ${diff.toExponential(2)} (${diff <= 1e-5 ? 'within' : 'OVER'} 1e-5)\n`);
      if (!(diff <= 1e-5)) throw new Error(`the ${p} peer's answers differ from onnxruntime's by ${diff}: not the same network`);
    }
    const res =
      p === 'flask'
        ? await runH1Load(peer.port, flaskBody(), 64, D)
        : await runH2load({ target: `127.0.0.1:${peer.port}`, model: name, path: '/inference.GRPCInferenceService/ModelInfer', frame, rows: 1, concurrency: 64, durationS: D, rate: 0, connections: GRPCIO_CONNECTIONS });
    r[`${p}_c64_rows_s`] = res.rowsPerS;
    r[`${p}_c64_p99_ms`] = res.latencyMs.p99;
    r[`${p}_errors`] = res.requests - res.ok;
  } finally {
    await peer.stop();
  }
}

async function benchModel(name: string): Promise<{ medians: Row; runs: Row[] } | undefined> {
  const dir = modelDir(name);
  if (!dir) return undefined;
  const runs: Row[] = [];
  const repo = await benchRepo(name, dir);
  const peerDir = await mkdtemp(join(tmpdir(), 'mlmesh-peers-'));
  // Prediction logging on: a private JetStream server (not the machine's), one per model.
  const nats = await NatsServer.start();
  try {
    const peers = await preparePeers(name, join(dir, '1', 'model.onnx'), peerDir);
    let frame: Buffer = Buffer.alloc(0);
    for (let run = 0; run < RUNS; run++) {
      const r: Row = {};
      process.stderr.write(`${name}: run ${run + 1}/${RUNS}\n`);
      for (const b of [1, 32, 256]) r[`inproc_b${b}_rows_s`] = (await inProcess(join(dir, '1', 'model.onnx'), b)).rowsPerS;

      let httpPort = -1;
      const svcEnv = { MLMESH_INFERENCE_GRPC_PORT: '0', MLMESH_INFERENCE_HTTP_PORT: '0', MLMESH_INFERENCE_MODEL_REPOSITORY: repo, MLMESH_LOG_LEVEL: 'info' };
      const isReady = (rec: Record<string, unknown>): number | undefined => (rec['msg'] === 'inference service ready' ? Number(String(rec['address']).split(':')[1]) : undefined);
      const svc = await startChild(['dist/services/inference/main.js'], { ...svcEnv, NATS_URL: '' }, (rec) => {
        const port = isReady(rec);
        if (port !== undefined) httpPort = Number(rec['httpPort']);
        return port;
      });
      const spool = await mkdtemp(join(tmpdir(), 'mlmesh-bench-spool-'));
      const logged = await startChild(['dist/services/inference/main.js'], { ...svcEnv, NATS_URL: nats.url, MLMESH_INFERENCE_ROUTING: 'false', MLMESH_INFERENCE_SPOOL_DIR: spool }, isReady);
      // The same service with ModelInfer through grpc-js's call stack (grpcFastUnary off): what
      // the fast unary path (shared/grpc/fast-unary.ts) gains, side by side.
      const viaGrpcJs = await startChild(['dist/services/inference/main.js'], { ...svcEnv, NATS_URL: '', MLMESH_INFERENCE_GRPC_FAST_UNARY: 'false' }, isReady);
      const target = `127.0.0.1:${svc.port}`;
      const echo = await startChild(['dist/bench/echo-server.js'], {}, (rec) => (typeof rec['port'] === 'number' ? rec['port'] : undefined));
      try {
        // The echo calls carry requests and answers as large as the service's (single-row and
        // 256-row), read off the wire.
        const client = new InferenceClient(target);
        const meta = await client.modelMetadata(name);
        client.close();
        frame = grpcFrame(buildRequest(meta, 1));
        const frame256 = grpcFrame(buildRequest(meta, 256));
        const answer1 = await responseBytes(target, frame.subarray(5));
        const answer256 = await responseBytes(target, frame256.subarray(5));
        const echoRoot = protobuf.parse(readFileSync(join(root, 'bench/echo.proto'), 'utf8'), { keepCase: true }).root;
        const EchoMessage = echoRoot.lookupType('mlmesh.bench.v1.EchoMessage');
        const echoFrame = echoFrameFor(EchoMessage, frame.byteLength - 5, answer1);
        const echoFrame256 = echoFrameFor(EchoMessage, frame256.byteLength - 5, answer256);
        r['request_bytes_1'] = frame.byteLength - 5;
        r['response_bytes_1'] = answer1;
        r['request_bytes_256'] = frame256.byteLength - 5;
        r['response_bytes_256'] = answer256;
        const e = await runH2load({ target: `127.0.0.1:${echo.port}`, model: 'echo', path: '/mlmesh.bench.v1.Echo/Call', frame: echoFrame, rows: 1, concurrency: 64, durationS: D, rate: 0, connections: 4 });
        r['echo_c64_calls_s'] = e.throughput;
        const e256 = await runH2load({ target: `127.0.0.1:${echo.port}`, model: 'echo', path: '/mlmesh.bench.v1.Echo/Call', frame: echoFrame256, rows: 1, concurrency: 4, durationS: D, rate: 0, connections: 4 });
        r['echo_rows256_c4_calls_s'] = e256.throughput;

        for (const c of [1, 16, 64]) {
          const on = await h2(target, name, 1, c);
          const off = await h2(target, `${name}_nobatch`, 1, c);
          r[`svc_on_c${c}_rows_s`] = on.rowsPerS;
          r[`svc_on_c${c}_p99_ms`] = on.latencyMs.p99;
          r[`svc_off_c${c}_rows_s`] = off.rowsPerS;
          r[`svc_off_c${c}_p99_ms`] = off.latencyMs.p99;
          r[`svc_errors`] = (r[`svc_errors`] ?? 0) + on.requests - on.ok + off.requests - off.ok;
          if (c === 64) {
            // The logging process has taken no load yet: a second of warm-up first (its session's
            // first runs, the NATS connection's first publishes).
            await loadTest({ target: `127.0.0.1:${logged.port}`, model: name, rows: 1, concurrency: 64, durationS: 1, rate: 0, engine: 'h2load', connections: 4 });
            const log = await h2(`127.0.0.1:${logged.port}`, name, 1, 64);
            r['svc_log_c64_rows_s'] = log.rowsPerS;
            r['svc_log_c64_p99_ms'] = log.latencyMs.p99;
            r[`svc_errors`] += log.requests - log.ok;
            const viaJs = await h2(`127.0.0.1:${viaGrpcJs.port}`, name, 1, 64);
            r['svc_grpcjs_c64_rows_s'] = viaJs.rowsPerS;
            r[`svc_errors`] += viaJs.requests - viaJs.ok;
          }
        }
        const big = await h2(target, name, 256, 4);
        r['svc_rows256_c4_rows_s'] = big.rowsPerS;
        const max = Math.max(r['svc_on_c64_rows_s'] ?? 0, r['svc_on_c16_rows_s'] ?? 0);
        // Half the maximum rate, from one HTTP/2 connection (h2load's --rps ticks every 1/rate s
        // on each connection; several connections tick in phase and send bursts).
        const before = await durationBuckets(httpPort, name);
        const half = await loadTest({ target, model: name, rows: 1, concurrency: 64, durationS: D, rate: Math.round(max / 2), engine: 'h2load', connections: 1 });
        const after = await durationBuckets(httpPort, name);
        r['half_rate_req_s'] = half.throughput;
        r['half_rate_p50_ms'] = half.latencyMs.p50;
        r['half_rate_p99_ms'] = half.latencyMs.p99;
        // The service's own view (receipt to response), as the bucket edge that holds the p99.
        r['half_rate_server_p99_le_ms'] = bucketQuantileMs(before, after, 0.99);
        // The same rate from the open-loop generator (latency from each scheduled send), then the
        // generator alone against the echo server at that rate: what it adds by itself.
        const olRate = Math.round(max / 2);
        r['openloop_rate_req_s'] = olRate;
        // The gRPC thread's GC pauses over the same run (warm-up included): what they do to the tail.
        const gcBefore = await gcPauses(httpPort);
        const ol = await openLoop({ target, path: '/inference.GRPCInferenceService/ModelInfer', frame, rate: olRate, durationS: D, warmupS: OPEN_LOOP_WARMUP_S, connections: OPEN_LOOP_CONNECTIONS, arrivals: ARRIVALS, engine: OPEN_LOOP_ENGINE });
        gcRow(r, 'openloop', gcBefore, await gcPauses(httpPort), D + OPEN_LOOP_WARMUP_S);
        openLoopRow(r, 'openloop', ol);
        const olEcho = await openLoop({ target: `127.0.0.1:${echo.port}`, path: '/mlmesh.bench.v1.Echo/Call', frame: echoFrame, rate: olRate, durationS: D, warmupS: OPEN_LOOP_WARMUP_S, connections: OPEN_LOOP_CONNECTIONS, arrivals: ARRIVALS, engine: OPEN_LOOP_ENGINE });
        openLoopRow(r, 'openloop_echo', olEcho);
      } finally {
        await stopChild(svc);
        await stopChild(logged);
        await stopChild(viaGrpcJs);
        await stopChild(echo);
        await rm(spool, { recursive: true, force: true });
      }
      r['ratio_single_row_c64_vs_echo'] = (r['svc_on_c64_rows_s'] as number) / (r['echo_c64_calls_s']);
      r['ratio_batching_on_vs_off_c64'] = (r['svc_on_c64_rows_s'] as number) / (r['svc_off_c64_rows_s'] as number);
      r['ratio_rows256_vs_inproc_b256'] = (r['svc_rows256_c4_rows_s']) / (r['inproc_b256_rows_s'] as number);
      r['ratio_rows256_vs_echo'] = r['svc_rows256_c4_rows_s'] / 256 / r['echo_rows256_c4_calls_s'];
      r['ratio_fast_unary_vs_grpcjs_c64'] = (r['svc_on_c64_rows_s'] as number) / (r['svc_grpcjs_c64_rows_s'] as number);
      r['ratio_logging_on_vs_off_c64'] = (r['svc_log_c64_rows_s'] as number) / (r['svc_on_c64_rows_s'] as number);
      // The peers run after the service has stopped, one at a time, with the same load generator.
      for (const [p, pt] of peers) {
        await runPeer(p, pt, name, join(dir, '1', 'model.onnx'), frame, r, run === 0);
        r[`ratio_mlmesh_vs_${p}_c64`] = (r['svc_on_c64_rows_s'] as number) / (r[`${p}_c64_rows_s`] as number);
      }
      runs.push(r);
    }
  } finally {
    await rm(repo, { recursive: true, force: true });
    await rm(peerDir, { recursive: true, force: true });
    await nats.dispose();
  }
  const medians: Row = {};
  for (const k of Object.keys(runs[0] ?? {})) medians[k] = median(runs.map((r) => r[k] as number));
  return { medians, runs };
}

const results: Record<string, { medians: Row; runs: Row[] }> = {};
for (const m of values.models.split(',')) {
  const res = await benchModel(m.trim());
  if (res) results[m.trim()] = res;
}

const fmt = (v: number | undefined) => (v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(2));
const keys = [...new Set(Object.values(results).flatMap((r) => Object.keys(r.medians)))];
const models = Object.keys(results);
let table = `| metric (median of ${RUNS} runs, ${D} s each) | ${models.join(' | ')} |\n| --- | ${models.map(() => '---:').join(' | ')} |\n`;
for (const k of keys) table += `| ${k} | ${models.map((m) => fmt(results[m]?.medians[k])).join(' | ')} |\n`;
const targets = [
  ['single-row c64 vs echo ≥ 0.75', 'ratio_single_row_c64_vs_echo', 0.75, '≥'],
  ['batching on vs off at c64 ≥ 2', 'ratio_batching_on_vs_off_c64', 2, '≥'],
  ['256-row calls/s vs echo of the same sizes ≥ 0.75', 'ratio_rows256_vs_echo', 0.75, '≥', 'digits_mlp'],
  ['256-row rows/s vs in-process b256 ≥ 0.8', 'ratio_rows256_vs_inproc_b256', 0.8, '≥', 'digits_mlp_wide'],
  ['prediction logging on vs off at c64 ≥ 0.9', 'ratio_logging_on_vs_off_c64', 0.9, '≥'],
  ['p99 at half max throughput ≤ 10 ms', 'half_rate_p99_ms', 10, '≤'],
  ['open-loop p99 at half max throughput ≤ 10 ms', 'openloop_p99_ms', 10, '≤'],
  ['rows/s vs Flask + gunicorn at c64 ≥ 8', 'ratio_mlmesh_vs_flask_c64', 8, '≥'],
  ['rows/s vs grpcio at c64 ≥ 5', 'ratio_mlmesh_vs_grpcio_c64', 5, '≥'],
] as const;
let verdicts = '';
for (const m of models) {
  for (const [label, key, goal, op, only] of targets) {
    const v = results[m]?.medians[key];
    // A target set for one model only (the in-process ratio is the goal where compute dominates).
    if (only !== undefined && only !== m) {
      verdicts += `- ${m}: ${label}: ${fmt(v)} (a target for ${only} only)\n`;
      continue;
    }
    if (v === undefined && key.startsWith('ratio_mlmesh_vs_')) {
      verdicts += `- ${m}: ${label}: not measured (${peerNotes.skipped[key.split('_')[3] as string] ?? 'peer not selected'})\n`;
      continue;
    }
    const met = v !== undefined && (op === '≥' ? v >= goal : v <= goal);
    verdicts += `- ${m}: ${label}: ${fmt(v)} ${met ? 'met' : 'MISSED'}\n`;
  }
}
process.stdout.write(`\n${table}\n${verdicts}`);
const outDir = join(root, 'bench/results');
await mkdir(outDir, { recursive: true });
const file = join(outDir, `${new Date().toISOString().slice(0, 10)}-inference.json`);
await writeFile(
  file,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      host: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
      runs: RUNS,
      durationS: D,
      openLoop: { engine: OPEN_LOOP_ENGINE, arrivals: ARRIVALS, connections: OPEN_LOOP_CONNECTIONS, warmupS: OPEN_LOOP_WARMUP_S, rate: 'half of max(svc_on_c16, svc_on_c64) rows/s', latency: 'from scheduled send' },
      peers: peerNotes,
      results,
    },
    null,
    2,
  ) + '\n',
);
process.stdout.write(`\nwrote ${file}\n`);
if (protoDir) await rm(protoDir, { recursive: true, force: true });
