// Original file: protos/mlmesh/features/v1/features.proto

import type { SqlEngine as _mlmesh_features_v1_SqlEngine, SqlEngine__Output as _mlmesh_features_v1_SqlEngine__Output } from '../../../mlmesh/features/v1/SqlEngine.js';

/**
 * A query on SQLite (`connection` = file path relative to the data folder) or PostgreSQL
 * (`connection` = postgres:// URL). The time range is passed as parameters in epoch ms:
 * `:start_ms`/`:end_ms` on SQLite, `$1`/`$2` on PostgreSQL (either may be left out).
 */
export interface SqlSource {
  'engine'?: (_mlmesh_features_v1_SqlEngine);
  'connection'?: (string);
  'query'?: (string);
}

/**
 * A query on SQLite (`connection` = file path relative to the data folder) or PostgreSQL
 * (`connection` = postgres:// URL). The time range is passed as parameters in epoch ms:
 * `:start_ms`/`:end_ms` on SQLite, `$1`/`$2` on PostgreSQL (either may be left out).
 */
export interface SqlSource__Output {
  'engine': (_mlmesh_features_v1_SqlEngine__Output);
  'connection': (string);
  'query': (string);
}
