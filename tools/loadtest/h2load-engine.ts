/**
 * The h2load engine: nghttp2's load generator (Debian `nghttp2-client`) sends a prepared gRPC
 * frame over HTTP/2, far cheaper per call than any Node client. Latency percentiles come from
 * its per-request log. h2load cannot read gRPC trailers, so a gRPC error inside an HTTP 200
 * would count as success: check the request with one real call first (main.ts does).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarize } from './stats.js';
import type { LoadResult } from './stats.js';

/** Counts the lines h2load has logged so far (requests completed), for the progress line. */
async function loggedLines(path: string): Promise<number> {
  try {
    const buf = await readFile(path);
    let n = 0;
    for (const b of buf) if (b === 10) n++;
    return n;
  } catch {
    // Not written yet.
    return 0;
  }
}

/** Runs h2load, resolving with its stdout. */
function runProcess(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('h2load', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.once('error', (e) => reject(new Error(`h2load could not start (install Debian's nghttp2-client): ${e.message}`, { cause: e })));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`h2load exited with ${code}: ${err || out}`))));
  });
}

/** Options of an h2load run. */
export interface H2loadRunOptions {
  target: string;
  model: string;
  /** Full method path, e.g. `/inference.GRPCInferenceService/ModelInfer`. */
  path: string;
  frame: Buffer;
  rows: number;
  concurrency: number;
  durationS: number;
  /** Total requests to send instead of running for `durationS` (0: use the duration). */
  requests?: number;
  /** Total requests/s, or 0 for as fast as possible (spread over the connections). */
  rate: number;
  /** HTTP/2 connections; streams per connection = concurrency / connections. @default 1 */
  connections?: number;
  /** h2load threads. @default 1 */
  threads?: number;
  /** Called about once a second with requests completed so far. */
  onProgress?: (ok: number, errors: number, elapsedMs: number) => void;
}

/** Runs h2load and returns the result. @throws Error when h2load is missing or fails. */
export async function runH2load(o: H2loadRunOptions): Promise<LoadResult> {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-h2load-'));
  try {
    const data = join(dir, 'frame.bin');
    const log = join(dir, 'requests.log');
    await writeFile(data, o.frame);
    const conns = Math.max(1, Math.min(o.connections ?? 1, o.concurrency));
    const args = [
      '-c', String(conns),
      '-m', String(Math.ceil(o.concurrency / conns)),
      '-t', String(o.threads ?? 1),
      ...(o.requests ? ['-n', String(o.requests)] : ['-D', String(o.durationS)]),
      '-d', data,
      '-H', 'content-type: application/grpc',
      '-H', 'te: trailers',
      '--log-file', log,
      ...(o.rate > 0 ? ['--rps', String(o.rate / conns)] : []),
      `http://${o.target}${o.path}`,
    ];
    const started = Date.now();
    const progress = o.onProgress
      ? setInterval(() => {
          void loggedLines(log).then((n) => o.onProgress?.(n, 0, Date.now() - started));
        }, 1000)
      : undefined;
    let stdout: string;
    try {
      stdout = await runProcess(args);
    } finally {
      if (progress) clearInterval(progress);
    }
    const lines = (await readFile(log, 'utf8')).split('\n').filter((l) => l !== '');
    const lat = new Float64Array(lines.length);
    const errors: Record<string, number> = {};
    let ok = 0;
    lines.forEach((l, i) => {
      const [, status, durationUs] = l.split('\t');
      lat[i] = Number(durationUs);
      if (status === '200') ok++;
      else errors[`HTTP_${status}`] = (errors[`HTTP_${status}`] ?? 0) + 1;
    });
    const finished = /finished in ([\d.]+)(m?s)/.exec(stdout);
    const elapsedS = finished ? Number(finished[1]) / (finished[2] === 'ms' ? 1000 : 1) : o.durationS;
    const failedLine = /requests: .* (\d+) failed, (\d+) errored/.exec(stdout);
    if (failedLine && Number(failedLine[2]) > 0) errors['TRANSPORT'] = Number(failedLine[2]);
    return {
      engine: 'h2load',
      target: o.target,
      model: o.model,
      rowsPerRequest: o.rows,
      concurrency: o.concurrency,
      rate: o.rate > 0 ? o.rate : null,
      durationS: elapsedS,
      requests: lines.length,
      ok,
      errors,
      throughput: ok / elapsedS,
      rowsPerS: (ok * o.rows) / elapsedS,
      latencyMs: summarize(lat),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
