/**
 * The storage interface both backends implement (SQLite embedded, Redis shared): feature values
 * with their history per (feature, version, entity), and the catalog of immutable definitions.
 */

/** One stored value: its event time and its JSON text (null for a null value). */
export interface StoredValue {
  readonly eventMs: number;
  readonly json: string | null;
}

/** Where a value lives. */
export interface ValueKey {
  readonly feature: string;
  readonly version: number;
  readonly entity: string;
}

/** "The latest value of `key` with event time <= asOfMs" ({@link LATEST} for no bound). */
export interface ReadQuery extends ValueKey {
  readonly asOfMs: number;
}

/** One value to write; a value at the same key and event time is replaced. */
export interface WriteRow extends ValueKey, StoredValue {}

/** asOfMs for "the latest value, whatever its event time". */
export const LATEST = Number.MAX_SAFE_INTEGER;

/** The two kinds of catalog entries. */
export type CatalogKind = 'feature' | 'service';

/** A registered definition: its key (`name@version` or a service name), hash and JSON. */
export interface CatalogEntry {
  readonly key: string;
  readonly hash: string;
  readonly json: string;
  readonly registeredAtMs: number;
}

/** The backends. */
export type StoreBackend = 'sqlite' | 'redis';

/** The values of one feature version with event time in [fromMs, toMs), for every entity. */
export interface ValueRange {
  readonly feature: string;
  readonly version: number;
  readonly fromMs: number;
  /** Exclusive. */
  readonly toMs: number;
}

/**
 * What a Materialize knows of the value each entity has in effect at the start of the range it
 * replaces (see FeatureWriter.materialize), so that the store can make it the one read there:
 * values before the start that the corrected source no longer has are deleted, and an entity
 * whose window the source has emptied gets the empty value.
 */
export interface StartValues {
  /**
   * Entities whose value in effect at the range's start is one of the rows written, with an event
   * time before the start: entity → that time. Their values after that time and before the start
   * are deleted (the source has nothing there).
   */
  readonly carried: ReadonlyMap<string, number>;
  /**
   * Every other entity of the feature version has no value in [clearFromMs, start) in the source:
   * its stored ones there are deleted. -Infinity: every value before the start.
   */
  readonly clearFromMs: number;
  /**
   * For a definition whose values come from a window: the value of an emptied window (JSON text,
   * null for null). Such an entity whose latest value before clearFromMs (finite then) is not this
   * one gets it at clearFromMs, so it reads the emptied window from there on. Unset: nothing is
   * added.
   */
  readonly empty?: { readonly json: string | null };
}

/** A range to replace ({@link WriteOptions.replace}), with what its start needs. */
export interface ReplaceRange extends ValueRange {
  /** Sets the value in effect at fromMs right (applied after the range is cleared). @default only the range is cleared */
  readonly atStart?: StartValues;
}

/** Options of {@link FeatureStore.write}. */
export interface WriteOptions {
  /**
   * Prunes the history of the keys written: values older than the newest one at or before this
   * time are deleted (in the same transaction). @default no pruning
   */
  readonly pruneBeforeMs?: number;
  /**
   * Deletes every value in this range (all entities) before writing, in the same transaction:
   * the rows replace the range, so a value the new rows do not have is gone. Rows outside the
   * range are written as usual. With `atStart`, values before the range are then deleted or added
   * as it says, in the same transaction. @default nothing deleted
   */
  readonly replace?: ReplaceRange;
}

/**
 * A feature store. Writes are atomic (all rows or none, the replaced range and the pruning
 * included). History older than the cutoff given to {@link FeatureStore.write} is pruned for the
 * keys written, except the newest value at or before the cutoff, so reads as of any time after
 * the cutoff stay exact.
 */
export interface FeatureStore {
  readonly backend: StoreBackend;
  /** For each query, the latest value with event time <= asOfMs, or undefined. */
  read(queries: readonly ReadQuery[]): Promise<(StoredValue | undefined)[]>;
  /**
   * In one transaction: deletes the range `opts.replace` when given (and applies its `atStart`),
   * writes every row (a value at the same key and event time is replaced), then prunes the keys
   * written when `opts.pruneBeforeMs` is given.
   */
  write(rows: readonly WriteRow[], opts?: WriteOptions): Promise<void>;
  /** Stores `entry` unless its key exists; returns what is stored under the key afterwards and whether it was this call that stored it. */
  putCatalog(kind: CatalogKind, entry: CatalogEntry): Promise<{ stored: CatalogEntry; created: boolean }>;
  getCatalog(kind: CatalogKind, key: string): Promise<CatalogEntry | undefined>;
  listCatalog(kind: CatalogKind): Promise<CatalogEntry[]>;
  /** Resolves when the store answers (health probe). @throws UnavailableError when it does not. */
  ping(): Promise<void>;
  /** Closes connections / the database. Idempotent. */
  close(): Promise<void>;
}

/** Distinct keys of some rows, first occurrence order. */
export function distinctKeys(rows: readonly ValueKey[]): ValueKey[] {
  const seen = new Map<string, ValueKey>();
  for (const r of rows) {
    const k = `${r.feature}@${r.version}\u0000${r.entity}`;
    if (!seen.has(k)) seen.set(k, { feature: r.feature, version: r.version, entity: r.entity });
  }
  return [...seen.values()];
}
