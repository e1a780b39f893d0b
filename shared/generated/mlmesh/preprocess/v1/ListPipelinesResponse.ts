// Original file: protos/mlmesh/preprocess/v1/preprocess.proto

import type { PipelineInfo as _mlmesh_preprocess_v1_PipelineInfo, PipelineInfo__Output as _mlmesh_preprocess_v1_PipelineInfo__Output } from '../../../mlmesh/preprocess/v1/PipelineInfo.js';

export interface ListPipelinesResponse {
  'pipelines'?: (_mlmesh_preprocess_v1_PipelineInfo)[];
}

export interface ListPipelinesResponse__Output {
  'pipelines': (_mlmesh_preprocess_v1_PipelineInfo__Output)[];
}
