/**
 * An open-loop load generator: requests leave on a schedule fixed in advance (evenly spaced, or
 * a Poisson process), never waiting for earlier answers, and each latency is measured from the
 * request's scheduled send time. A closed loop (h2load, the node engine), or h2load's `--rps`
 * that sends a burst each tick, measures from when a request actually left: when the server
 * stalls, the requests that should have left meanwhile are not sent, and the stall is counted
 * once instead of for every request it delayed (coordinated omission). Here they are all sent
 * (late sends are recorded as late) and all count.
 *
 * The generator runs in its own process, so the caller's work does not delay its sends, with
 * one of two engines:
 * - `node` (open-loop-worker.ts): node:http2 with a prepared gRPC frame, the server's
 *   grpc-status read from the trailers. ~0.1 ms of CPU per request.
 * - `native` (native/open-loop.cc, built on first use by native.ts): the same in C++ over
 *   libnghttp2, waking at each due time (epoll_pwait2). A few µs of CPU per request, so on a
 *   machine it shares with the server it takes little from what it measures.
 * Neither engine reconnects: a connection the server closes (or a GOAWAY) fails the requests
 * scheduled on it afterwards. Check what the generator adds by itself with the same rate
 * against a bare echo server (bench/echo-server.ts): `npm run bench` does.
 */
import { fork, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nativeOpenLoopBinary } from './native.js';
import { quantile } from './stats.js';
import { schedule } from './schedule.js';
import type { OpenLoopReport, OpenLoopTask } from './open-loop-worker.js';

/** Options of {@link openLoop}. */
export interface OpenLoopOptions {
  /** host:port, plaintext HTTP/2. */
  target: string;
  /** Full method path, e.g. `/inference.GRPCInferenceService/ModelInfer`. */
  path: string;
  /** The length-prefixed gRPC message to send (`grpcFrame`). */
  frame: Buffer;
  /** Requests per second, in total. */
  rate: number;
  /** Seconds of schedule measured. */
  durationS: number;
  /**
   * Seconds of the same schedule sent first and left out of the figures (the generator's and the
   * server's warm-up: JIT, connection windows). Errors are counted over both. @default 0
   */
  warmupS?: number;
  /** HTTP/2 connections, used in turn. @default 1 */
  connections?: number;
  /** Evenly spaced (1/rate apart) or exponential gaps of mean 1/rate. @default 'constant' */
  arrivals?: 'constant' | 'poisson';
  /** Seed of the Poisson schedule. @default 1 */
  seed?: number;
  /** A request unanswered this long after its send (ms) is cancelled and counted as DEADLINE_EXCEEDED. @default 10000 */
  deadlineMs?: number;
  /** `node` (node:http2) or `native` (C++ over libnghttp2; needs g++ and libnghttp2-dev to build). @default 'node' */
  engine?: 'node' | 'native';
}

/** Quantiles in ms. */
export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Result of {@link openLoop}. */
export interface OpenLoopResult {
  target: string;
  engine: 'node' | 'native';
  arrivals: 'constant' | 'poisson';
  connections: number;
  /** Target rate (req/s). */
  rate: number;
  durationS: number;
  /** Requests sent (all that were scheduled). */
  requests: number;
  ok: number;
  /** Failures by gRPC status name, HTTP status (`HTTP_503`) or `TRANSPORT`, warm-up included. */
  errors: Record<string, number>;
  /** Requests sent per second, from the first scheduled send to the last actual one (what the server was offered). */
  sendRate: number;
  /** Successful answers per second, from the first scheduled send to the last answer. */
  throughput: number;
  /** From the scheduled send time to the answer: what a client on that schedule waits. */
  latencyMs: LatencySummary;
  /** From the actual send to the answer (what a closed-loop tool would report). */
  serviceMs: LatencySummary;
  /** Actual send minus scheduled time: the generator's own lateness. */
  sendLagMs: LatencySummary;
  /** CPU the generator process used while it ran, in % of one core (its cost to a shared machine). */
  generatorCpuPercent: number;
}

function summary(values: Float64Array): LatencySummary {
  const s = Float64Array.from(values.filter((v) => !Number.isNaN(v))).sort();
  let sum = 0;
  for (const v of s) sum += v;
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return {
    p50: r(quantile(s, 0.5)),
    p90: r(quantile(s, 0.9)),
    p99: r(quantile(s, 0.99)),
    p999: r(quantile(s, 0.999)),
    max: r(s.length ? (s[s.length - 1] as number) : NaN),
    mean: r(s.length ? sum / s.length : NaN),
  };
}

/**
 * Runs one open-loop load and returns its result once every request has been answered or
 * cancelled.
 * @throws Error for bad options, or when the generator process fails (e.g. cannot connect).
 */
export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  for (const [name, v] of [['rate', o.rate], ['durationS', o.durationS], ['connections', o.connections ?? 1], ['deadlineMs', o.deadlineMs ?? 10_000]] as const) {
    if (!Number.isFinite(v) || v <= 0) throw new Error(`open loop: ${name} must be a positive number, got ${v}`);
  }
  const warmupS = o.warmupS ?? 0;
  if (!Number.isFinite(warmupS) || warmupS < 0) throw new Error(`open loop: warmupS must be 0 or more, got ${warmupS}`);
  const task: OpenLoopTask = {
    target: o.target,
    path: o.path,
    frame: o.frame,
    rate: o.rate,
    durationS: o.durationS + warmupS,
    connections: Math.floor(o.connections ?? 1),
    arrivals: o.arrivals ?? 'constant',
    seed: o.seed ?? 1,
    deadlineMs: o.deadlineMs ?? 10_000,
  };
  const engine = o.engine ?? 'node';
  if (engine !== 'node' && engine !== 'native') throw new Error(`open loop: engine must be node or native, got ${String(engine)}`);
  const report = engine === 'native' ? await runNative(task) : await runNode(task);
  // The measured requests: those scheduled after the warm-up.
  let skip = 0;
  while (skip < report.scheduledMs.length && (report.scheduledMs[skip] as number) < warmupS * 1000) skip++;
  const scheduledMs = report.scheduledMs.subarray(skip);
  const sentMs = report.sentMs.subarray(skip);
  const doneMs = report.doneMs.subarray(skip);
  const n = scheduledMs.length;
  const latency = doneMs.map((d, i) => d - (scheduledMs[i] as number));
  const service = doneMs.map((d, i) => d - (sentMs[i] as number));
  const lag = sentMs.map((s, i) => s - (scheduledMs[i] as number));
  let ok = 0;
  let lastDone = 0;
  for (const d of doneMs) {
    if (Number.isNaN(d)) continue;
    ok++;
    if (d > lastDone) lastDone = d;
  }
  // From the first request's scheduled time (a late first send must not shorten the span) to
  // the last actual send; n sends span n - 1 gaps, so an even schedule kept reads exactly `rate`.
  const first = n ? (scheduledMs[0] as number) : 0;
  const last = n ? (sentMs[n - 1] as number) : 0;
  const sendRate = n > 1 ? ((n - 1) * 1000) / (last - first) : 0;
  return {
    target: o.target,
    engine,
    arrivals: task.arrivals,
    connections: task.connections,
    rate: o.rate,
    durationS: o.durationS,
    requests: n,
    ok,
    errors: report.errors,
    sendRate,
    throughput: ok > 0 && lastDone > first ? (ok * 1000) / (lastDone - first) : 0,
    latencyMs: summary(latency),
    serviceMs: summary(service),
    sendLagMs: summary(lag),
    generatorCpuPercent: report.wallMs > 0 ? Math.round((1000 * report.cpuMs) / report.wallMs) / 10 : 0,
  };
}

/** The node engine: open-loop-worker.ts in a forked process. */
function runNode(task: OpenLoopTask): Promise<OpenLoopReport> {
  const child = fork(new URL('./open-loop-worker.js', import.meta.url), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise<OpenLoopReport>((resolve, reject) => {
    let got: OpenLoopReport | undefined;
    child.once('message', (m: OpenLoopReport) => (got = m));
    child.once('error', reject);
    child.once('exit', (code) => (got && code === 0 ? resolve(got) : reject(new Error(`the open-loop generator exited with code ${code} before reporting (is ${task.target} up?)`))));
    child.send(task);
  });
}

/**
 * The native engine: the same schedule (computed here, as the node engine computes it) handed to
 * native/open-loop.cc in a file; its sent and answer times come back in another.
 */
async function runNative(task: OpenLoopTask): Promise<OpenLoopReport> {
  const binary = await nativeOpenLoopBinary();
  const sep = task.target.lastIndexOf(':');
  if (sep <= 0) throw new Error(`open loop: target must be host:port, got ${task.target}`);
  const plan = schedule(task.rate, task.durationS, task.arrivals, task.seed);
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-open-loop-'));
  try {
    const files = { frame: join(dir, 'frame.bin'), schedule: join(dir, 'schedule.f64'), out: join(dir, 'times.f64') };
    await writeFile(files.frame, task.frame);
    await writeFile(files.schedule, new Uint8Array(plan.buffer, plan.byteOffset, plan.byteLength));
    const args = [task.target.slice(0, sep), task.target.slice(sep + 1), task.path, files.frame, files.schedule, String(task.connections), String(task.deadlineMs), files.out];
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.once('error', reject);
      // 'close', not 'exit': stdout is then read to its end.
      child.once('close', (code, signal) => (code === 0 ? resolve(out) : reject(new Error(`the native open-loop generator exited with ${signal ? `signal ${signal}` : `code ${code}`}: ${err.trim() || 'no message'} (is ${task.target} up?)`))));
    });
    const summaryLine = JSON.parse(stdout) as { errors: Record<string, number>; cpuMs: number; wallMs: number };
    const times = await readFile(files.out);
    const n = plan.length;
    if (times.byteLength !== 16 * n) throw new Error(`the native open-loop generator wrote ${times.byteLength} bytes of times, ${16 * n} expected`);
    const all = new Float64Array(times.buffer.slice(times.byteOffset, times.byteOffset + times.byteLength));
    return { type: 'done', scheduledMs: plan, sentMs: all.subarray(0, n), doneMs: all.subarray(n), errors: summaryLine.errors, cpuMs: summaryLine.cpuMs, wallMs: summaryLine.wallMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One human line for a result. */
export function formatOpenLoop(r: OpenLoopResult): string {
  const errs = Object.entries(r.errors).map(([k, v]) => `${k}=${v}`).join(' ') || 'none';
  const q = (s: LatencySummary) => `p50 ${s.p50} p99 ${s.p99} p99.9 ${s.p999} max ${s.max}`;
  return [
    `open loop (${r.arrivals}, ${r.engine} engine) → ${r.target} target ${r.rate}/s over ${r.connections} connection(s): sent ${r.sendRate.toFixed(0)}/s, answered ${r.throughput.toFixed(0)}/s, ${r.ok}/${r.requests} ok`,
    `  latency from scheduled send, ms: ${q(r.latencyMs)}`,
    `  from actual send, ms: ${q(r.serviceMs)}; send lag ms: ${q(r.sendLagMs)}`,
    `  errors: ${errs}; generator CPU ${r.generatorCpuPercent}% of a core`,
  ].join('\n');
}
