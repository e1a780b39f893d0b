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
    // Retention as configured by default (none) unless a test sets it.
    overrides: { host: '127.0.0.1', grpcPort: 0, httpPort: 0, dataDir: projectRoot(), ...location.overrides, ...opts.overrides },
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

/** One stored value as a dump lists it. */
export interface DumpedValue {
  entity: string;
  eventMs: number;
  /** The stored JSON text, null for a null value. */
  json: string | null;
}

/**
 * Every value stored for `feature@version` at `location`, read from the store itself (the SQLite
 * file, or the Redis sorted sets), sorted by entity then event time. For Redis it also checks that
 * the latest-value hash holds each entity's newest member, and that it names no entity without
 * history.
 * @throws Error when the Redis latest hash disagrees with the history.
 */
export async function dumpValues(location: StoreLocation, feature: string, version: number): Promise<DumpedValue[]> {
  const out: DumpedValue[] = [];
  if (location.backend === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(location.overrides.sqlitePath, { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT entity, event_ms, value FROM feature_values WHERE feature = ? AND version = ?').all(feature, version) as { entity: string; event_ms: number; value: string | null }[];
      for (const r of rows) out.push({ entity: r.entity, eventMs: r.event_ms, json: r.value });
    } finally {
      db.close();
    }
  } else {
    const { Redis } = await import('ioredis');
    const redis = new Redis(location.overrides.redisUrl as string);
    try {
      const prefix = `${location.overrides.redisKeyPrefix}v:${feature}@${version}:`;
      const latest = await redis.hgetall(`${location.overrides.redisKeyPrefix}l:${feature}@${version}`);
      const seen = new Set<string>();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) {
          const entity = key.slice(prefix.length);
          const members = await redis.zrange(key, 0, -1);
          if (members.length === 0) continue;
          seen.add(entity);
          for (const m of members) {
            const colon = m.indexOf(':');
            const json = m.slice(colon + 1);
            out.push({ entity, eventMs: Number(m.slice(0, colon)), json: json === '' ? null : json });
          }
          if (latest[entity] !== members[members.length - 1]) throw new Error(`Redis latest hash of ${feature}@${version} holds ${latest[entity]} for ${entity}, the history ends with ${members[members.length - 1]}`);
        }
      } while (cursor !== '0');
      const orphans = Object.keys(latest).filter((e) => !seen.has(e));
      if (orphans.length > 0) throw new Error(`Redis latest hash of ${feature}@${version} names entities without history: ${orphans.join(', ')}`);
    } finally {
      redis.disconnect();
    }
  }
  return out.sort((a, b) => (a.entity < b.entity ? -1 : a.entity > b.entity ? 1 : a.eventMs - b.eventMs));
}

/** A small seeded PRNG (mulberry32): the same seed gives the same numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
