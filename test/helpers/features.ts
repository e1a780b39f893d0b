/**
 * Starts the feature service for tests: in-process on 127.0.0.1:0, on a private SQLite file in a
 * temp folder or on Redis (127.0.0.1:6379, or MLMESH_TEST_REDIS_URL) under a key prefix of its
 * own that is deleted afterwards, reading sources from the project root.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../shared/config/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { FeaturesClient, FeaturesService, RedisStore } from '../../services/features/index.js';
import type { FeaturesConfig } from '../../services/features/index.js';

/** The backends the shared suite runs against. */
export type Backend = 'sqlite' | 'redis';

/** Redis the tests use. */
export const TEST_REDIS_URL = process.env['MLMESH_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A clock tests can move. */
export class TestClock {
  constructor(public ms: number) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Where one test's data lives: a SQLite file or a Redis key prefix. */
export interface StoreLocation {
  backend: Backend;
  overrides: Partial<FeaturesConfig>;
  /** Deletes the data (temp folder or every key under the prefix). */
  cleanup(): Promise<void>;
}

/** A fresh, private store location for `backend`. */
export async function freshLocation(backend: Backend): Promise<StoreLocation> {
  if (backend === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'mlmesh-features-'));
    return { backend, overrides: { backend, sqlitePath: join(dir, 'features.db') }, cleanup: () => rm(dir, { recursive: true, force: true }) };
  }
  const keyPrefix = `mlmesh:test:${randomUUID()}:`;
  return {
    backend,
    overrides: { backend, redisUrl: TEST_REDIS_URL, redisKeyPrefix: keyPrefix },
    async cleanup() {
      const store = await RedisStore.create({ url: TEST_REDIS_URL, keyPrefix });
      try {
        await store.deleteAll();
      } finally {
        await store.close();
      }
    },
  };
}

/** A running service and a client. */
export interface FeaturesFixture {
  service: FeaturesService;
  client: FeaturesClient;
  /** `http://127.0.0.1:<port>` of the metrics/health endpoint. */
  http: string;
  /** Stops the service and closes the client (the data stays: see {@link StoreLocation}). */
  stop(): Promise<void>;
}

/** Starts a service on `location`. */
export async function startFeatures(location: StoreLocation, opts: { overrides?: Partial<FeaturesConfig>; now?: () => number } = {}): Promise<FeaturesFixture> {
  const service = await FeaturesService.create({
    env: {},
    // Retention off unless a test sets it: the fixtures' event times are in early 2026, which the
    // default retention (90 days before now) would prune.
    overrides: { host: '127.0.0.1', grpcPort: 0, httpPort: 0, dataDir: projectRoot(), retentionMs: 0, ...location.overrides, ...opts.overrides },
    logger: createLogger({ service: 'features-test', level: process.env['LOG_LEVEL'] ?? 'warn' }),
    ...(opts.now ? { now: opts.now } : {}),
  });
  const client = new FeaturesClient(service.address);
  return {
    service,
    client,
    http: `http://127.0.0.1:${service.httpPort}`,
    async stop() {
      client.close();
      await service.drain();
    },
  };
}

/** A transaction of the committed fixture. */
export interface Transaction {
  user: string;
  ts: number;
  balance: number;
}

/** The rows of test/fixtures/features/transactions.csv (no quoting in it: split is enough). */
export function transactions(): Transaction[] {
  const text = readFileSync(join(projectRoot(), 'test/fixtures/features/transactions.csv'), 'utf8');
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [user, ts, balance] = line.split(',');
      return { user: user as string, ts: Date.parse(ts as string), balance: Number(balance) };
    });
}

/** Mean of `f(balance)` over a user's transactions with time in (t - windowMs, t]; null when none. */
export function windowMean(rows: readonly Transaction[], user: string, t: number, windowMs: number, f: (b: number) => number = (b) => b): number | null {
  const inWindow = rows.filter((r) => r.user === user && r.ts > t - windowMs && r.ts <= t);
  if (inWindow.length === 0) return null;
  return inWindow.reduce((s, r) => s + f(r.balance), 0) / inWindow.length;
}

/** 30 days in ms. */
export const DAYS_30 = 30 * 24 * 3600 * 1000;
