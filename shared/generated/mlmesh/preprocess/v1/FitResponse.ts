// Original file: protos/mlmesh/preprocess/v1/preprocess.proto

import type { PipelineInfo as _mlmesh_preprocess_v1_PipelineInfo, PipelineInfo__Output as _mlmesh_preprocess_v1_PipelineInfo__Output } from '../../../mlmesh/preprocess/v1/PipelineInfo.js';

export interface FitResponse {
  'pipeline'?: (_mlmesh_preprocess_v1_PipelineInfo | null);
  /**
   * Passes made over the training data.
   */
  'passes'?: (number);
}

export interface FitResponse__Output {
  'pipeline': (_mlmesh_preprocess_v1_PipelineInfo__Output | null);
  /**
   * Passes made over the training data.
   */
  'passes': (number);
}
