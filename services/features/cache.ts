/**
 * An in-process LRU cache with a TTL, for latest-value reads. Entries are invalidated by writes
 * made through the same replica; writes made through another replica are seen once the entry's
 * TTL has passed, so `ttlMs` is the staleness bound across replicas.
 */

/** Options for {@link LruTtlCache}. */
export interface LruTtlCacheOptions {
  /** Most entries kept; the least recently used goes first. 0 disables the cache. */
  maxEntries: number;
  /** How long an entry is served after it was filled, in ms. 0 disables the cache. */
  ttlMs: number;
  /** Clock (epoch ms). @default Date.now */
  now?: () => number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/** Counters of a cache, for metrics and tests. */
export interface CacheStats {
  hits: number;
  misses: number;
  evictions: number;
  size: number;
}

/**
 * LRU + TTL over a Map (insertion order = recency: a hit moves the entry to the end). Fills
 * carry the write generation read before the store was asked, so a read that raced a write
 * cannot put the older value back after the write invalidated it.
 */
export class LruTtlCache<V> {
  private readonly map = new Map<string, Entry<V>>();
  private readonly now: () => number;
  private generation = 0;
  private readonly counters = { hits: 0, misses: 0, evictions: 0 };

  constructor(private readonly opts: LruTtlCacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** False when maxEntries or ttlMs is 0: every get misses and set does nothing. */
  get enabled(): boolean {
    return this.opts.maxEntries > 0 && this.opts.ttlMs > 0;
  }

  /** The current write generation; pass it to {@link set} with a value read from the store. */
  get writeGeneration(): number {
    return this.generation;
  }

  /** The live entry for `key`, or undefined (expired entries are dropped). */
  get(key: string): V | undefined {
    if (!this.enabled) return undefined;
    const e = this.map.get(key);
    if (!e) {
      this.counters.misses++;
      return undefined;
    }
    if (e.expiresAt <= this.now()) {
      this.map.delete(key);
      this.counters.misses++;
      return undefined;
    }
    // Refresh recency: re-inserting moves the key to the end of the Map's order.
    this.map.delete(key);
    this.map.set(key, e);
    this.counters.hits++;
    return e.value;
  }

  /**
   * Caches `value`, unless a write happened since `generation` was read (the value may be older
   * than that write). Evicts the least recently used entries past maxEntries.
   */
  set(key: string, value: V, generation: number): void {
    if (!this.enabled || generation !== this.generation) return;
    this.map.delete(key);
    this.map.set(key, { value, expiresAt: this.now() + this.opts.ttlMs });
    while (this.map.size > this.opts.maxEntries) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
      this.counters.evictions++;
    }
  }

  /** Drops `keys` and starts a new write generation. */
  invalidate(keys: Iterable<string>): void {
    this.generation++;
    for (const k of keys) this.map.delete(k);
  }

  /** Drops every key that starts with `prefix` and starts a new write generation. */
  invalidatePrefix(prefix: string): void {
    this.generation++;
    for (const k of this.map.keys()) if (k.startsWith(prefix)) this.map.delete(k);
  }

  /** Drops everything. */
  clear(): void {
    this.generation++;
    this.map.clear();
  }

  /** Hits, misses, evictions and current size. */
  stats(): CacheStats {
    return { ...this.counters, size: this.map.size };
  }
}
