import { enumOption, intOption, loadConfig, stringOption } from '../../shared/config/index.js';
import { hostOptions } from '../../shared/host/index.js';
import type { ConfigOf, ConfigSources } from '../../shared/config/index.js';

/**
 * The feature service's options: name in the config file (section `features`), environment
 * variable, default. The README's table is generated from these (`npm run docs:config`).
 */
export const FEATURES_OPTIONS = {
  ...hostOptions('features', { grpcPort: 8021, httpPort: 8022, grpcServes: 'mlmesh.features.v1.FeatureService', httpServes: 'the JSON read GET /feature/<name>/<version>?pid=&date=' }),
  backend: enumOption({ env: 'MLMESH_FEATURES_BACKEND', default: 'sqlite', values: ['sqlite', 'redis'], doc: '`sqlite`: an embedded file (one replica); `redis`: shared by several replicas.' }),
  sqlitePath: stringOption({ env: 'MLMESH_FEATURES_SQLITE_PATH', default: 'var/features/features.db', allowEmpty: false, doc: 'SQLite database file (WAL mode) with backend=sqlite, relative to the working directory.' }),
  redisUrl: stringOption({ env: 'MLMESH_FEATURES_REDIS_URL', default: 'redis://127.0.0.1:6379', pattern: /^rediss?:\/\//, allowEmpty: false, doc: 'Redis with backend=redis: redis://host:port[/db].' }),
  redisKeyPrefix: stringOption({ env: 'MLMESH_FEATURES_REDIS_KEY_PREFIX', default: 'mlmesh:features:', allowEmpty: false, doc: 'Prefix of every Redis key the service uses.' }),
  retentionMs: intOption({ env: 'MLMESH_FEATURES_RETENTION_MS', default: 0, min: 0, doc: 'History kept per value for as_of reads, in ms: on write, values older than now minus this are pruned except the newest one before it (a write reaching past it answers with a warning); 0 keeps everything, which a store serving training sets needs.' }),
  cacheMaxEntries: intOption({ env: 'MLMESH_FEATURES_CACHE_MAX_ENTRIES', default: 100_000, min: 0, doc: 'Entries of the in-process latest-value cache (LRU); 0 disables it.' }),
  cacheTtlMs: intOption({ env: 'MLMESH_FEATURES_CACHE_TTL_MS', default: 1000, min: 0, doc: 'Lifetime of a cached latest value, in ms: the staleness bound for writes made through another replica; 0 disables the cache.' }),
  maxOnlineValues: intOption({ env: 'MLMESH_FEATURES_MAX_ONLINE_VALUES', default: 10_000, min: 1, doc: 'Most entities × features in one GetOnlineFeatures; more is INVALID_ARGUMENT.' }),
  maxHistoricalValues: intOption({ env: 'MLMESH_FEATURES_MAX_HISTORICAL_VALUES', default: 5_000_000, min: 1, doc: 'Most rows × features in one GetHistoricalFeatures; more is INVALID_ARGUMENT.' }),
  maxWriteValues: intOption({ env: 'MLMESH_FEATURES_MAX_WRITE_VALUES', default: 100_000, min: 1, doc: 'Most values in one WriteFeatures; more is INVALID_ARGUMENT.' }),
  dataDir: stringOption({ env: 'MLMESH_FEATURES_DATA_DIR', default: '.', allowEmpty: false, doc: 'Folder that file and SQLite sources of definitions are read from; paths may not leave it.' }),
} as const;

/** Resolved feature service options: every field set. */
export type FeaturesConfig = ConfigOf<typeof FEATURES_OPTIONS>;

/**
 * Resolves the options from defaults, the config file (`MLMESH_CONFIG`, section `features`), the
 * environment and `overrides`.
 * @throws ConfigError naming the bad option.
 */
export function resolveFeaturesConfig(sources: Omit<ConfigSources<typeof FEATURES_OPTIONS>, 'section'> = {}): FeaturesConfig {
  return loadConfig(FEATURES_OPTIONS, { ...sources, section: 'features' });
}
