/**
 * The fuzz runner: for every RPC of every target service, as the loaded proto descriptors list
 * them (a new RPC is fuzzed without touching this file), sends `runs` valid-shaped but extreme
 * messages and `runs` malformed ones (bench/fuzz/arbitraries.ts) through a raw grpc-js client
 * (identity serializers, so the bytes go out exactly as generated), each with a deadline;
 * server-streaming calls are cancelled after `streamMs`; a bidirectional call sends the sample as
 * its one message and half-closes, so it must end by itself like a unary call. It counts statuses per RPC and records
 * findings:
 *
 * - `internal`: an INTERNAL or UNKNOWN status (bad input is the caller's fault; these codes mean
 *   the server failed);
 * - `hang`: a unary call that ran into its deadline (`unaryDeadlineMs`, far above any RPC's
 *   normal time);
 * - `bad-response`: an OK answer that does not decode as the response type;
 * - `down`: a server whose health check does not answer between two RPCs' batches (the run
 *   stops there; a health answer that changed, e.g. NOT_SERVING once a fuzzed admin call
 *   unloaded a startup model, is listed in `healthChanges` instead);
 * - `memory`: the process grew past the bound (see {@link MemoryBound});
 * - `process-warning`: a Node process warning while the calls ran (a parser's warning written to
 *   stderr per request, a listener leak), in-process servers only; experimental-feature notices
 *   aside.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { malformedArbitrary, requestArbitrary } from './arbitraries.js';
import type { ArbitraryOptions, Sample } from './arbitraries.js';

/** One service to fuzz: where it listens and its fully-qualified name. */
export interface FuzzTarget {
  /** Short name (`inference`, a key of SERVICES). */
  key: string;
  /** Fully-qualified service name, e.g. `inference.GRPCInferenceService`. */
  service: string;
  /** `host:port` of its gRPC server (plaintext). */
  address: string;
}

/** Memory of the servers at one moment, in bytes. */
export interface MemorySample {
  rss: number;
  heapUsed: number;
}

/**
 * How much the servers may grow over a run: `rssBytes` over the peak, `heapBytes` at the end
 * (after a GC when `global.gc` is exposed) over the start.
 */
export interface MemoryBound {
  rssBytes: number;
  heapBytes: number;
}

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  /** The protos the targets serve (resolved). */
  root: protobuf.Root;
  /** Valid-shaped samples per RPC, and as many malformed ones. @default 100 */
  runs?: number;
  /** fast-check seed. @default Date.now() */
  seed?: number;
  /**
   * Time for sending. An RPC may use what is left but a reserve of a quarter of a fair share
   * for each RPC after it, so every RPC is fuzzed even when the samples do not all fit; the
   * report says `truncated` then.
   * @default unlimited
   */
  timeBudgetMs?: number;
  /** Deadline of each unary call, in ms. @default 15000 */
  unaryDeadlineMs?: number;
  /** How long a server stream is read before it is cancelled, in ms. @default 150 */
  streamMs?: number;
  /** Calls in flight per RPC. @default 4 */
  concurrency?: number;
  /** Generator sizes and the dictionary of known names, per target key (or for all: '*'). */
  arbitraries?: Readonly<Record<string, ArbitraryOptions>>;
  /** Samples the servers' memory. @default process.memoryUsage() (in-process servers) */
  memory?: () => MemorySample;
  /**
   * Growth allowed. @default 768 MiB RSS, 96 MiB heap: a request is at most 4 MiB and a few are
   * in flight, each held in a handful of copies (frame, Buffer, decoded message, UTF-16
   * strings), and onnxruntime keeps the arenas valid big tensors made it grow (300 MiB of peak
   * growth in a 100-run pass); what must not grow is the heap left after a GC, which per-call
   * state kept by mistake would fill (10 MiB over that pass's 10,000 calls).
   */
  memoryBound?: MemoryBound;
  /** Called after each RPC's batch (progress lines). */
  onBatch?: (service: string, method: string, calls: number, ms: number) => void;
}

/** A call whose status was not what bad input should get. */
export interface Finding {
  kind: 'internal' | 'hang' | 'bad-response' | 'down' | 'memory' | 'process-warning';
  service: string;
  method: string;
  /** The generator of the request (`valid`, `truncated`, `deep-groups`…). */
  sample?: string;
  code?: string;
  details: string;
  /** The request as sent (hex, clipped to 4 KiB of bytes). */
  requestHex?: string;
  /** The request as generated (JSON, clipped), for valid-shaped samples. */
  requestJson?: string;
  ms?: number;
}

/** Counts of one RPC. */
export interface MethodCounts {
  calls: number;
  /** By status name (`OK`, `INVALID_ARGUMENT`…). */
  byStatus: Record<string, number>;
  /** By sample kind then status name. */
  byKind: Record<string, Record<string, number>>;
  slowestMs: number;
}

/** What a run found. */
export interface FuzzReport {
  seed: number;
  runs: number;
  startedAt: string;
  durationMs: number;
  /** True when some RPC's share of the time budget ran out before all its samples were sent. */
  truncated: boolean;
  services: Record<string, { service: string; calls: number; byStatus: Record<string, number>; methods: Record<string, MethodCounts> }>;
  findings: Finding[];
  /** Health answers that changed between batches (the server answered, with another status). */
  healthChanges: { service: string; after: string; from: string; to: string }[];
  slowest: { service: string; method: string; ms: number; sample: string; code: string } | undefined;
  memory: { before: MemorySample; after: MemorySample; peak: MemorySample; bound: MemoryBound };
}

const STATUS_NAMES: Record<number, string> = Object.fromEntries(Object.entries(grpc.status).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v as number, k]));
const MiB = 1024 * 1024;
/** Valid-shaped (and as many malformed) samples made at a time. */
const CHUNK = 20;
const HEALTH: Record<number, string> = { 0: 'UNKNOWN', 1: 'SERVING', 2: 'NOT_SERVING', 3: 'SERVICE_UNKNOWN' };

/** The status name of a code (`OK`, `INTERNAL`…). */
export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? `CODE_${code}`;
}

/** Every RPC of a service in the descriptors. @throws Error when the service is not in `root`. */
export function rpcsOf(root: protobuf.Root, service: string): protobuf.Method[] {
  const svc = root.lookup(service);
  if (!(svc instanceof protobuf.Service)) throw new Error(`fuzz: service ${service} is not in the loaded protos`);
  return svc.methodsArray.map((m) => (m.resolve(), m));
}

const identity = (b: Buffer): Buffer => b;

/** A raw client of `service`: every method takes and returns bytes. */
function rawClient(root: protobuf.Root, target: FuzzTarget): grpc.Client & Record<string, (...args: unknown[]) => unknown> {
  const def: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  for (const m of rpcsOf(root, target.service)) {
    // Client-only streams: none in the mesh (GrpcServer refuses them); runFuzz reports one.
    if (m.requestStream && !m.responseStream) continue;
    def[m.name] = { path: `/${target.service}/${m.name}`, requestStream: !!m.requestStream, responseStream: !!m.responseStream, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity };
  }
  const Ctor = grpc.makeGenericClientConstructor(def, target.service);
  return new Ctor(target.address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 }) as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
}

interface Outcome {
  code: grpc.status;
  details: string;
  ms: number;
  response?: Buffer;
}

function unary(client: grpc.Client & Record<string, (...args: unknown[]) => unknown>, method: string, bytes: Buffer, deadlineMs: number): Promise<Outcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    (client[method] as (r: Buffer, md: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: Buffer) => void) => void)(bytes, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (e, r) => {
      const ms = performance.now() - t0;
      if (e) resolve({ code: e.code, details: e.details, ms });
      else resolve({ code: grpc.status.OK, details: '', ms, ...(r ? { response: r } : {}) });
    });
  });
}

function serverStream(client: grpc.Client & Record<string, (...args: unknown[]) => unknown>, method: string, bytes: Buffer, streamMs: number, deadlineMs: number): Promise<Outcome & { cancelledByUs: boolean }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const call = (client[method] as (r: Buffer, md: grpc.Metadata, o: grpc.CallOptions) => grpc.ClientReadableStream<Buffer>)(bytes, new grpc.Metadata(), { deadline: Date.now() + deadlineMs });
    let cancelledByUs = false;
    let first: Buffer | undefined;
    const timer = setTimeout(() => {
      cancelledByUs = true;
      call.cancel();
    }, streamMs);
    call.on('data', (d: Buffer) => void (first ??= d));
    // Errors arrive as the status too: the listener only keeps the stream from throwing.
    call.on('error', () => undefined);
    call.on('status', (s: grpc.StatusObject) => {
      clearTimeout(timer);
      resolve({ code: s.code, details: s.details, ms: performance.now() - t0, cancelledByUs, ...(first ? { response: first } : {}) });
    });
  });
}

/** The status a stream answer reports in band (`mlmesh_status` of a failed request's answer), if any. */
function inBandStatus(resType: protobuf.Type, bytes: Buffer): string | undefined {
  try {
    const r = resType.toObject(resType.decode(bytes)) as { error_message?: string; infer_response?: { parameters?: Record<string, { string_param?: string }> } };
    if (!r.error_message) return undefined;
    return r.infer_response?.parameters?.['mlmesh_status']?.string_param ?? 'UNKNOWN';
  } catch {
    return undefined; // reported as a bad response below
  }
}

function inBandMessage(resType: protobuf.Type, bytes: Buffer): string {
  return String((resType.toObject(resType.decode(bytes)) as { error_message?: string }).error_message ?? '');
}

/** A bidirectional call carrying one message (`bytes`), half-closed at once: its first answer and status. */
function bidiStream(client: grpc.Client & Record<string, (...args: unknown[]) => unknown>, method: string, bytes: Buffer, deadlineMs: number): Promise<Outcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const call = (client[method] as (md: grpc.Metadata, o: grpc.CallOptions) => grpc.ClientDuplexStream<Buffer, Buffer>)(new grpc.Metadata(), { deadline: Date.now() + deadlineMs });
    let first: Buffer | undefined;
    call.on('data', (d: Buffer) => void (first ??= d));
    // Errors arrive as the status too: the listener only keeps the stream from throwing.
    call.on('error', () => undefined);
    call.on('status', (s: grpc.StatusObject) => resolve({ code: s.code, details: s.details, ms: performance.now() - t0, ...(first ? { response: first } : {}) }));
    call.write(bytes);
    call.end();
  });
}

/** `grpc.health.v1.Health/Check` of the whole server ('' service): the status number, or undefined with no answer. */
export async function healthStatus(address: string, timeoutMs = 3000): Promise<number | undefined> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  try {
    return await new Promise<number | undefined>((resolve) => {
      client.makeUnaryRequest('/grpc.health.v1.Health/Check', identity, identity, Buffer.alloc(0), new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (e, r) => {
        if (e || !r) return resolve(undefined);
        // HealthCheckResponse { ServingStatus status = 1; }: absent means UNKNOWN (0).
        resolve(r.length >= 2 && r[0] === 0x08 ? (r[1] ?? 0) : 0);
      });
    });
  } finally {
    client.close();
  }
}

function clipJson(v: unknown, max = 2000): string {
  const text = JSON.stringify(v, (_k, x: unknown) => {
    if (x && typeof x === 'object' && (x as { type?: string }).type === 'Buffer' && Array.isArray((x as { data?: unknown }).data)) {
      const data = (x as { data: number[] }).data;
      return `<${data.length} bytes: ${Buffer.from(data.slice(0, 32)).toString('hex')}${data.length > 32 ? '…' : ''}>`;
    }
    if (typeof x === 'number' && !Number.isFinite(x)) return String(x);
    if (typeof x === 'string' && x.length > 200) return `${x.slice(0, 60)}…(${x.length} chars)`;
    if (Array.isArray(x) && x.length > 20) return [...(x.slice(0, 20) as unknown[]), `…(${x.length} elements)`];
    return x;
  });
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function hex(b: Buffer): string {
  return b.length > 4096 ? `${b.subarray(0, 4096).toString('hex')}…(${b.length} bytes)` : b.toString('hex');
}

/**
 * A full GC: `global.gc` under --expose-gc (npm run fuzz), else the same function got from V8
 * at run time (ava workers do not take the flag), so the heap bound compares live data only.
 */
function collector(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    // No way to collect: the heap figures then include garbage (the bound is loose enough).
    return undefined;
  }
}

function memoryNow(sample: () => MemorySample, gc: boolean): MemorySample {
  if (gc) collector()?.();
  return sample();
}

/**
 * Fuzzes every RPC of every target and returns the counts and findings (it throws only when a
 * target's service is not in the protos; everything else is a finding).
 */
export async function runFuzz(targets: readonly FuzzTarget[], options: FuzzOptions): Promise<FuzzReport> {
  const runs = options.runs ?? 100;
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const unaryDeadlineMs = options.unaryDeadlineMs ?? 15_000;
  const streamMs = options.streamMs ?? 150;
  const concurrency = options.concurrency ?? 4;
  const sampleMemory = options.memory ?? ((): MemorySample => ({ rss: process.memoryUsage().rss, heapUsed: process.memoryUsage().heapUsed }));
  const bound = options.memoryBound ?? { rssBytes: 768 * MiB, heapBytes: 96 * MiB };
  const started = Date.now();
  const deadline = options.timeBudgetMs !== undefined ? started + options.timeBudgetMs : Infinity;
  const report: FuzzReport = { seed, runs, startedAt: new Date(started).toISOString(), durationMs: 0, truncated: false, services: {}, findings: [], healthChanges: [], slowest: undefined, memory: { before: memoryNow(sampleMemory, true), after: { rss: 0, heapUsed: 0 }, peak: { rss: 0, heapUsed: 0 }, bound } };
  const peak = { ...report.memory.before };
  const sampler = setInterval(() => {
    const m = sampleMemory();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
  }, 200);
  sampler.unref();
  const warned = new Set<string>();
  const onWarning = (w: Error): void => {
    if (w.name === 'ExperimentalWarning' || warned.has(`${w.name}: ${w.message}`.slice(0, 200))) return;
    warned.add(`${w.name}: ${w.message}`.slice(0, 200));
    report.findings.push({ kind: 'process-warning', service: '*', method: '*', details: `${w.name}: ${w.message.slice(0, 500)}` });
  };
  process.on('warning', onWarning);
  let rpcsLeft = targets.reduce((n, t) => n + rpcsOf(options.root, t.service).length, 0);
  const reserveMs = options.timeBudgetMs !== undefined ? options.timeBudgetMs / Math.max(1, rpcsLeft) / 4 : undefined;
  const baseline = new Map<string, number | undefined>();
  for (const t of targets) baseline.set(t.key, await healthStatus(t.address));

  try {
    outer: for (const target of targets) {
      const methods = rpcsOf(options.root, target.service);
      const svc: FuzzReport['services'][string] = (report.services[target.key] = { service: target.service, calls: 0, byStatus: {}, methods: {} });
      const client = rawClient(options.root, target);
      const arbOptions = { ...options.arbitraries?.['*'], ...options.arbitraries?.[target.key] };
      try {
        for (const m of methods) {
          if (m.requestStream && !m.responseStream) {
            // None of the mesh's services has one (GrpcServer refuses them); say so if one appears.
            report.findings.push({ kind: 'internal', service: target.service, method: m.name, details: 'client-streaming RPCs are not fuzzed: extend bench/fuzz/runner.ts' });
            continue;
          }
          const reqType = m.resolvedRequestType as protobuf.Type;
          const resType = m.resolvedResponseType as protobuf.Type;
          const valid = requestArbitrary(reqType, arbOptions);
          const malformed = malformedArbitrary(reqType, valid);
          // Samples are made CHUNK at a time, as they are sent: made all at once, hundreds of
          // requests of up to 4 MiB would sit in the client's memory, which the bound measures.
          let pending: Sample[] = [];
          let chunk = 0;
          const take = (): Sample | undefined => {
            if (pending.length === 0 && chunk * CHUNK < runs) {
              const n = Math.min(CHUNK, runs - chunk * CHUNK);
              pending = [...fc.sample(valid, { numRuns: n, seed: seed + 2 * chunk }), ...fc.sample(malformed, { numRuns: n, seed: seed + 2 * chunk + 1 })];
              chunk++;
            }
            return pending.shift();
          };
          const counts: MethodCounts = (svc.methods[m.name] = { calls: 0, byStatus: {}, byKind: {}, slowestMs: 0 });
          const t0 = Date.now();
          // An RPC may use what is left of the budget but a quarter of a fair share for each RPC
          // after it, so a slow one early on does not starve the rest.
          const rpcDeadline = deadline - --rpcsLeft * (reserveMs ?? 0);
          let sent = 0;
          const worker = async (): Promise<void> => {
            for (;;) {
              // At least one call per RPC, however little time is left.
              if (sent > 0 && Date.now() > rpcDeadline) {
                report.truncated = true;
                return;
              }
              const s = take();
              if (!s) return;
              sent++;
              const out = m.requestStream
                ? await bidiStream(client, m.name, s.bytes, unaryDeadlineMs)
                : m.responseStream
                  ? await serverStream(client, m.name, s.bytes, streamMs, unaryDeadlineMs)
                  : await unary(client, m.name, s.bytes, unaryDeadlineMs);
              // A bidirectional ModelStreamInfer answers a failed request in band: its status is
              // the answer's mlmesh_status parameter (services/inference/stream-infer.ts).
              const inBand = m.requestStream && out.code === grpc.status.OK && out.response ? inBandStatus(resType, out.response) : undefined;
              const name = inBand ?? statusName(out.code);
              counts.calls++;
              svc.calls++;
              counts.byStatus[name] = (counts.byStatus[name] ?? 0) + 1;
              svc.byStatus[name] = (svc.byStatus[name] ?? 0) + 1;
              const byKind = (counts.byKind[s.kind] ??= {});
              byKind[name] = (byKind[name] ?? 0) + 1;
              counts.slowestMs = Math.max(counts.slowestMs, out.ms);
              // A stream we cancelled ran for streamMs by design: not a slow call.
              const cancelled = 'cancelledByUs' in out && out.cancelledByUs;
              if (!cancelled && (!report.slowest || out.ms > report.slowest.ms)) report.slowest = { service: target.service, method: m.name, ms: Math.round(out.ms), sample: s.kind, code: name };
              const finding = (kind: Finding['kind'], details: string): void => {
                report.findings.push({ kind, service: target.service, method: m.name, sample: s.kind, code: name, details, requestHex: hex(s.bytes), ...(s.object ? { requestJson: clipJson(s.object) } : {}), ms: Math.round(out.ms) });
              };
              if (out.code === grpc.status.INTERNAL || out.code === grpc.status.UNKNOWN) finding('internal', out.details);
              else if (inBand === 'INTERNAL' || inBand === 'UNKNOWN') finding('internal', `in the stream's answer: ${inBandMessage(resType, out.response as Buffer)}`);
              else if (out.code === grpc.status.DEADLINE_EXCEEDED && (!m.responseStream || m.requestStream)) finding('hang', `no answer within ${unaryDeadlineMs} ms: ${out.details}`);
              else if (out.code === grpc.status.OK && out.response) {
                try {
                  resType.decode(out.response);
                } catch (e: unknown) {
                  finding('bad-response', `the answer is not a valid ${resType.fullName}: ${e instanceof Error ? e.message : String(e)}`);
                }
              }
            }
          };
          await Promise.all(Array.from({ length: concurrency }, worker));
          options.onBatch?.(target.key, m.name, counts.calls, Date.now() - t0);
          // The servers must all still answer health checks, as they did before.
          for (const t of targets) {
            const h = await healthStatus(t.address);
            if (h === undefined) {
              report.findings.push({ kind: 'down', service: t.service, method: `(health after ${target.service}/${m.name})`, details: 'the health check got no answer' });
              break outer;
            }
            if (h !== baseline.get(t.key)) {
              // An answer that changed is the server's own verdict (an admin call unloaded a
              // startup model: NOT_SERVING under strictReadiness), not a server gone.
              report.healthChanges.push({ service: t.service, after: `${target.service}/${m.name}`, from: HEALTH[baseline.get(t.key) ?? 0] ?? 'UNKNOWN', to: HEALTH[h] ?? String(h) });
              baseline.set(t.key, h);
            }
          }
        }
      } finally {
        client.close();
      }
    }
  } finally {
    clearInterval(sampler);
    // Warnings are emitted a tick after the call that caused them.
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
  }
  report.memory.after = memoryNow(sampleMemory, true);
  report.memory.peak = { rss: Math.max(peak.rss, report.memory.after.rss), heapUsed: Math.max(peak.heapUsed, report.memory.after.heapUsed) };
  const grewRss = report.memory.peak.rss - report.memory.before.rss;
  const grewHeap = report.memory.after.heapUsed - report.memory.before.heapUsed;
  if (grewRss > bound.rssBytes) report.findings.push({ kind: 'memory', service: '*', method: '*', details: `peak RSS grew by ${Math.round(grewRss / MiB)} MiB (bound ${Math.round(bound.rssBytes / MiB)} MiB)` });
  if (grewHeap > bound.heapBytes) report.findings.push({ kind: 'memory', service: '*', method: '*', details: `heap used grew by ${Math.round(grewHeap / MiB)} MiB by the end (bound ${Math.round(bound.heapBytes / MiB)} MiB)` });
  report.durationMs = Date.now() - started;
  return report;
}

/** The report as text: counts by status per service, the findings, the slowest call, memory. */
export function formatReport(r: FuzzReport): string {
  const lines: string[] = [];
  const mib = (b: number): string => `${(b / MiB).toFixed(0)} MiB`;
  lines.push(`fuzz: seed ${r.seed}, ${r.runs} valid-shaped + ${r.runs} malformed samples per RPC, ${(r.durationMs / 1000).toFixed(1)} s${r.truncated ? ' (time budget reached: not every sample was sent)' : ''}`);
  for (const [key, s] of Object.entries(r.services)) {
    const statuses = Object.entries(s.byStatus).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push(`  ${key.padEnd(11)} ${String(Object.keys(s.methods).length).padStart(2)} RPCs ${String(s.calls).padStart(6)} calls: ${statuses}`);
  }
  if (r.slowest) lines.push(`slowest call: ${r.slowest.service}/${r.slowest.method} ${r.slowest.ms} ms (${r.slowest.sample}, ${r.slowest.code})`);
  lines.push(`memory: RSS ${mib(r.memory.before.rss)} before, ${mib(r.memory.peak.rss)} peak, ${mib(r.memory.after.rss)} after; heap ${mib(r.memory.before.heapUsed)} → ${mib(r.memory.after.heapUsed)} (bound +${mib(r.memory.bound.rssBytes)} RSS, +${mib(r.memory.bound.heapBytes)} heap)`);
  for (const h of r.healthChanges) lines.push(`health: ${h.service} ${h.from} -> ${h.to} after ${h.after}`);
  lines.push(r.findings.length === 0 ? 'findings: none' : `findings: ${r.findings.length}`);
  for (const f of r.findings.slice(0, 50)) {
    lines.push(`  [${f.kind}] ${f.service}/${f.method} ${f.code ?? ''} (${f.sample ?? '-'}): ${f.details}`);
    if (f.requestJson) lines.push(`    request: ${f.requestJson}`);
    if (f.requestHex) lines.push(`    bytes: ${f.requestHex.slice(0, 400)}`);
  }
  if (r.findings.length > 50) lines.push(`  … ${r.findings.length - 50} more in the JSON report`);
  return lines.join('\n');
}
