import { Redis } from 'ioredis';
import type { Result } from 'ioredis';
import { UnavailableError, errorMessage } from '../../shared/errors/index.js';
import type { CatalogEntry, CatalogKind, FeatureStore, ReadQuery, StoredValue, ValueKey, WriteOptions, WriteRow } from './store.js';
import { LATEST, distinctKeys } from './store.js';

/** Keeps the newest member scored at or before ARGV[1] and removes every older one. */
const PRUNE_SCRIPT = `
local s = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
if s[2] then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. s[2]) end
return 0`;

/**
 * For each KEYS[i], the member with the highest score <= ARGV[i] (false: none). One script call
 * per batch replaces a command per key: the client builds and parses one reply instead of
 * thousands.
 */
const READ_SCRIPT = `
local out = {}
for i = 1, #KEYS do
  local m = redis.call('ZREVRANGEBYSCORE', KEYS[i], ARGV[i], '-inf', 'LIMIT', 0, 1)
  out[i] = m[1] or false
end
return out`;

/**
 * Sets field ARGV[1] of hash KEYS[1] (the latest values of one feature version) to ARGV[3] unless
 * the member there has a later event time than ARGV[2]: out-of-order writes keep the latest.
 */
const LATEST_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local ts = tonumber(string.sub(cur, 1, string.find(cur, ':', 1, true) - 1))
  if ts > tonumber(ARGV[2]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

/**
 * Deletes the members scored in [ARGV[2], ARGV[3]) of every entity of one feature version:
 * KEYS[1] is its latest hash (whose fields are every entity with history), ARGV[1] the prefix of
 * its sorted sets. With ARGV[4] set (StartValues.clearFromMs, '-inf' for all), the start of the
 * range is then settled. Each carried entity (triples from ARGV[7]: entity, event time t, its
 * member at t or '') loses its members in (t, ARGV[2]) and gets the member unless it is there
 * already (the usual case: a daily run carries the value the day before wrote). Every other
 * entity loses those in [ARGV[4], ARGV[2]) and, when ARGV[5] is '1', gets member
 * ARGV[4]:ARGV[6] (the emptied window's JSON, '' for null) unless its latest member before
 * ARGV[2] holds that JSON or it has none. Each touched entity's latest member is then recomputed
 * from what is left (its field is removed when nothing is). The sorted-set keys are built in the
 * script, which a single Redis allows (not Redis Cluster, which this store does not support
 * anyway).
 */
const CLEAR_RANGE_SCRIPT = `
local prefix, from, clear = ARGV[1], ARGV[2], ARGV[4]
local function latest(e, key)
  local top = redis.call('ZREVRANGE', key, 0, 0)
  if top[1] then redis.call('HSET', KEYS[1], e, top[1]) else redis.call('HDEL', KEYS[1], e) end
end
local carried = {}
for i = 7, #ARGV, 3 do carried[ARGV[i]] = true end
local removed = 0
for _, e in ipairs(redis.call('HKEYS', KEYS[1])) do
  local key = prefix .. e
  local n = redis.call('ZREMRANGEBYSCORE', key, from, '(' .. ARGV[3])
  removed = removed + n
  if clear ~= '' and not carried[e] then
    n = n + redis.call('ZREMRANGEBYSCORE', key, clear, '(' .. from)
    if ARGV[5] == '1' then
      local last = redis.call('ZREVRANGEBYSCORE', key, '(' .. from, '-inf', 'LIMIT', 0, 1)[1]
      if last and string.sub(last, string.find(last, ':', 1, true) + 1) ~= ARGV[6] then
        redis.call('ZADD', key, clear, clear .. ':' .. ARGV[6])
        n = n + 1
      end
    end
  end
  if n > 0 then latest(e, key) end
end
for i = 7, #ARGV, 3 do
  local e, t, member = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local key = prefix .. e
  local n = redis.call('ZREMRANGEBYSCORE', key, '(' .. t, '(' .. from)
  if member ~= '' and not redis.call('ZSCORE', key, member) then
    redis.call('ZREMRANGEBYSCORE', key, t, t)
    redis.call('ZADD', key, t, member)
    n = n + 1
  end
  if n > 0 then latest(e, key) end
end
return removed`;

/** Keys per read script call: bounds how long one call holds Redis (about 1 µs per key). */
const READ_BATCH = 1000;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    mlmeshPrune(key: string, cutoffMs: number): Result<number, Context>;
    mlmeshRead(numKeys: number, ...keysThenBounds: (string | number)[]): Result<(string | null)[], Context>;
    mlmeshLatest(hashKey: string, entity: string, eventMs: number, member: string): Result<number, Context>;
    mlmeshClearRange(hashKey: string, valueKeyPrefix: string, fromMs: number, toMs: number, clearFrom: string, hasEmpty: string, emptyJson: string, carried: (string | number)[]): Result<number, Context>;
  }
}

/** The stored member of a row: `<event_ms>:<json>` (nothing after the colon for null). */
function member(r: WriteRow): string {
  return `${r.eventMs}:${r.json ?? ''}`;
}

/** A stored member `<event_ms>:<json>` as a value (nothing after the colon: null). */
function parseMember(m: string | null): StoredValue | undefined {
  if (m === null) return undefined;
  const colon = m.indexOf(':');
  const json = m.slice(colon + 1);
  return { eventMs: Number(m.slice(0, colon)), json: json === '' ? null : json };
}

/** Options for {@link RedisStore.create}. */
export interface RedisStoreOptions {
  /** `redis://host:port[/db]`. */
  url: string;
  /** Prefix of every key this store touches (several stores can share one Redis). */
  keyPrefix: string;
  /** How long a command may wait for a (re)connection before failing, in ms. @default 2000 */
  commandTimeoutMs?: number;
}

/** Command timeout of the write connection, in ms (a 100,000-value MULTI took ~6 s here). */
const WRITE_TIMEOUT_MS = 60_000;

/**
 * The shared backend for several replicas: one sorted set per (feature@version, entity), scored
 * by event time (ms), member `<event_ms>:<value JSON>` (nothing after the colon for null), holds
 * the history; one hash per feature@version holds each entity's latest member. A latest read is
 * one HMGET per feature version; "latest <= as_of" is a ZREVRANGEBYSCORE … LIMIT 0 1 per key, run
 * by a Lua script per 1,000 keys; both pipelined in one round trip. Writes go in one MULTI:
 * clear the replaced range and settle its start (a Lua script over the feature version's
 * entities), replace the member at the same score, add, update the latest hash unless it holds a
 * later value, then prune (Lua scripts). Definitions live in one hash per catalog kind.
 */
export class RedisStore implements FeatureStore {
  readonly backend = 'redis' as const;
  private closed = false;

  private constructor(
    private readonly redis: Redis,
    /**
     * A second connection for writes, with a longer command timeout: a large write (one MULTI)
     * can take seconds, and timing it out after 2 s would report a failure for a write that then
     * commits anyway.
     */
    private readonly writer: Redis,
    /** Prefix of every key of this store. */
    readonly keyPrefix: string,
  ) {}

  /**
   * Connects and checks the connection with PING.
   * @throws UnavailableError when Redis cannot be reached.
   */
  static async create(o: RedisStoreOptions): Promise<RedisStore> {
    const redis = new Redis(o.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      commandTimeout: o.commandTimeoutMs ?? 2000,
      connectTimeout: o.commandTimeoutMs ?? 2000,
    });
    // Connection errors surface through the commands that fail; without a listener they would be thrown.
    redis.on('error', () => undefined);
    const writer = new Redis(o.url, { lazyConnect: true, maxRetriesPerRequest: 1, commandTimeout: WRITE_TIMEOUT_MS, connectTimeout: o.commandTimeoutMs ?? 2000 });
    writer.on('error', () => undefined);
    for (const c of [redis, writer]) {
      c.defineCommand('mlmeshPrune', { numberOfKeys: 1, lua: PRUNE_SCRIPT });
      c.defineCommand('mlmeshRead', { lua: READ_SCRIPT });
      c.defineCommand('mlmeshLatest', { numberOfKeys: 1, lua: LATEST_SCRIPT });
      c.defineCommand('mlmeshClearRange', { numberOfKeys: 1, lua: CLEAR_RANGE_SCRIPT });
    }
    try {
      await redis.connect();
      await redis.ping();
      await writer.connect();
    } catch (e: unknown) {
      redis.disconnect();
      writer.disconnect();
      throw new UnavailableError(`cannot reach Redis at ${o.url}: ${errorMessage(e)}`, { cause: e });
    }
    return new RedisStore(redis, writer, o.keyPrefix);
  }

  /** The sorted set holding one key's history. */
  valueKey(k: ValueKey): string {
    return `${this.keyPrefix}v:${k.feature}@${k.version}:${k.entity}`;
  }

  /** The hash of the latest member of every entity of one feature version. */
  latestKey(feature: string, version: number): string {
    return `${this.keyPrefix}l:${feature}@${version}`;
  }

  private catalogKey(kind: CatalogKind): string {
    return `${this.keyPrefix}catalog:${kind}`;
  }

  async read(queries: readonly ReadQuery[]): Promise<(StoredValue | undefined)[]> {
    if (queries.length === 0) return [];
    // Latest reads: one HMGET per feature version. As-of reads: the read script per batch.
    const latest = new Map<string, { hash: string; at: number[] }>();
    const asOf: number[] = [];
    queries.forEach((q, i) => {
      if (q.asOfMs < LATEST) {
        asOf.push(i);
        return;
      }
      const hash = this.latestKey(q.feature, q.version);
      const group = latest.get(hash);
      if (group) group.at.push(i);
      else latest.set(hash, { hash, at: [i] });
    });
    // Scripts run on one node: this store does not support Redis Cluster (nor does its MULTI).
    const p = this.redis.pipeline();
    for (const g of latest.values()) p.hmget(g.hash, ...g.at.map((i) => (queries[i] as ReadQuery).entity));
    for (let start = 0; start < asOf.length; start += READ_BATCH) {
      const batch = asOf.slice(start, start + READ_BATCH).map((i) => queries[i] as ReadQuery);
      p.mlmeshRead(batch.length, ...batch.map((q) => this.valueKey(q)), ...batch.map((q) => q.asOfMs));
    }
    const results = (await this.run(() => p.exec())) ?? [];
    const out = new Array<StoredValue | undefined>(queries.length);
    const place = (positions: readonly number[], reply: [Error | null, unknown] | undefined): void => {
      const [err, members] = reply ?? [new Error('no reply')];
      if (err) throw new UnavailableError(`Redis read failed: ${err.message}`, { cause: err });
      const list = members as (string | null)[];
      if (list.length !== positions.length) throw new UnavailableError(`Redis read returned ${list.length} answers for ${positions.length} keys`);
      positions.forEach((pos, j) => (out[pos] = parseMember(list[j] ?? null)));
    };
    let r = 0;
    for (const g of latest.values()) place(g.at, results[r++]);
    for (let start = 0; start < asOf.length; start += READ_BATCH) place(asOf.slice(start, start + READ_BATCH), results[r++]);
    return out;
  }

  async write(rows: readonly WriteRow[], opts: WriteOptions = {}): Promise<void> {
    const { replace, pruneBeforeMs } = opts;
    if (rows.length === 0 && !replace) return;
    const m = this.writer.multi();
    // Rows that are an entity's carried value (StartValues) are written by the clear script, and
    // only when the stored value differs.
    const inScript = new Set<WriteRow>();
    if (replace) {
      const s = replace.atStart;
      const clearFrom = !s ? '' : Number.isFinite(s.clearFromMs) ? String(s.clearFromMs) : '-inf';
      const carriedRows = new Map<string, WriteRow>();
      if (s) {
        for (const r of rows) {
          if (r.feature === replace.feature && r.version === replace.version && r.eventMs < replace.fromMs && s.carried.get(r.entity) === r.eventMs) carriedRows.set(r.entity, r);
        }
      }
      const carried: (string | number)[] = [];
      for (const [entity, t] of s?.carried ?? []) {
        const r = carriedRows.get(entity);
        if (r) inScript.add(r);
        carried.push(entity, t, r ? member(r) : '');
      }
      // As one array argument (ioredis flattens it): spread, 100,000 entities overflow the call stack.
      m.mlmeshClearRange(this.latestKey(replace.feature, replace.version), this.valueKey({ ...replace, entity: '' }), replace.fromMs, replace.toMs, clearFrom, s?.empty ? '1' : '0', s?.empty?.json ?? '', carried);
    }
    for (const r of rows) {
      if (inScript.has(r)) continue;
      const key = this.valueKey(r);
      m.zremrangebyscore(key, r.eventMs, r.eventMs);
      m.zadd(key, r.eventMs, member(r));
      m.mlmeshLatest(this.latestKey(r.feature, r.version), r.entity, r.eventMs, member(r));
    }
    if (pruneBeforeMs !== undefined) for (const k of distinctKeys(rows)) m.mlmeshPrune(this.valueKey(k), pruneBeforeMs);
    const results = await this.run(() => m.exec());
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw new UnavailableError(`Redis write failed: ${failed?.[0]?.message ?? 'transaction aborted'}`);
  }

  async putCatalog(kind: CatalogKind, e: CatalogEntry): Promise<{ stored: CatalogEntry; created: boolean }> {
    const set = await this.run(() => this.redis.hsetnx(this.catalogKey(kind), e.key, JSON.stringify(e)));
    return { stored: (await this.getCatalog(kind, e.key)) as CatalogEntry, created: set === 1 };
  }

  async getCatalog(kind: CatalogKind, key: string): Promise<CatalogEntry | undefined> {
    const v = await this.run(() => this.redis.hget(this.catalogKey(kind), key));
    return v === null ? undefined : (JSON.parse(v) as CatalogEntry);
  }

  async listCatalog(kind: CatalogKind): Promise<CatalogEntry[]> {
    const all = await this.run(() => this.redis.hgetall(this.catalogKey(kind)));
    return Object.values(all).map((v) => JSON.parse(v) as CatalogEntry);
  }

  async ping(): Promise<void> {
    await this.run(() => this.redis.ping());
  }

  /** Deletes every key under the prefix (tests clean up after themselves with it). */
  async deleteAll(): Promise<number> {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.keyPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await this.redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e: unknown) {
      throw new UnavailableError(`Redis: ${errorMessage(e)}`, { cause: e });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of [this.redis, this.writer]) {
      try {
        await c.quit();
      } catch {
        // Already disconnected: nothing left to close.
        c.disconnect();
      }
    }
  }
}
