// Original file: protos/mlmesh/preprocess/v1/preprocess.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Summary of a stored pipeline.
 */
export interface PipelineInfo {
  'name'?: (string);
  'version'?: (string);
  'sha256'?: (string);
  'feature_names'?: (string)[];
  /**
   * When it was fitted (RFC 3339).
   */
  'fitted_at'?: (string);
  'training_rows'?: (number | string | Long);
  'training_data_sha256'?: (string);
  'spec_sha256'?: (string);
  /**
   * Input columns the records may carry.
   */
  'input_columns'?: (string)[];
}

/**
 * Summary of a stored pipeline.
 */
export interface PipelineInfo__Output {
  'name': (string);
  'version': (string);
  'sha256': (string);
  'feature_names': (string)[];
  /**
   * When it was fitted (RFC 3339).
   */
  'fitted_at': (string);
  'training_rows': (string);
  'training_data_sha256': (string);
  'spec_sha256': (string);
  /**
   * Input columns the records may carry.
   */
  'input_columns': (string)[];
}
