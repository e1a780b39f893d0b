import { resolve } from 'node:path';
import { errorMessage } from '../../shared/errors/index.js';
import type { FeatureServiceHandlers } from '../../shared/generated/mlmesh/features/v1/FeatureService.js';
import { HostedService, ServiceHost, defineService } from '../../shared/host/index.js';
import type { HostedServiceOptions, ServiceHostState } from '../../shared/host/index.js';
import { LruTtlCache } from './cache.js';
import { FEATURES_OPTIONS } from './config.js';
import type { FeaturesConfig } from './config.js';
import { featureHttpRoutes } from './http-api.js';
import { FeaturesMetrics } from './metrics.js';
import { FeatureReader } from './reader.js';
import type { CachedValue } from './reader.js';
import { RedisStore } from './redis-store.js';
import { FeatureRegistry } from './registry.js';
import { featureHandlers } from './server.js';
import { SqliteStore } from './sqlite-store.js';
import type { FeatureStore } from './store.js';
import { FeatureWriter } from './writer.js';

/** Fully-qualified name of the feature gRPC service. */
export const FEATURES_SERVICE = 'mlmesh.features.v1.FeatureService';

/** The .proto file of the service, relative to `protos/`. */
export const FEATURES_PROTO = 'mlmesh/features/v1/features.proto';

/** Options for {@link FeaturesService.create}: the host's (overrides, env, logger, registry) and a clock. */
export interface FeaturesServiceOptions extends HostedServiceOptions<FeaturesConfig> {
  /** Clock (epoch ms) for max-age checks of latest reads, retention and the cache. @default Date.now */
  now?: () => number;
}

/** How often the store is probed to derive gRPC health and readiness, in ms. */
const HEALTH_PROBE_MS = 1000;

/** Lifecycle of the service (the host's). */
export type FeaturesServiceState = ServiceHostState;

async function openStore(config: FeaturesConfig): Promise<FeatureStore> {
  if (config.backend === 'redis') return RedisStore.create({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix });
  return new SqliteStore(resolve(config.sqlitePath));
}

/**
 * The feature retrieval service: versioned feature definitions, point-in-time online and
 * historical reads, pushed and materialized values, over gRPC with health, reflection,
 * Prometheus metrics and graceful drain (on the service host; the store closes after the
 * in-flight calls). Storage is SQLite (embedded) or Redis (shared).
 */
export class FeaturesService extends HostedService<FeaturesConfig> {
  private storeUp = true;

  private constructor(
    host: ServiceHost<FeaturesConfig>,
    /** The store (SqliteStore or RedisStore). */
    readonly store: FeatureStore,
    readonly features: FeatureRegistry,
    readonly cache: LruTtlCache<CachedValue>,
  ) {
    super(host);
  }

  /**
   * Resolves options, opens the store, binds the gRPC and HTTP servers and turns health SERVING.
   * @throws ConfigError for a bad option; UnavailableError when Redis cannot be reached; the
   *   SQLite error when the file cannot be opened; the bind error when a port is taken.
   */
  static create(opts: FeaturesServiceOptions = {}): Promise<FeaturesService> {
    const { now = Date.now, ...hostOpts } = opts;
    return ServiceHost.create({
      ...hostOpts,
      name: 'features',
      options: FEATURES_OPTIONS,
      protos: [FEATURES_PROTO],
      setup: async (host) => {
        const { config, logger, registry } = host;
        const store = await openStore(config);
        host.use({ name: 'feature store', close: () => store.close() });
        const cache = new LruTtlCache<CachedValue>({ maxEntries: config.cacheMaxEntries, ttlMs: config.cacheTtlMs, now });
        const metrics = new FeaturesMetrics(registry, cache);
        const features = new FeatureRegistry(store, now);
        const reader = new FeatureReader(features, store, cache, metrics, { maxOnlineValues: config.maxOnlineValues, maxHistoricalValues: config.maxHistoricalValues }, now);
        const writer = new FeatureWriter(features, store, cache, metrics, { maxWriteValues: config.maxWriteValues, retentionMs: config.retentionMs, dataDir: resolve(config.dataDir) }, now, logger);
        const svc = new FeaturesService(host, store, features, cache);
        host.every(HEALTH_PROBE_MS, () => svc.probeStore(), 'store probe');
        return {
          service: svc,
          services: [defineService<FeatureServiceHandlers>(FEATURES_SERVICE, featureHandlers({ registry: features, reader, writer }))],
          ready: () => svc.storeUp,
          routes: featureHttpRoutes({ registry: features, reader, logger }),
          describe: () => ({ backend: store.backend }),
        };
      },
    });
  }

  /**
   * Health follows the store: a Redis that stops answering turns health NOT_SERVING (calls fail
   * with UNAVAILABLE meanwhile) until it answers again.
   */
  private async probeStore(): Promise<void> {
    let up = true;
    try {
      await this.store.ping();
    } catch (e: unknown) {
      up = false;
      if (this.storeUp) this.logger.warn({ err: errorMessage(e) }, 'store unreachable: health NOT_SERVING');
    }
    if (up && !this.storeUp) this.logger.info('store reachable again: health SERVING');
    this.storeUp = up;
    this.host.refreshHealth();
  }
}
