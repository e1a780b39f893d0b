// Original file: protos/mlmesh/preprocess/v1/preprocess.proto


/**
 * Which pipeline: `sha256` alone, or `name` with an optional `version` (empty = the highest
 * version, compared numerically where the versions are numbers).
 */
export interface PipelineRef {
  'name'?: (string);
  'version'?: (string);
  'sha256'?: (string);
}

/**
 * Which pipeline: `sha256` alone, or `name` with an optional `version` (empty = the highest
 * version, compared numerically where the versions are numbers).
 */
export interface PipelineRef__Output {
  'name': (string);
  'version': (string);
  'sha256': (string);
}
