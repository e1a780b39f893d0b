// Original file: protos/mlmesh/features/v1/features.proto

import type { PushSource as _mlmesh_features_v1_PushSource, PushSource__Output as _mlmesh_features_v1_PushSource__Output } from '../../../mlmesh/features/v1/PushSource.js';
import type { FileSource as _mlmesh_features_v1_FileSource, FileSource__Output as _mlmesh_features_v1_FileSource__Output } from '../../../mlmesh/features/v1/FileSource.js';
import type { SqlSource as _mlmesh_features_v1_SqlSource, SqlSource__Output as _mlmesh_features_v1_SqlSource__Output } from '../../../mlmesh/features/v1/SqlSource.js';
import type { TimestampFormat as _mlmesh_features_v1_TimestampFormat, TimestampFormat__Output as _mlmesh_features_v1_TimestampFormat__Output } from '../../../mlmesh/features/v1/TimestampFormat.js';

export interface Source {
  /**
   * Column holding the entity id (not used by push sources). @default "entity_id"
   */
  'entity_column'?: (string);
  /**
   * Column holding the event time, read as `timestamp_format` says. @default "ts"
   */
  'timestamp_column'?: (string);
  'push'?: (_mlmesh_features_v1_PushSource | null);
  'file'?: (_mlmesh_features_v1_FileSource | null);
  'sql'?: (_mlmesh_features_v1_SqlSource | null);
  /**
   * @default ISO_8601
   */
  'timestamp_format'?: (_mlmesh_features_v1_TimestampFormat);
  'kind'?: "push"|"file"|"sql";
}

export interface Source__Output {
  /**
   * Column holding the entity id (not used by push sources). @default "entity_id"
   */
  'entity_column': (string);
  /**
   * Column holding the event time, read as `timestamp_format` says. @default "ts"
   */
  'timestamp_column': (string);
  'push'?: (_mlmesh_features_v1_PushSource__Output | null);
  'file'?: (_mlmesh_features_v1_FileSource__Output | null);
  'sql'?: (_mlmesh_features_v1_SqlSource__Output | null);
  /**
   * @default ISO_8601
   */
  'timestamp_format': (_mlmesh_features_v1_TimestampFormat__Output);
  'kind'?: "push"|"file"|"sql";
}
