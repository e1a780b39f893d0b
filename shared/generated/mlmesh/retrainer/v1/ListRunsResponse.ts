// Original file: protos/mlmesh/retrainer/v1/retrainer.proto

import type { Run as _mlmesh_retrainer_v1_Run, Run__Output as _mlmesh_retrainer_v1_Run__Output } from '../../../mlmesh/retrainer/v1/Run.js';

export interface ListRunsResponse {
  'runs'?: (_mlmesh_retrainer_v1_Run)[];
}

export interface ListRunsResponse__Output {
  'runs': (_mlmesh_retrainer_v1_Run__Output)[];
}
