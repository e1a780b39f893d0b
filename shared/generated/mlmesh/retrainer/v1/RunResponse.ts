// Original file: protos/mlmesh/retrainer/v1/retrainer.proto

import type { Run as _mlmesh_retrainer_v1_Run, Run__Output as _mlmesh_retrainer_v1_Run__Output } from '../../../mlmesh/retrainer/v1/Run.js';

export interface RunResponse {
  'run'?: (_mlmesh_retrainer_v1_Run | null);
  /**
   * Retrain only: the trigger joined a run already active.
   */
  'coalesced'?: (boolean);
}

export interface RunResponse__Output {
  'run': (_mlmesh_retrainer_v1_Run__Output | null);
  /**
   * Retrain only: the trigger joined a run already active.
   */
  'coalesced': (boolean);
}
