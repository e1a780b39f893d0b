/**
 * The response cache (docs/gateway.md "Response cache"): one entry per model-ready row, keyed by
 * model name, the model version that computed it and the row's float32 tensor bytes, holding
 * the model's output row. Bounded by bytes (lru-cache's maxSize), entries expire after the
 * deployment's TTL.
 *
 * Versions. A hit is served only for the version the inference service serves now, as far as
 * the gateway knows: {@link ServingVersions} holds, per model, the version an unversioned
 * request gets (the newest of ModelMetadata's `versions`), refreshed by every ModelInfer answer
 * and, when older than `servingCheckMs`, by a ModelMetadata call before the cache is read. So an
 * answer of a version that no longer serves is never returned once the gateway has seen the
 * switch, and at worst for `servingCheckMs` after it (0: checked before every read).
 */
import { LRUCache } from 'lru-cache';

/** One cached output row. */
export interface CachedRow {
  readonly values: Float64Array;
  readonly version: string;
}

/** Counters of the cache (also exported as metrics). */
export interface CacheCounters {
  hit(): void;
  miss(): void;
  bytes(n: number): void;
}

/** Per-entry bookkeeping beyond the values and the key: a rough object overhead. */
const ENTRY_OVERHEAD_BYTES = 96;

/** The byte-bounded LRU of output rows. */
export class ResponseCache {
  private readonly lru: LRUCache<string, CachedRow>;

  /** @param maxBytes bound on keys + values; 0 disables the cache. */
  constructor(
    readonly maxBytes: number,
    private readonly counters: CacheCounters,
  ) {
    this.lru = new LRUCache<string, CachedRow>({
      maxSize: Math.max(1, maxBytes),
      sizeCalculation: (v, k) => k.length * 2 + v.values.byteLength + ENTRY_OVERHEAD_BYTES,
      ttlAutopurge: false,
      allowStale: false,
      updateAgeOnGet: false,
    });
  }

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** The key of a row: model, version, tensor bytes (as latin1 text: one char per byte). */
  static key(model: string, version: string, row: Uint8Array): string {
    return `${model}\u0000${version}\u0000${Buffer.from(row.buffer, row.byteOffset, row.byteLength).toString('latin1')}`;
  }

  /** The row of `key`, counting a hit or a miss. */
  get(key: string): CachedRow | undefined {
    const v = this.lru.get(key);
    if (v) this.counters.hit();
    else this.counters.miss();
    return v;
  }

  set(key: string, row: CachedRow, ttlMs: number): void {
    if (!this.enabled) return;
    this.lru.set(key, row, { ttl: ttlMs });
    this.counters.bytes(this.lru.calculatedSize);
  }

  /** Bytes held. */
  get size(): number {
    return this.lru.calculatedSize;
  }

  get entries(): number {
    return this.lru.size;
  }

  clear(): void {
    this.lru.clear();
    this.counters.bytes(0);
  }
}

/** What the gateway knows of the version serving each model. */
interface Seen {
  version: string;
  versions: readonly string[];
  at: number;
}

/**
 * The version an unversioned ModelInfer of each model gets, as last reported by the inference
 * service (ModelMetadata's newest version, or the `model_version` of a ModelInfer answer).
 */
export class ServingVersions {
  private readonly seen = new Map<string, Seen>();

  constructor(
    private readonly checkMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The newest of a version list (numeric order). */
  static newest(versions: readonly string[]): string {
    return [...versions].sort((a, b) => Number(a) - Number(b)).at(-1) ?? '';
  }

  /** Records ModelMetadata's answer. */
  fromMetadata(model: string, versions: readonly string[]): void {
    this.seen.set(model, { version: ServingVersions.newest(versions), versions: [...versions], at: this.now() });
  }

  /** Records the version a ModelInfer answer came from. */
  fromAnswer(model: string, version: string): void {
    const prev = this.seen.get(model);
    this.seen.set(model, { version, versions: prev && prev.versions.includes(version) ? prev.versions : [version], at: this.now() });
  }

  /** The version serving `model` if known within `checkMs`, else undefined (ask inference first). */
  fresh(model: string): string | undefined {
    const s = this.seen.get(model);
    if (!s || this.now() - s.at > this.checkMs) return undefined;
    return s.version;
  }

  /** The versions last reported (for GetVersion). */
  versions(model: string): readonly string[] {
    return this.seen.get(model)?.versions ?? [];
  }
}
