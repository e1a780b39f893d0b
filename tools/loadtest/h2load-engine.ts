/**
 * The h2load engine: nghttp2's load generator (Debian `nghttp2-client`) sends a prepared gRPC
 * frame over HTTP/2, far cheaper per call than any Node client. Latency percentiles come from
 * its per-request log. h2load cannot read gRPC trailers, so a gRPC error inside an HTTP 200
 * would count as success: check the request with one real call first (main.ts does).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { summarize } from './stats.js';
import type { LoadResult } from './stats.js';

const run = promisify(execFile);

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
  /** Total requests/s, or 0 for as fast as possible (spread over the connections). */
  rate: number;
  /** HTTP/2 connections; streams per connection = concurrency / connections. @default 1 */
  connections?: number;
  /** h2load threads. @default 1 */
  threads?: number;
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
      '-D', String(o.durationS),
      '-d', data,
      '-H', 'content-type: application/grpc',
      '-H', 'te: trailers',
      '--log-file', log,
      ...(o.rate > 0 ? ['--rps', String(o.rate / conns)] : []),
      `http://${o.target}${o.path}`,
    ];
    let stdout: string;
    try {
      ({ stdout } = await run('h2load', args, { maxBuffer: 16 * 1024 * 1024 }));
    } catch (e: unknown) {
      throw new Error(`h2load failed (is nghttp2-client installed?): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
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
    const failedLine = /requests: .* (\d+) failed, (\d+) errored/.exec(stdout);
    if (failedLine && Number(failedLine[2]) > 0) errors['TRANSPORT'] = Number(failedLine[2]);
    return {
      engine: 'h2load',
      target: o.target,
      model: o.model,
      rowsPerRequest: o.rows,
      concurrency: o.concurrency,
      rate: o.rate > 0 ? o.rate : null,
      durationS: o.durationS,
      requests: lines.length,
      ok,
      errors,
      throughput: ok / o.durationS,
      rowsPerS: (ok * o.rows) / o.durationS,
      latencyMs: summarize(lat),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
