// Original file: protos/mlmesh/preprocess/v1/preprocess.proto

import type { PipelineRef as _mlmesh_preprocess_v1_PipelineRef, PipelineRef__Output as _mlmesh_preprocess_v1_PipelineRef__Output } from '../../../mlmesh/preprocess/v1/PipelineRef.js';
import type { Record as _mlmesh_preprocess_v1_Record, Record__Output as _mlmesh_preprocess_v1_Record__Output } from '../../../mlmesh/preprocess/v1/Record.js';
import type { TransformMode as _mlmesh_preprocess_v1_TransformMode, TransformMode__Output as _mlmesh_preprocess_v1_TransformMode__Output } from '../../../mlmesh/preprocess/v1/TransformMode.js';

export interface TransformRequest {
  'pipeline'?: (_mlmesh_preprocess_v1_PipelineRef | null);
  'records'?: (_mlmesh_preprocess_v1_Record)[];
  'mode'?: (_mlmesh_preprocess_v1_TransformMode);
}

export interface TransformRequest__Output {
  'pipeline': (_mlmesh_preprocess_v1_PipelineRef__Output | null);
  'records': (_mlmesh_preprocess_v1_Record__Output)[];
  'mode': (_mlmesh_preprocess_v1_TransformMode__Output);
}
