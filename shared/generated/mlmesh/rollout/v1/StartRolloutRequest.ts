// Original file: protos/mlmesh/rollout/v1/rollout.proto

import type { RolloutPlan as _mlmesh_rollout_v1_RolloutPlan, RolloutPlan__Output as _mlmesh_rollout_v1_RolloutPlan__Output } from '../../../mlmesh/rollout/v1/RolloutPlan.js';

export interface StartRolloutRequest {
  'model'?: (string);
  'candidate'?: (string);
  /**
   * The version it replaces; empty: the route's heaviest version, else the newest other version served.
   */
  'baseline'?: (string);
  'plan'?: (_mlmesh_rollout_v1_RolloutPlan | null);
}

export interface StartRolloutRequest__Output {
  'model': (string);
  'candidate': (string);
  /**
   * The version it replaces; empty: the route's heaviest version, else the newest other version served.
   */
  'baseline': (string);
  'plan': (_mlmesh_rollout_v1_RolloutPlan__Output | null);
}
