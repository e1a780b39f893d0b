/**
 * Writes: WriteFeatures (pushed values, validated as a whole before anything is written) and
 * Materialize (extract → transform → coerce → one atomic write). Both invalidate this replica's
 * cache for the keys they wrote.
 */
import { FailedPreconditionError, InvalidArgumentError } from '../../shared/errors/index.js';
import type { MaterializeRequest__Output } from '../../shared/generated/mlmesh/features/v1/MaterializeRequest.js';
import type { MaterializeResponse } from '../../shared/generated/mlmesh/features/v1/MaterializeResponse.js';
import type { WriteFeaturesRequest__Output } from '../../shared/generated/mlmesh/features/v1/WriteFeaturesRequest.js';
import type { WriteFeaturesResponse } from '../../shared/generated/mlmesh/features/v1/WriteFeaturesResponse.js';
import type { Logger } from '../../shared/logging/index.js';
import type { LruTtlCache } from './cache.js';
import { checkColumns } from './columns.js';
import { ColumnsError, CoercionError, ExtractError, TransformError } from './errors.js';
import { ExtractStats, extract } from './extractors.js';
import { pastDependence } from './look-back.js';
import type { PastDependence } from './look-back.js';
import type { FeaturesMetrics } from './metrics.js';
import type { CachedValue } from './reader.js';
import { cacheKey } from './reader.js';
import { checkEntityId, formatRef, parseRef, parseTimeMs } from './refs.js';
import type { FeatureRegistry, ResolvedFeature } from './registry.js';
import type { FeatureStore, ReplaceRange, StartValues, WriteRow } from './store.js';
import { EARLIEST_MS } from './times.js';
import { applyTransforms } from './transformers.js';
import type { SourceRow } from './transformers.js';
import { coerceValue, encodeStored, fromProtoValue } from './values.js';

/** An epoch ms time as ISO 8601 (UTC); out-of-range times as their number. */
function iso(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

/** Limits and settings of the writes. */
export interface WriterSettings {
  /** Most values in one WriteFeatures. */
  maxWriteValues: number;
  /** History kept, in ms (0: all); older values are pruned on write (see FeatureStore). */
  retentionMs: number;
  /** Folder file and SQLite sources are read from. */
  dataDir: string;
}

/** Writes values through the registry into the store. */
export class FeatureWriter {
  constructor(
    private readonly registry: FeatureRegistry,
    private readonly store: FeatureStore,
    private readonly cache: LruTtlCache<CachedValue>,
    private readonly metrics: FeaturesMetrics,
    private readonly settings: WriterSettings,
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {}

  private pruneBefore(): number | undefined {
    return this.settings.retentionMs > 0 ? this.now() - this.settings.retentionMs : undefined;
  }

  /**
   * A warning when the source gave no row in [from, to) (a wrong range, or times misread): the
   * range read for a window definition, the range itself for the others (which read every older
   * row for the value in effect at the start, so a source whose times were all misread into 1970
   * would still give values: `carried` of them).
   */
  private emptyWarning(stats: ExtractStats, inRange: number, from: number, to: number, carried: number): string[] {
    if (inRange > 0) return [];
    const range = `[${iso(from)}, ${iso(to)})`;
    if (stats.seen === 0) return [`${stats.what} gave no rows: nothing was read for ${range}`];
    const older = carried > 0 ? `; only the values in effect at ${iso(from)}, from older rows, were written (${carried})` : '';
    return [`none of the ${stats.seen} rows of ${stats.what} has an event time in ${range}: its times run from ${iso(stats.minMs)} to ${iso(stats.maxMs)}${older}`];
  }

  /**
   * A warning (also logged) when some rows are older than the retention cutoff: a backfill whose
   * history the pruning on write is about to delete.
   */
  private retentionWarning(rows: readonly WriteRow[], what: string): string[] {
    const cutoff = this.pruneBefore();
    if (cutoff === undefined) return [];
    let old = 0;
    for (const r of rows) if (r.eventMs < cutoff) old++;
    if (old === 0) return [];
    const ms = this.settings.retentionMs;
    const span = ms % 86_400_000 === 0 ? `${ms / 86_400_000} days` : `${ms} ms`;
    const at = new Date(cutoff).toISOString();
    const warning = `${old} of ${rows.length} values are older than the retention (retentionMs ${ms} = ${span}: before ${at}): per entity only the newest of them is kept and older history is pruned, so reads as of before ${at} may be NOT_FOUND; set retentionMs to 0 to keep everything`;
    this.logger.warn({ what, old, values: rows.length, cutoff: at, retentionMs: ms }, 'write older than the retention: history before the cutoff is pruned');
    return [warning];
  }

  private async commit(rows: WriteRow[], replace?: ReplaceRange): Promise<void> {
    const pruneBeforeMs = this.pruneBefore();
    try {
      await this.store.write(rows, { ...(pruneBeforeMs === undefined ? {} : { pruneBeforeMs }), ...(replace ? { replace } : {}) });
    } finally {
      // Even a failed write may have reached the store (a timeout after commit): drop the keys anyway.
      // A replaced range may have removed values of any entity: drop the whole feature version.
      if (replace) this.cache.invalidatePrefix(cacheKey(formatRef(replace.feature, replace.version), ''));
      else this.cache.invalidate(rows.map((r) => cacheKey(`${r.feature}@${r.version}`, r.entity)));
    }
  }

  /**
   * WriteFeatures: every write is checked (ref, registered, push source, entity id, event time,
   * value type) before one atomic write of them all.
   * @throws InvalidArgumentError naming `writes[i]…`; NotFoundError for an unknown feature;
   *   FailedPreconditionError for a feature computed from a source (use Materialize).
   */
  async write(req: WriteFeaturesRequest__Output): Promise<WriteFeaturesResponse> {
    const writes = req.writes;
    if (writes.length === 0) throw new InvalidArgumentError('writes: give at least one value', { field: 'writes' });
    if (writes.length > this.settings.maxWriteValues) {
      throw new InvalidArgumentError(`writes: ${writes.length} values, over the limit of ${this.settings.maxWriteValues} per request (maxWriteValues)`, { field: 'writes' });
    }
    const resolved = new Map<string, ResolvedFeature>();
    const rows: WriteRow[] = [];
    for (let i = 0; i < writes.length; i++) {
      const w = writes[i];
      const field = `writes[${i}]`;
      const ref = parseRef(w?.feature, `${field}.feature`);
      let f = resolved.get(ref.ref);
      if (!f) {
        f = await this.registry.get(ref);
        if (f.definition.source?.kind !== 'push') {
          throw new FailedPreconditionError(`${field}.feature: ${f.ref} is computed from its ${f.definition.source?.kind} source: its values come from Materialize, not WriteFeatures`);
        }
        resolved.set(ref.ref, f);
      }
      const entity = checkEntityId(w?.entity_id, `${field}.entity_id`);
      const eventMs = parseTimeMs(w?.event_time_ms, `${field}.event_time_ms`);
      if (eventMs <= 0) throw new InvalidArgumentError(`${field}.event_time_ms: must be a positive epoch ms time, got ${eventMs}`, { field: `${field}.event_time_ms` });
      const value = fromProtoValue(w?.value, f.valueType, `${field}.value`, `feature ${f.ref}`);
      rows.push({ feature: f.name, version: f.version, entity, eventMs, json: encodeStored(value) });
    }
    const warnings = this.retentionWarning(rows, 'WriteFeatures');
    await this.commit(rows);
    this.metrics.written.inc({ via: 'write' }, rows.length);
    return { written: rows.length, warnings };
  }

  /**
   * Materialize: the values of [start_ms, end_ms) replace what the range held, in one atomic
   * write, and the value in effect at start_ms is made the one the source gives there.
   * - A definition ending with a window (maps after it at most) depends on the rows of the
   *   look-back L before a time (the sum of the windows): the source is read over
   *   [start_ms - 2L, end_ms), so every value with event time >= start_ms - L sees all the rows of
   *   its windows and is exact. Per entity, the last value in [start_ms - L, start_ms) is the one
   *   in effect at start_ms: it is written at its own event time and the stored values after it
   *   and before start_ms (which the source no longer has) are deleted. An entity with no value
   *   there has an empty window at start_ms: its stored values in [start_ms - L, start_ms) are
   *   deleted and, when the latest one before is not the emptied window's value, that value is
   *   written at start_ms - L.
   * - Any other definition (no window, or a filter after the last one) may take its value at
   *   start_ms from a row of any age: the source is read from the earliest time, the latest value
   *   before start_ms is written at its own event time and stored values after it and before
   *   start_ms are deleted; an entity without one loses every stored value before start_ms.
   * Either way a range read reads what a materialization of a wider range reads, splitting a range
   * changes nothing, and re-materializing after a correction of the source (in the range or
   * before it) reads from start_ms on as a fresh materialization of the corrected source.
   * @throws InvalidArgumentError for a bad ref or range; NotFoundError; FailedPreconditionError
   *   for a push feature, an unreadable source, or data that cannot be transformed or coerced
   *   (nothing is written then).
   */
  async materialize(req: MaterializeRequest__Output, signal: AbortSignal): Promise<MaterializeResponse> {
    const f = await this.registry.get(parseRef(req.feature, 'feature'));
    const start = parseTimeMs(req.start_ms, 'start_ms');
    const end = parseTimeMs(req.end_ms, 'end_ms');
    if (start < 0) throw new InvalidArgumentError('start_ms: must be >= 0', { field: 'start_ms' });
    if (end <= start) throw new InvalidArgumentError(`end_ms: must be after start_ms (${start}), got ${end}`, { field: 'end_ms' });
    const def = f.definition;
    const src = def.source;
    if (!src || src.kind === 'push') throw new FailedPreconditionError(`feature ${f.ref} has a push source: its values come from WriteFeatures, there is nothing to materialize`);
    const fail = (e: unknown): never => {
      if (e instanceof ExtractError || e instanceof TransformError || e instanceof ColumnsError) throw new FailedPreconditionError(`materialize ${f.ref}: ${e.message}`, { cause: e });
      throw e;
    };
    let past: PastDependence;
    try {
      past = pastDependence(def);
    } catch (e: unknown) {
      return fail(e);
    }
    const bounded = past.kind === 'window';
    const readFrom = bounded ? start - 2 * past.lookbackMs : EARLIEST_MS;
    // Values from here on are exact (their windows' rows were all read); the last of them before
    // `start` is the value in effect at `start`.
    const exactFrom = bounded ? start - past.lookbackMs : -Infinity;
    const stats = new ExtractStats();
    const lastBefore = new Map<string, SourceRow>();
    const keepLast = (r: SourceRow): void => {
      if (r.ts >= exactFrom && r.ts < start && r.ts >= (lastBefore.get(r.entity)?.ts ?? -Infinity)) lastBefore.set(r.entity, r);
    };
    let inRange: SourceRow[];
    let rowsRead = 0;
    let rowsInRange = 0;
    try {
      // Every column the definition reads must exist, or a misspelt one reads as nulls.
      const onColumns = (columns: readonly string[], what: string): void => checkColumns(def, columns, what);
      const raw: SourceRow[] = [];
      const rowWise = past.kind === 'unbounded' && past.rowWise;
      for await (const row of extract(src, { dataDir: this.settings.dataDir, startMs: readFrom, endMs: end, signal, stats, onColumns })) {
        rowsRead++;
        if (row.ts >= start) rowsInRange++;
        // Without a window rows transform one by one: of the (whole) history before `start` only
        // each entity's latest value is kept, not every row.
        if (rowWise && row.ts < start) applyTransforms([row], def.transforms).forEach(keepLast);
        else raw.push(row);
      }
      const transformed = applyTransforms(raw, def.transforms);
      if (!rowWise) transformed.forEach(keepLast);
      inRange = transformed.filter((r) => r.ts >= start && r.ts < end);
    } catch (e: unknown) {
      return fail(e);
    }
    const coerce = (raw: unknown, at: string): string | null => {
      try {
        return encodeStored(coerceValue(raw, f.valueType));
      } catch (e: unknown) {
        if (e instanceof CoercionError) throw new FailedPreconditionError(`materialize ${f.ref}: ${at}: column ${def.value_column}: ${e.message} (value_type ${f.valueType})`, { cause: e });
        throw e;
      }
    };
    const rows: WriteRow[] = [];
    const entities = new Set<string>();
    for (const r of [...lastBefore.values(), ...inRange]) {
      rows.push({ feature: f.name, version: f.version, entity: r.entity, eventMs: r.ts, json: coerce(r.cols[def.value_column], r.at) });
      entities.add(r.entity);
    }
    const atStart: StartValues = {
      carried: new Map([...lastBefore.values()].map((r) => [r.entity, r.ts])),
      clearFromMs: exactFrom,
      ...(past.kind === 'window' ? { empty: { json: coerce(past.empty, 'an emptied window') } } : {}),
    };
    signal.throwIfAborted();
    // Even with no rows: the range's old values must go (the source may have lost its rows).
    const warnings = [...(bounded ? this.emptyWarning(stats, rowsRead, readFrom, end, 0) : this.emptyWarning(stats, rowsInRange, start, end, lastBefore.size)), ...this.retentionWarning(rows, `Materialize ${f.ref}`)];
    await this.commit(rows, { feature: f.name, version: f.version, fromMs: start, toMs: end, atStart });
    this.metrics.written.inc({ via: 'materialize' }, rows.length);
    return { rows_read: rowsRead, values_written: rows.length, entities: entities.size, warnings };
  }
}
