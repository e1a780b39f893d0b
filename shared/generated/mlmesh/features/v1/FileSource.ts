// Original file: protos/mlmesh/features/v1/features.proto

import type { FileFormat as _mlmesh_features_v1_FileFormat, FileFormat__Output as _mlmesh_features_v1_FileFormat__Output } from '../../../mlmesh/features/v1/FileFormat.js';

/**
 * A CSV or NDJSON file, path relative to the service's data folder.
 */
export interface FileSource {
  'path'?: (string);
  'format'?: (_mlmesh_features_v1_FileFormat);
}

/**
 * A CSV or NDJSON file, path relative to the service's data folder.
 */
export interface FileSource__Output {
  'path': (string);
  'format': (_mlmesh_features_v1_FileFormat__Output);
}
