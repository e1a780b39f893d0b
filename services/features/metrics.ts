import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { LruTtlCache } from './cache.js';

/** The feature service's Prometheus metrics (besides the per-RPC ones of the gRPC server). */
export class FeaturesMetrics {
  /** Values served, by status (PRESENT, NOT_FOUND, NULL_VALUE, OUTSIDE_MAX_AGE) and read kind (online, historical). */
  readonly values: Counter<'status' | 'read'>;
  /** Values written, by how (write, materialize). */
  readonly written: Counter<'via'>;
  /** Latest-value cache lookups, by result (hit, miss). */
  readonly cache: Counter<'result'>;

  constructor(registry: Registry, cache: LruTtlCache<unknown>) {
    this.values = new Counter({ name: 'mlmesh_features_values_total', help: 'Feature values served, by status and read kind.', labelNames: ['status', 'read'], registers: [registry] });
    this.written = new Counter({ name: 'mlmesh_features_written_total', help: 'Feature values written, by WriteFeatures or Materialize.', labelNames: ['via'], registers: [registry] });
    this.cache = new Counter({ name: 'mlmesh_features_cache_total', help: 'Latest-value cache lookups, by result.', labelNames: ['result'], registers: [registry] });
    new Gauge({
      name: 'mlmesh_features_cache_entries',
      help: 'Entries in the latest-value cache.',
      registers: [registry],
      collect() {
        this.set(cache.stats().size);
      },
    });
  }
}
