/**
 * Starts the inference service for tests: in-process on 127.0.0.1:0, on a private copy of the
 * example model repository (tests may corrupt or add versions), logging only warnings unless
 * LOG_LEVEL says otherwise.
 */
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../shared/config/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { InferenceClient, InferenceService } from '../../services/inference/index.js';
import type { InferenceConfig } from '../../services/inference/index.js';

/** A running service with a client and its private repository. */
export interface InferenceFixture {
  service: InferenceService;
  client: InferenceClient;
  /** The private copy of the repository. */
  repo: string;
  /** `http://127.0.0.1:<port>` of the metrics/health endpoint. */
  http: string;
  /** Log lines (JSON) when started with `captureLogs`. */
  logs: string[];
  /** Stops the service, closes the client and deletes the repository copy. */
  stop(): Promise<void>;
}

/** Copies the example repository (or only `models`) into a fresh temp folder. */
export async function copyRepository(models?: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-repo-'));
  const src = join(projectRoot(), 'examples/models');
  if (models) for (const m of models) await cp(join(src, m), join(dir, m), { recursive: true });
  else await cp(src, dir, { recursive: true });
  return dir;
}

/**
 * Starts the service on a private repository holding `models` (default all examples).
 * `overrides` set service options (ports default to 0, host to 127.0.0.1).
 */
export async function startInference(
  opts: { models?: readonly string[]; overrides?: Partial<InferenceConfig>; repo?: string; captureLogs?: boolean } = {},
): Promise<InferenceFixture> {
  const repo = opts.repo ?? (await copyRepository(opts.models));
  const logs: string[] = [];
  const service = await InferenceService.create({
    env: {},
    overrides: { host: '127.0.0.1', grpcPort: 0, httpPort: 0, modelRepository: repo, ...opts.overrides },
    logger: createLogger({
      service: 'inference-test',
      level: opts.captureLogs ? 'info' : (process.env['LOG_LEVEL'] ?? 'warn'),
      ...(opts.captureLogs ? { destination: { write: (line: string) => void logs.push(line) } } : {}),
    }),
  });
  const client = new InferenceClient(service.address);
  return {
    service,
    client,
    repo,
    logs,
    http: `http://127.0.0.1:${service.httpPort}`,
    async stop() {
      client.close();
      await service.drain();
      if (!opts.repo) await rm(repo, { recursive: true, force: true });
    },
  };
}

/** Reads a metric's value (summing the series that match `labels`) from /metrics. */
export async function metricValue(http: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${http}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const lbl = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => lbl.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

/** Raw little-endian FP32 bytes of numbers. */
export function f32(values: ArrayLike<number>): Buffer {
  return Buffer.from(new Float32Array(Array.from(values)).buffer);
}

/** Numbers from raw little-endian FP32 bytes. */
export function fromF32(buf: Uint8Array): Float32Array {
  return new Float32Array(new Uint8Array(buf).buffer);
}

/** The example config.json of `model` with `patch` applied (`dynamic_batching` is merged, other keys replaced). */
export function exampleConfig(model: string, patch: Record<string, unknown> = {}): string {
  const base = JSON.parse(readFileSync(join(projectRoot(), 'examples/models', model, 'config.json'), 'utf8')) as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    const cur = base[k];
    base[k] = k === 'dynamic_batching' && typeof v === 'object' && typeof cur === 'object' ? { ...cur, ...v } : v;
  }
  return JSON.stringify(base);
}

/** Polls `check` every 10 ms until it returns true, or throws after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
