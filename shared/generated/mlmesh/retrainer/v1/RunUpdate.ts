// Original file: protos/mlmesh/retrainer/v1/retrainer.proto

import type { Run as _mlmesh_retrainer_v1_Run, Run__Output as _mlmesh_retrainer_v1_Run__Output } from '../../../mlmesh/retrainer/v1/Run.js';

export interface RunUpdate {
  'run'?: (_mlmesh_retrainer_v1_Run | null);
  /**
   * New lines of the training job's output since the previous update.
   */
  'log_lines'?: (string)[];
}

export interface RunUpdate__Output {
  'run': (_mlmesh_retrainer_v1_Run__Output | null);
  /**
   * New lines of the training job's output since the previous update.
   */
  'log_lines': (string)[];
}
