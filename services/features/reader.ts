/**
 * Reads: GetOnlineFeatures (latest through the cache, or as of a time) and GetHistoricalFeatures
 * (point in time per entity row, in chunks). Both answer "the latest value with event time <= t"
 * and compare its age with the feature's max age at t.
 */
import { InvalidArgumentError } from '../../shared/errors/index.js';
import type { FeatureColumn } from '../../shared/generated/mlmesh/features/v1/FeatureColumn.js';
import type { FeatureStatus } from '../../shared/generated/mlmesh/features/v1/FeatureStatus.js';
import type { GetHistoricalFeaturesRequest__Output } from '../../shared/generated/mlmesh/features/v1/GetHistoricalFeaturesRequest.js';
import type { GetHistoricalFeaturesResponse } from '../../shared/generated/mlmesh/features/v1/GetHistoricalFeaturesResponse.js';
import type { GetOnlineFeaturesRequest__Output } from '../../shared/generated/mlmesh/features/v1/GetOnlineFeaturesRequest.js';
import type { GetOnlineFeaturesResponse } from '../../shared/generated/mlmesh/features/v1/GetOnlineFeaturesResponse.js';
import type { HistoricalRow } from '../../shared/generated/mlmesh/features/v1/HistoricalRow.js';
import type { Value } from '../../shared/generated/mlmesh/features/v1/Value.js';
import type { LruTtlCache } from './cache.js';
import type { FeaturesMetrics } from './metrics.js';
import { checkEntityId, parseTimeMs } from './refs.js';
import type { FeatureRegistry, ResolvedFeature } from './registry.js';
import type { FeatureStore, ReadQuery, StoredValue } from './store.js';
import { LATEST } from './store.js';
import { storedToProto } from './values.js';

/** A decoded stored value, as the cache keeps it; null: nothing stored. */
export type CachedValue = { eventMs: number; value: Value; isNull: boolean } | null;

/** Limits and defaults of the reads. */
export interface ReaderLimits {
  /** Most entities × features in one GetOnlineFeatures. */
  maxOnlineValues: number;
  /** Most rows × features in one GetHistoricalFeatures. */
  maxHistoricalValues: number;
}

/** Rows per historical response message when the request does not say. */
export const DEFAULT_CHUNK_ROWS = 1000;
/** Largest chunk a request may ask for. */
export const MAX_CHUNK_ROWS = 10_000;

/** The answer for one (feature, entity) at a read time. */
interface Cell {
  value: Value;
  status: FeatureStatus;
  eventMs: number;
}

/** The value of every answer without one (shared: responses are only encoded, never changed). */
const EMPTY: Value = {};

const NOT_FOUND: Cell = { value: EMPTY, status: 'NOT_FOUND', eventMs: 0 };

function decode(stored: StoredValue | undefined, f: ResolvedFeature): CachedValue {
  if (!stored) return null;
  return { eventMs: stored.eventMs, value: storedToProto(stored.json, f.valueType), isNull: stored.json === null };
}

function cell(v: CachedValue, f: ResolvedFeature, readMs: number): Cell {
  if (!v) return NOT_FOUND;
  if (f.maxAgeMs > 0 && readMs - v.eventMs > f.maxAgeMs) return { value: EMPTY, status: 'OUTSIDE_MAX_AGE', eventMs: v.eventMs };
  return { value: v.value, status: v.isNull ? 'NULL_VALUE' : 'PRESENT', eventMs: v.eventMs };
}

/** The cache key of a (feature version, entity). */
export function cacheKey(ref: string, entity: string): string {
  return `${ref}\u0000${entity}`;
}

/** Serves reads from the store through the registry (and the cache for latest values). */
export class FeatureReader {
  constructor(
    private readonly registry: FeatureRegistry,
    private readonly store: FeatureStore,
    private readonly cache: LruTtlCache<CachedValue>,
    private readonly metrics: FeaturesMetrics,
    private readonly limits: ReaderLimits,
    private readonly now: () => number,
  ) {}

  /**
   * GetOnlineFeatures: one column per feature, one value per entity.
   * @throws InvalidArgumentError (malformed refs or ids, over the limit, negative as_of_ms),
   *   NotFoundError (unknown feature, version or feature service).
   */
  async online(req: GetOnlineFeaturesRequest__Output): Promise<GetOnlineFeaturesResponse> {
    // Checked on the request's own refs first (resolving refs costs catalog reads), then on the
    // resolved features (a feature service names its features only once resolved).
    checkLimit('entity_ids', req.entity_ids.length, req.features?.refs.length ?? 0, this.limits.maxOnlineValues, 'maxOnlineValues');
    const features = await this.registry.resolve(req);
    const ids = req.entity_ids;
    if (ids.length === 0) throw new InvalidArgumentError('entity_ids: give at least one entity id', { field: 'entity_ids' });
    ids.forEach((id, i) => checkEntityId(id, `entity_ids[${i}]`));
    checkLimit('entity_ids', ids.length, features.length, this.limits.maxOnlineValues, 'maxOnlineValues');
    const asOf = parseTimeMs(req.as_of_ms, 'as_of_ms');
    if (asOf < 0) throw new InvalidArgumentError('as_of_ms: must be >= 0 (0 reads the latest values)', { field: 'as_of_ms' });
    const latest = asOf === 0;
    const readMs = latest ? this.now() : asOf;
    const values = latest ? await this.readLatest(features, ids) : await this.readAt(features, ids, asOf);
    // Plain loops and no per-value objects: this runs for every value of every request.
    let present = 0;
    let nulls = 0;
    let missing = 0;
    let stale = 0;
    const columns = new Array<FeatureColumn>(features.length);
    const refs = new Array<string>(features.length);
    for (let fi = 0; fi < features.length; fi++) {
      const f = features[fi] as ResolvedFeature;
      refs[fi] = f.ref;
      const vals = new Array<Value>(ids.length);
      const statuses = new Array<FeatureStatus>(ids.length);
      const times = new Array<number>(ids.length);
      for (let ei = 0; ei < ids.length; ei++) {
        const v = values[fi * ids.length + ei];
        if (!v) {
          vals[ei] = EMPTY;
          statuses[ei] = 'NOT_FOUND';
          times[ei] = 0;
          missing++;
        } else if (f.maxAgeMs > 0 && readMs - v.eventMs > f.maxAgeMs) {
          vals[ei] = EMPTY;
          statuses[ei] = 'OUTSIDE_MAX_AGE';
          times[ei] = v.eventMs;
          stale++;
        } else {
          vals[ei] = v.value;
          statuses[ei] = v.isNull ? 'NULL_VALUE' : 'PRESENT';
          times[ei] = v.eventMs;
          if (v.isNull) nulls++;
          else present++;
        }
      }
      columns[fi] = { values: vals, statuses, event_times_ms: times };
    }
    const m = this.metrics.values;
    if (present > 0) m.inc({ status: 'PRESENT', read: 'online' }, present);
    if (nulls > 0) m.inc({ status: 'NULL_VALUE', read: 'online' }, nulls);
    if (missing > 0) m.inc({ status: 'NOT_FOUND', read: 'online' }, missing);
    if (stale > 0) m.inc({ status: 'OUTSIDE_MAX_AGE', read: 'online' }, stale);
    return { features: refs, entity_ids: ids, columns };
  }

  /** Latest values in feature-major order, from the cache where it can. */
  private async readLatest(features: readonly ResolvedFeature[], ids: readonly string[]): Promise<CachedValue[]> {
    const out = new Array<CachedValue>(features.length * ids.length);
    const missing: { i: number; f: ResolvedFeature; key: string }[] = [];
    const generation = this.cache.writeGeneration;
    const cached = this.cache.enabled;
    for (let fi = 0; fi < features.length; fi++) {
      const f = features[fi] as ResolvedFeature;
      for (let ei = 0; ei < ids.length; ei++) {
        const i = fi * ids.length + ei;
        const key = cacheKey(f.ref, ids[ei] as string);
        const hit = cached ? this.cache.get(key) : undefined;
        if (hit !== undefined) out[i] = hit;
        else missing.push({ i, f, key });
      }
    }
    if (this.cache.enabled) {
      this.metrics.cache.inc({ result: 'hit' }, out.length - missing.length);
      this.metrics.cache.inc({ result: 'miss' }, missing.length);
    }
    if (missing.length === 0) return out;
    const queries: ReadQuery[] = missing.map(({ i, f }) => ({ feature: f.name, version: f.version, entity: ids[i % ids.length] as string, asOfMs: LATEST }));
    const stored = await this.store.read(queries);
    missing.forEach(({ i, f, key }, j) => {
      const v = decode(stored[j], f);
      out[i] = v;
      this.cache.set(key, v, generation);
    });
    return out;
  }

  /** Values as of `asOf` in feature-major order, from the store (never cached). */
  private async readAt(features: readonly ResolvedFeature[], ids: readonly string[], asOf: number): Promise<CachedValue[]> {
    const queries: ReadQuery[] = [];
    for (const f of features) for (const entity of ids) queries.push({ feature: f.name, version: f.version, entity, asOfMs: asOf });
    const stored = await this.store.read(queries);
    return stored.map((s, i) => decode(s, features[Math.floor(i / ids.length)] as ResolvedFeature));
  }

  /**
   * GetHistoricalFeatures: for each entity row, every feature's latest value with event time
   * <= the row's time (never a later one), sent in chunks of `chunk_rows` rows; the first
   * message also names the features. Stops when `signal` aborts.
   * @throws InvalidArgumentError, NotFoundError as for online reads.
   */
  async historical(req: GetHistoricalFeaturesRequest__Output, send: (m: GetHistoricalFeaturesResponse) => Promise<void>, signal: AbortSignal): Promise<void> {
    checkLimit('rows', req.rows.length, req.features?.refs.length ?? 0, this.limits.maxHistoricalValues, 'maxHistoricalValues');
    const features = await this.registry.resolve(req);
    const rows = req.rows;
    if (rows.length === 0) throw new InvalidArgumentError('rows: give at least one entity row', { field: 'rows' });
    const times = rows.map((r, i) => {
      checkEntityId(r.entity_id, `rows[${i}].entity_id`);
      const t = parseTimeMs(r.time_ms, `rows[${i}].time_ms`);
      if (t <= 0) throw new InvalidArgumentError(`rows[${i}].time_ms: must be a positive epoch ms time`, { field: `rows[${i}].time_ms` });
      return t;
    });
    checkLimit('rows', rows.length, features.length, this.limits.maxHistoricalValues, 'maxHistoricalValues');
    const chunk = req.chunk_rows === 0 ? DEFAULT_CHUNK_ROWS : req.chunk_rows;
    if (chunk > MAX_CHUNK_ROWS) throw new InvalidArgumentError(`chunk_rows: at most ${MAX_CHUNK_ROWS}, got ${chunk}`, { field: 'chunk_rows' });
    const names = features.map((f) => f.ref);
    for (let start = 0; start < rows.length; start += chunk) {
      signal.throwIfAborted();
      const end = Math.min(rows.length, start + chunk);
      const queries: ReadQuery[] = [];
      for (let r = start; r < end; r++) {
        for (const f of features) queries.push({ feature: f.name, version: f.version, entity: rows[r]?.entity_id as string, asOfMs: times[r] as number });
      }
      const stored = await this.store.read(queries);
      const out: HistoricalRow[] = [];
      const tally: Record<string, number> = {};
      for (let r = start; r < end; r++) {
        const t = times[r] as number;
        out.push({
          row_index: r,
          entity_id: rows[r]?.entity_id,
          time_ms: t,
          values: features.map((f, fi) => {
            const c = cell(decode(stored[(r - start) * features.length + fi], f), f, t);
            tally[c.status as string] = (tally[c.status as string] ?? 0) + 1;
            return { value: c.value, status: c.status, event_time_ms: c.eventMs };
          }),
        });
      }
      for (const [status, count] of Object.entries(tally)) this.metrics.values.inc({ status, read: 'historical' }, count);
      await send(start === 0 ? { features: names, rows: out } : { rows: out });
    }
  }
}

/**
 * Refuses a request of `rows` × `features` values over `limit`, naming the field and the option.
 * @throws InvalidArgumentError
 */
function checkLimit(field: 'entity_ids' | 'rows', rows: number, features: number, limit: number, option: string): void {
  const n = rows * features;
  if (n > limit) {
    const what = field === 'rows' ? 'rows × features' : 'entity_ids × features';
    throw new InvalidArgumentError(`${what}: ${rows} × ${features} = ${n} values, over the limit of ${limit} per request (${option})`, { field });
  }
}
