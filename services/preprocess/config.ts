import { intOption, loadConfig, stringOption } from '../../shared/config/index.js';
import { hostOptions } from '../../shared/host/index.js';
import type { ConfigOf, ConfigSources } from '../../shared/config/index.js';

/**
 * The preprocess service's options: name in the config file (section `preprocess`),
 * environment variable, default. The README's table is generated from these
 * (`npm run docs:config`).
 */
export const PREPROCESS_OPTIONS = {
  ...hostOptions('preprocess', { grpcPort: 8011, httpPort: 8012, grpcServes: 'mlmesh.preprocess.v1', messageNote: 'inline training CSVs count', inflightNote: 'calls (fits included)' }),
  artifactDir: stringOption({ env: 'MLMESH_PREPROCESS_ARTIFACT_DIR', default: 'var/preprocess/pipelines', allowEmpty: false, doc: 'Folder of the pipeline artifacts (content-addressed objects/ and name@version refs/), relative to the working directory.' }),
  dataDir: stringOption({ env: 'MLMESH_PREPROCESS_DATA_DIR', default: '', doc: "Folder a Fit request's `data_path` is read from (paths may not leave it); empty: only inline CSV is accepted." }),
  maxBatchRecords: intOption({ env: 'MLMESH_PREPROCESS_MAX_BATCH_RECORDS', default: 10_000, min: 1, doc: 'Most records one Transform request may carry; more get INVALID_ARGUMENT.' }),
  maxConcurrentFits: intOption({ env: 'MLMESH_PREPROCESS_MAX_CONCURRENT_FITS', default: 2, min: 1, doc: 'Fits running at once; a Fit beyond that gets RESOURCE_EXHAUSTED.' }),
  cacheSize: intOption({ env: 'MLMESH_PREPROCESS_CACHE_SIZE', default: 64, min: 1, doc: 'Fitted pipelines kept compiled in memory (least recently used dropped first).' }),
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
