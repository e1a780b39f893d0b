// Original file: protos/mlmesh/rollout/v1/rollout.proto

import type { RolloutPlan as _mlmesh_rollout_v1_RolloutPlan, RolloutPlan__Output as _mlmesh_rollout_v1_RolloutPlan__Output } from '../../../mlmesh/rollout/v1/RolloutPlan.js';
import type { CriterionResult as _mlmesh_events_v1_CriterionResult, CriterionResult__Output as _mlmesh_events_v1_CriterionResult__Output } from '../../../mlmesh/events/v1/CriterionResult.js';
import type { StepRecord as _mlmesh_rollout_v1_StepRecord, StepRecord__Output as _mlmesh_rollout_v1_StepRecord__Output } from '../../../mlmesh/rollout/v1/StepRecord.js';
import type { Long } from '@grpc/proto-loader';

/**
 * A rollout: also the value of key <model> in the NATS KV bucket mlmesh_rollouts.
 */
export interface Rollout {
  'id'?: (string);
  'model'?: (string);
  'candidate'?: (string);
  'baseline'?: (string);
  'plan'?: (_mlmesh_rollout_v1_RolloutPlan | null);
  /**
   * "running", "paused", "rolling_back" (weight 0, draining), "retiring" (100%, grace),
   * and the terminal "completed", "rolled_back", "aborted".
   */
  'state'?: (string);
  /**
   * Why it is paused, rolled back, aborted.
   */
  'reason'?: (string);
  'step_index'?: (number);
  'candidate_percent'?: (number | string);
  'step_started_unix_ms'?: (number | string | Long);
  'started_unix_ms'?: (number | string | Long);
  'updated_unix_ms'?: (number | string | Long);
  'finished_unix_ms'?: (number | string | Long);
  /**
   * When the next timed action is due (unload after the drain, retire after the grace), epoch ms.
   */
  'action_at_unix_ms'?: (number | string | Long);
  /**
   * Revision of the last Route this rollout wrote (Route.revision); another one means someone else wrote it.
   */
  'route_revision'?: (number | string | Long);
  /**
   * The latest analysis of the current step.
   */
  'criteria'?: (_mlmesh_events_v1_CriterionResult)[];
  'steps'?: (_mlmesh_rollout_v1_StepRecord)[];
  /**
   * Inference metric counters at the step's start (key "<target>|<version>|<ok|err>"), for the error rate.
   */
  'counters_at_step_start'?: ({[key: string]: number | string});
  /**
   * Requests the candidate and baseline served in the step so far (inference metrics).
   */
  'candidate_requests'?: (number | string | Long);
  'baseline_requests'?: (number | string | Long);
  /**
   * The state it was in when it paused ("running"); Resume returns to it.
   */
  'paused_from'?: (string);
  /**
   * Who acted on it last ("controller@host-pid").
   */
  'controller'?: (string);
  /**
   * The route of the current state is still to be written (set with the transition, cleared
   * once the route is in the KV bucket: a controller that restarts in between writes it).
   */
  'route_pending'?: (boolean);
  /**
   * An action asked for by an RPC ("pause", "resume", "promote", "abort") that the acting
   * controller has not applied yet, and its reason.
   */
  'requested'?: (string);
  'requested_reason'?: (string);
  /**
   * How a roll-back ends: "rolled_back" or "aborted".
   */
  'ending'?: (string);
  /**
   * Events published so far (event ids are "<id>-<n>", so a republished one is stored once).
   */
  'event_seq'?: (number | string | Long);
  /**
   * The prediction kind in use ("class" or "value"), once known.
   */
  'kind'?: (string);
  /**
   * Criteria whose failure is being confirmed on a fresh period of the step (comma-separated):
   * a latency failure alone restarts the step's window once instead of rolling back, since one
   * machine stall slows many requests together; failing again rolls back.
   */
  'confirming'?: (string);
}

/**
 * A rollout: also the value of key <model> in the NATS KV bucket mlmesh_rollouts.
 */
export interface Rollout__Output {
  'id': (string);
  'model': (string);
  'candidate': (string);
  'baseline': (string);
  'plan': (_mlmesh_rollout_v1_RolloutPlan__Output | null);
  /**
   * "running", "paused", "rolling_back" (weight 0, draining), "retiring" (100%, grace),
   * and the terminal "completed", "rolled_back", "aborted".
   */
  'state': (string);
  /**
   * Why it is paused, rolled back, aborted.
   */
  'reason': (string);
  'step_index': (number);
  'candidate_percent': (number);
  'step_started_unix_ms': (string);
  'started_unix_ms': (string);
  'updated_unix_ms': (string);
  'finished_unix_ms': (string);
  /**
   * When the next timed action is due (unload after the drain, retire after the grace), epoch ms.
   */
  'action_at_unix_ms': (string);
  /**
   * Revision of the last Route this rollout wrote (Route.revision); another one means someone else wrote it.
   */
  'route_revision': (string);
  /**
   * The latest analysis of the current step.
   */
  'criteria': (_mlmesh_events_v1_CriterionResult__Output)[];
  'steps': (_mlmesh_rollout_v1_StepRecord__Output)[];
  /**
   * Inference metric counters at the step's start (key "<target>|<version>|<ok|err>"), for the error rate.
   */
  'counters_at_step_start': ({[key: string]: number});
  /**
   * Requests the candidate and baseline served in the step so far (inference metrics).
   */
  'candidate_requests': (string);
  'baseline_requests': (string);
  /**
   * The state it was in when it paused ("running"); Resume returns to it.
   */
  'paused_from': (string);
  /**
   * Who acted on it last ("controller@host-pid").
   */
  'controller': (string);
  /**
   * The route of the current state is still to be written (set with the transition, cleared
   * once the route is in the KV bucket: a controller that restarts in between writes it).
   */
  'route_pending': (boolean);
  /**
   * An action asked for by an RPC ("pause", "resume", "promote", "abort") that the acting
   * controller has not applied yet, and its reason.
   */
  'requested': (string);
  'requested_reason': (string);
  /**
   * How a roll-back ends: "rolled_back" or "aborted".
   */
  'ending': (string);
  /**
   * Events published so far (event ids are "<id>-<n>", so a republished one is stored once).
   */
  'event_seq': (string);
  /**
   * The prediction kind in use ("class" or "value"), once known.
   */
  'kind': (string);
  /**
   * Criteria whose failure is being confirmed on a fresh period of the step (comma-separated):
   * a latency failure alone restarts the step's window once instead of rolling back, since one
   * machine stall slows many requests together; failing again rolls back.
   */
  'confirming': (string);
}
