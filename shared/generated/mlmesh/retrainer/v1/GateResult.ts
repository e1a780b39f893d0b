// Original file: protos/mlmesh/retrainer/v1/retrainer.proto

import type { GateCheck as _mlmesh_retrainer_v1_GateCheck, GateCheck__Output as _mlmesh_retrainer_v1_GateCheck__Output } from '../../../mlmesh/retrainer/v1/GateCheck.js';
import type { EvalMetrics as _mlmesh_retrainer_v1_EvalMetrics, EvalMetrics__Output as _mlmesh_retrainer_v1_EvalMetrics__Output } from '../../../mlmesh/retrainer/v1/EvalMetrics.js';
import type { Long } from '@grpc/proto-loader';

/**
 * The gate's decision: candidate and champion on the same holdout, split into reference-like
 * ("base") rows and drifted ("logged") rows.
 */
export interface GateResult {
  'blessed'?: (boolean);
  'reason'?: (string);
  'checks'?: (_mlmesh_retrainer_v1_GateCheck)[];
  'candidate_reference'?: (_mlmesh_retrainer_v1_EvalMetrics | null);
  'champion_reference'?: (_mlmesh_retrainer_v1_EvalMetrics | null);
  'candidate_drifted'?: (_mlmesh_retrainer_v1_EvalMetrics | null);
  'champion_drifted'?: (_mlmesh_retrainer_v1_EvalMetrics | null);
  /**
   * "classification" or "regression".
   */
  'task'?: (string);
  /**
   * Drifted rows where only the candidate is right (regressor: has the smaller absolute error),
   * and where only the champion is: the paired test behind the drifted_significance check.
   */
  'drifted_candidate_better'?: (number | string | Long);
  'drifted_champion_better'?: (number | string | Long);
}

/**
 * The gate's decision: candidate and champion on the same holdout, split into reference-like
 * ("base") rows and drifted ("logged") rows.
 */
export interface GateResult__Output {
  'blessed': (boolean);
  'reason': (string);
  'checks': (_mlmesh_retrainer_v1_GateCheck__Output)[];
  'candidate_reference': (_mlmesh_retrainer_v1_EvalMetrics__Output | null);
  'champion_reference': (_mlmesh_retrainer_v1_EvalMetrics__Output | null);
  'candidate_drifted': (_mlmesh_retrainer_v1_EvalMetrics__Output | null);
  'champion_drifted': (_mlmesh_retrainer_v1_EvalMetrics__Output | null);
  /**
   * "classification" or "regression".
   */
  'task': (string);
  /**
   * Drifted rows where only the candidate is right (regressor: has the smaller absolute error),
   * and where only the champion is: the paired test behind the drifted_significance check.
   */
  'drifted_candidate_better': (string);
  'drifted_champion_better': (string);
}
