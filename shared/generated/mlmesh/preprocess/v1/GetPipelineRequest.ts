// Original file: protos/mlmesh/preprocess/v1/preprocess.proto

import type { PipelineRef as _mlmesh_preprocess_v1_PipelineRef, PipelineRef__Output as _mlmesh_preprocess_v1_PipelineRef__Output } from '../../../mlmesh/preprocess/v1/PipelineRef.js';

export interface GetPipelineRequest {
  'pipeline'?: (_mlmesh_preprocess_v1_PipelineRef | null);
}

export interface GetPipelineRequest__Output {
  'pipeline': (_mlmesh_preprocess_v1_PipelineRef__Output | null);
}
