import { resolve } from 'node:path';
import type { Registry } from 'prom-client';
import { errorMessage } from '../../shared/errors/index.js';
import { GrpcServer, loadProtos, serviceDefinition } from '../../shared/grpc/index.js';
import { createLogger } from '../../shared/logging/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { MetricsServer, createRegistry } from '../../shared/metrics/index.js';
import { LruTtlCache } from './cache.js';
import { resolveFeaturesConfig } from './config.js';
import type { FeaturesConfig } from './config.js';
import { featureHttpRoute } from './http-api.js';
import { FeaturesMetrics } from './metrics.js';
import { FeatureReader } from './reader.js';
import type { CachedValue } from './reader.js';
import { RedisStore } from './redis-store.js';
import { FeatureRegistry } from './registry.js';
import { featureHandlers, featureStreamHandlers } from './server.js';
import { SqliteStore } from './sqlite-store.js';
import type { FeatureStore } from './store.js';
import { FeatureWriter } from './writer.js';

/** Fully-qualified name of the feature gRPC service. */
export const FEATURES_SERVICE = 'mlmesh.features.v1.FeatureService';

/** The .proto file of the service, relative to `protos/`. */
export const FEATURES_PROTO = 'mlmesh/features/v1/features.proto';

/** Options for {@link FeaturesService.create}. */
export interface FeaturesServiceOptions {
  /** Option values set in code; the rest come from file and environment (see FEATURES_OPTIONS). */
  overrides?: Partial<FeaturesConfig>;
  /** Environment to read options from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default a pino logger at `logLevel` */
  logger?: Logger;
  /** @default a fresh registry with process metrics */
  registry?: Registry;
  /** Clock (epoch ms) for max-age checks of latest reads, retention and the cache. @default Date.now */
  now?: () => number;
}

/** How often the store is probed to derive gRPC health and readiness, in ms. */
const HEALTH_PROBE_MS = 1000;

/** Lifecycle of the service. */
export type FeaturesServiceState = 'serving' | 'draining' | 'closed';

async function openStore(config: FeaturesConfig): Promise<FeatureStore> {
  if (config.backend === 'redis') return RedisStore.create({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix });
  return new SqliteStore(resolve(config.sqlitePath));
}

/**
 * The feature retrieval service: versioned feature definitions, point-in-time online and
 * historical reads, pushed and materialized values, over gRPC with health, reflection,
 * Prometheus metrics and graceful drain. Storage is SQLite (embedded) or Redis (shared).
 */
export class FeaturesService {
  private stateValue: FeaturesServiceState = 'serving';
  private drained: Promise<void> | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private storeUp = true;

  private constructor(
    readonly config: FeaturesConfig,
    readonly logger: Logger,
    readonly registry: Registry,
    /** The store (SqliteStore or RedisStore). */
    readonly store: FeatureStore,
    readonly features: FeatureRegistry,
    readonly cache: LruTtlCache<CachedValue>,
    private readonly grpcServer: GrpcServer,
    private readonly metricsServer: MetricsServer | undefined,
  ) {}

  /**
   * Resolves options, opens the store, binds the gRPC and HTTP servers and turns health SERVING.
   * @throws ConfigError for a bad option; UnavailableError when Redis cannot be reached; the
   *   SQLite error when the file cannot be opened; the bind error when a port is taken.
   */
  static async create(opts: FeaturesServiceOptions = {}): Promise<FeaturesService> {
    const config = resolveFeaturesConfig({ env: opts.env ?? process.env, overrides: opts.overrides ?? {} });
    const logger = opts.logger ?? createLogger({ service: 'features', level: config.logLevel });
    const now = opts.now ?? Date.now;
    const registry = opts.registry ?? createRegistry({ service: 'features' });
    const store = await openStore(config);
    const cache = new LruTtlCache<CachedValue>({ maxEntries: config.cacheMaxEntries, ttlMs: config.cacheTtlMs, now });
    const metrics = new FeaturesMetrics(registry, cache);
    const features = new FeatureRegistry(store, now);
    const reader = new FeatureReader(features, store, cache, metrics, { maxOnlineValues: config.maxOnlineValues, maxHistoricalValues: config.maxHistoricalValues }, now);
    const writer = new FeatureWriter(features, store, cache, metrics, { maxWriteValues: config.maxWriteValues, retentionMs: config.retentionMs, dataDir: resolve(config.dataDir) }, now, logger);
    const pkg = loadProtos([FEATURES_PROTO]);
    let grpcServer: GrpcServer;
    try {
      grpcServer = await GrpcServer.create({
        host: config.host,
        port: config.grpcPort,
        packageDefinition: pkg,
        logger,
        registry,
        maxReceiveMessageBytes: config.maxMessageBytes,
        maxSendMessageBytes: config.maxMessageBytes,
        drainDelayMs: config.drainDelayMs,
        shutdownGraceMs: config.shutdownGraceMs,
        services: [
          {
            name: FEATURES_SERVICE,
            definition: serviceDefinition(pkg, FEATURES_SERVICE),
            handlers: featureHandlers({ registry: features, reader, writer }),
            streamHandlers: featureStreamHandlers({ registry: features, reader, writer }),
          },
        ],
      });
    } catch (e: unknown) {
      await store.close();
      throw e;
    }
    let metricsServer: MetricsServer | undefined;
    if (config.httpPort >= 0) {
      try {
        metricsServer = await MetricsServer.create({ host: config.host, port: config.httpPort, registry, logger, ready: () => grpcServer.isServing, route: featureHttpRoute({ registry: features, reader, logger }) });
      } catch (e: unknown) {
        grpcServer.close();
        await store.close();
        throw e;
      }
    }
    const svc = new FeaturesService(config, logger, registry, store, features, cache, grpcServer, metricsServer);
    grpcServer.setServing(true);
    svc.healthTimer = setInterval(() => void svc.probeStore(), HEALTH_PROBE_MS);
    svc.healthTimer.unref();
    logger.info({ address: svc.address, httpPort: svc.httpPort, backend: store.backend }, 'features service ready');
    return svc;
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
    if (this.stateValue === 'serving') this.grpcServer.setServing(up);
  }

  /** Current state. */
  get state(): FeaturesServiceState {
    return this.stateValue;
  }

  /** The bound gRPC port. */
  get grpcPort(): number {
    return this.grpcServer.port;
  }

  /** The bound HTTP (metrics, health) port, or -1 when disabled. */
  get httpPort(): number {
    return this.metricsServer?.port ?? -1;
  }

  /** `host:port` of the gRPC server, for clients. */
  get address(): string {
    return `${this.config.host === '0.0.0.0' ? '127.0.0.1' : this.config.host}:${this.grpcPort}`;
  }

  /**
   * Graceful stop: health turns NOT_SERVING, in-flight calls finish (see drainDelayMs and
   * shutdownGraceMs), then the store closes and logs flush. Idempotent.
   */
  drain(): Promise<void> {
    this.drained ??= (async () => {
      this.stateValue = 'draining';
      clearInterval(this.healthTimer);
      await this.grpcServer.drain();
      await this.metricsServer?.close();
      await this.store.close();
      this.stateValue = 'closed';
      this.logger.info('features service stopped');
      this.logger.flush();
    })();
    return this.drained;
  }

  /** Hard stop: cancels in-flight calls, closes the servers and the store at once. */
  async close(): Promise<void> {
    this.stateValue = 'closed';
    clearInterval(this.healthTimer);
    this.grpcServer.close();
    await this.metricsServer?.close();
    await this.store.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drain();
  }
}
