import { enumOption, intOption, loadConfig, stringOption } from '../../shared/config/index.js';
import type { ConfigOf, ConfigSources } from '../../shared/config/index.js';

/**
 * The preprocess service's options: name in the config file (section `preprocess`),
 * environment variable, default. The README's table is generated from these
 * (`npm run docs:config`).
 */
export const PREPROCESS_OPTIONS = {
  host: stringOption({ env: 'MLMESH_PREPROCESS_HOST', default: '127.0.0.1', allowEmpty: false, doc: 'Address the gRPC and HTTP servers bind (0.0.0.0 in containers).' }),
  grpcPort: intOption({ env: 'MLMESH_PREPROCESS_GRPC_PORT', default: 8011, min: 0, max: 65535, doc: 'gRPC port (mlmesh.preprocess.v1, health, reflection); 0 picks a free one.' }),
  httpPort: intOption({ env: 'MLMESH_PREPROCESS_HTTP_PORT', default: 8012, min: -1, max: 65535, doc: 'HTTP port for /metrics and health; 0 picks a free one, -1 disables it.' }),
  artifactDir: stringOption({ env: 'MLMESH_PREPROCESS_ARTIFACT_DIR', default: 'var/preprocess/pipelines', allowEmpty: false, doc: 'Folder of the pipeline artifacts (content-addressed objects/ and name@version refs/), relative to the working directory.' }),
  dataDir: stringOption({ env: 'MLMESH_PREPROCESS_DATA_DIR', default: '', doc: "Folder a Fit request's `data_path` is read from (paths may not leave it); empty: only inline CSV is accepted." }),
  maxBatchRecords: intOption({ env: 'MLMESH_PREPROCESS_MAX_BATCH_RECORDS', default: 10_000, min: 1, doc: 'Most records one Transform request may carry; more get INVALID_ARGUMENT.' }),
  maxConcurrentFits: intOption({ env: 'MLMESH_PREPROCESS_MAX_CONCURRENT_FITS', default: 2, min: 1, doc: 'Fits running at once; a Fit beyond that gets RESOURCE_EXHAUSTED.' }),
  cacheSize: intOption({ env: 'MLMESH_PREPROCESS_CACHE_SIZE', default: 64, min: 1, doc: 'Fitted pipelines kept compiled in memory (least recently used dropped first).' }),
  maxMessageBytes: intOption({ env: 'MLMESH_PREPROCESS_MAX_MESSAGE_BYTES', default: 64 * 1024 * 1024, min: 1024, doc: 'Largest gRPC message received or sent, in bytes (inline training CSVs count); larger requests get RESOURCE_EXHAUSTED.' }),
  drainDelayMs: intOption({ env: 'MLMESH_PREPROCESS_DRAIN_DELAY_MS', default: 0, min: 0, doc: 'On SIGTERM, ms to keep serving with health NOT_SERVING before refusing new calls.' }),
  shutdownGraceMs: intOption({ env: 'MLMESH_PREPROCESS_SHUTDOWN_GRACE_MS', default: 10_000, min: 0, doc: 'On SIGTERM, ms in-flight calls (fits included) may take before they are cancelled.' }),
  logLevel: enumOption({ env: 'MLMESH_PREPROCESS_LOG_LEVEL', default: 'info', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], doc: 'pino log level.' }),
} as const;

/** Resolved preprocess options: every field set. */
export type PreprocessConfig = ConfigOf<typeof PREPROCESS_OPTIONS>;

/**
 * Resolves the preprocess options from defaults, the config file (`MLMESH_CONFIG`, section
 * `preprocess`), the environment and `overrides`.
 * @throws ConfigError naming the bad option.
 */
export function resolvePreprocessConfig(sources: Omit<ConfigSources<typeof PREPROCESS_OPTIONS>, 'section'> = {}): PreprocessConfig {
  return loadConfig(PREPROCESS_OPTIONS, { ...sources, section: 'preprocess' });
}
