// Original file: protos/mlmesh/preprocess/v1/preprocess.proto

import type { PipelineInfo as _mlmesh_preprocess_v1_PipelineInfo, PipelineInfo__Output as _mlmesh_preprocess_v1_PipelineInfo__Output } from '../../../mlmesh/preprocess/v1/PipelineInfo.js';

export interface GetPipelineResponse {
  'pipeline'?: (_mlmesh_preprocess_v1_PipelineInfo | null);
  /**
   * The whole artifact (fitted parameters, schema, provenance), as stored.
   */
  'artifact_json'?: (string);
}

export interface GetPipelineResponse__Output {
  'pipeline': (_mlmesh_preprocess_v1_PipelineInfo__Output | null);
  /**
   * The whole artifact (fitted parameters, schema, provenance), as stored.
   */
  'artifact_json': (string);
}
