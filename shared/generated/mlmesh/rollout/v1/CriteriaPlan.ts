// Original file: protos/mlmesh/rollout/v1/rollout.proto

import type { CriterionPlan as _mlmesh_rollout_v1_CriterionPlan, CriterionPlan__Output as _mlmesh_rollout_v1_CriterionPlan__Output } from '../../../mlmesh/rollout/v1/CriterionPlan.js';

/**
 * The criteria of the analysis.
 */
export interface CriteriaPlan {
  'error_rate'?: (_mlmesh_rollout_v1_CriterionPlan | null);
  'latency_p99_ratio'?: (_mlmesh_rollout_v1_CriterionPlan | null);
  'prediction_distribution'?: (_mlmesh_rollout_v1_CriterionPlan | null);
  'agreement'?: (_mlmesh_rollout_v1_CriterionPlan | null);
  'accuracy'?: (_mlmesh_rollout_v1_CriterionPlan | null);
  'drift'?: (_mlmesh_rollout_v1_CriterionPlan | null);
}

/**
 * The criteria of the analysis.
 */
export interface CriteriaPlan__Output {
  'error_rate': (_mlmesh_rollout_v1_CriterionPlan__Output | null);
  'latency_p99_ratio': (_mlmesh_rollout_v1_CriterionPlan__Output | null);
  'prediction_distribution': (_mlmesh_rollout_v1_CriterionPlan__Output | null);
  'agreement': (_mlmesh_rollout_v1_CriterionPlan__Output | null);
  'accuracy': (_mlmesh_rollout_v1_CriterionPlan__Output | null);
  'drift': (_mlmesh_rollout_v1_CriterionPlan__Output | null);
}
