// Original file: protos/mlmesh/rollout/v1/rollout.proto

import type { CriteriaPlan as _mlmesh_rollout_v1_CriteriaPlan, CriteriaPlan__Output as _mlmesh_rollout_v1_CriteriaPlan__Output } from '../../../mlmesh/rollout/v1/CriteriaPlan.js';
import type { Long } from '@grpc/proto-loader';

/**
 * How a rollout proceeds. In a StartRolloutRequest zero fields are filled in; in a Rollout every
 * field is set.
 */
export interface RolloutPlan {
  /**
   * The candidate's share of routed traffic at each step, in percent, ascending, the last 100.
   */
  'steps'?: (number | string)[];
  /**
   * A step is analysed once the candidate has had at least this many requests there ...
   */
  'hold_requests'?: (number | string | Long);
  /**
   * ... and the step has lasted at least this long, in ms.
   */
  'hold_ms'?: (number | string | Long);
  /**
   * A step whose criteria still wait for data after this long pauses (with the reason), in ms.
   */
  'max_wait_ms'?: (number | string | Long);
  /**
   * Share of the baseline's routed requests copied to the candidate as shadow traffic, in percent (0: none).
   */
  'shadow_percent'?: (number | string);
  /**
   * Route stickiness: "none", "parameter" (with sticky_parameter) or "request_id".
   */
  'sticky'?: (string);
  'sticky_parameter'?: (string);
  /**
   * How long the old version keeps weight 0 after the candidate got 100% before it is unloaded, in ms.
   */
  'retire_grace_ms'?: (number | string | Long);
  /**
   * After a roll-back, how long in-flight requests may drain before the candidate is unloaded, in ms.
   */
  'drain_ms'?: (number | string | Long);
  /**
   * "" (default "on"), "on": unload the rolled-back candidate (and the retired baseline) from
   * inference; "off": leave them loaded with weight 0.
   */
  'unload'?: (string);
  /**
   * "" (from the model's outputs), "class" (argmax of the output: chi-squared on classes), or
   * "value" (first output column: KS and PSI).
   */
  'prediction_kind'?: (string);
  'criteria'?: (_mlmesh_rollout_v1_CriteriaPlan | null);
}

/**
 * How a rollout proceeds. In a StartRolloutRequest zero fields are filled in; in a Rollout every
 * field is set.
 */
export interface RolloutPlan__Output {
  /**
   * The candidate's share of routed traffic at each step, in percent, ascending, the last 100.
   */
  'steps': (number)[];
  /**
   * A step is analysed once the candidate has had at least this many requests there ...
   */
  'hold_requests': (string);
  /**
   * ... and the step has lasted at least this long, in ms.
   */
  'hold_ms': (string);
  /**
   * A step whose criteria still wait for data after this long pauses (with the reason), in ms.
   */
  'max_wait_ms': (string);
  /**
   * Share of the baseline's routed requests copied to the candidate as shadow traffic, in percent (0: none).
   */
  'shadow_percent': (number);
  /**
   * Route stickiness: "none", "parameter" (with sticky_parameter) or "request_id".
   */
  'sticky': (string);
  'sticky_parameter': (string);
  /**
   * How long the old version keeps weight 0 after the candidate got 100% before it is unloaded, in ms.
   */
  'retire_grace_ms': (string);
  /**
   * After a roll-back, how long in-flight requests may drain before the candidate is unloaded, in ms.
   */
  'drain_ms': (string);
  /**
   * "" (default "on"), "on": unload the rolled-back candidate (and the retired baseline) from
   * inference; "off": leave them loaded with weight 0.
   */
  'unload': (string);
  /**
   * "" (from the model's outputs), "class" (argmax of the output: chi-squared on classes), or
   * "value" (first output column: KS and PSI).
   */
  'prediction_kind': (string);
  'criteria': (_mlmesh_rollout_v1_CriteriaPlan__Output | null);
}
