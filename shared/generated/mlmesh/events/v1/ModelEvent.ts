// Original file: protos/mlmesh/events/v1/events.proto

import type { EventMeta as _mlmesh_events_v1_EventMeta, EventMeta__Output as _mlmesh_events_v1_EventMeta__Output } from '../../../mlmesh/events/v1/EventMeta.js';
import type { CriterionResult as _mlmesh_events_v1_CriterionResult, CriterionResult__Output as _mlmesh_events_v1_CriterionResult__Output } from '../../../mlmesh/events/v1/CriterionResult.js';
import type { Long } from '@grpc/proto-loader';

/**
 * A model lifecycle event: a rollout's transitions, route changes and refusals. Published on
 * mlmesh.events.model.<model> with Nats-Msg-Id = meta.event_id.
 */
export interface ModelEvent {
  'meta'?: (_mlmesh_events_v1_EventMeta | null);
  'model'?: (string);
  /**
   * "rollout_started", "step_started", "step_passed", "confirming" (a latency failure being
   * confirmed on a fresh period of the step), "promoted", "rolled_back", "aborted",
   * "paused", "resumed", "completed", "retired", "route_set", "route_refused"; from the
   * retrainer, one per stage of a run as it ends: "retrain_started", "retrain_dataset",
   * "retrain_train", "retrain_evaluate", "retrain_register", "retrain_rollout", "retrain_outcome"
   * (the run's end: promoted, rolled_back, refused, failed or cancelled; `stage_state`).
   */
  'kind'?: (string);
  'rollout_id'?: (string);
  'candidate'?: (string);
  'baseline'?: (string);
  /**
   * The rollout step (0-based) and the candidate's share of routed traffic there, in percent.
   */
  'step_index'?: (number);
  'candidate_percent'?: (number | string);
  /**
   * Why, for people (e.g. "error_rate failed: 4.1% vs 0.0%, threshold +1.0%").
   */
  'reason'?: (string);
  /**
   * The analysis behind a step_passed / rolled_back, with numbers, thresholds and sample sizes.
   */
  'evidence'?: (_mlmesh_events_v1_CriterionResult)[];
  /**
   * The route revision written (or refused).
   */
  'route_revision'?: (number | string | Long);
  /**
   * Who acted: "controller@host-pid", "cli", "inference@host-pid" (for route_refused),
   * "retrainer@host-pid".
   */
  'actor'?: (string);
  /**
   * Retrainer events: the run, its stage's end state ("done", "failed", "skipped", "cancelled";
   * for retrain_outcome the run's final state), and the stage's numbers (dataset rows, gate
   * metrics, training metrics).
   */
  'run_id'?: (string);
  'stage_state'?: (string);
  'metrics'?: ({[key: string]: number | string});
}

/**
 * A model lifecycle event: a rollout's transitions, route changes and refusals. Published on
 * mlmesh.events.model.<model> with Nats-Msg-Id = meta.event_id.
 */
export interface ModelEvent__Output {
  'meta': (_mlmesh_events_v1_EventMeta__Output | null);
  'model': (string);
  /**
   * "rollout_started", "step_started", "step_passed", "confirming" (a latency failure being
   * confirmed on a fresh period of the step), "promoted", "rolled_back", "aborted",
   * "paused", "resumed", "completed", "retired", "route_set", "route_refused"; from the
   * retrainer, one per stage of a run as it ends: "retrain_started", "retrain_dataset",
   * "retrain_train", "retrain_evaluate", "retrain_register", "retrain_rollout", "retrain_outcome"
   * (the run's end: promoted, rolled_back, refused, failed or cancelled; `stage_state`).
   */
  'kind': (string);
  'rollout_id': (string);
  'candidate': (string);
  'baseline': (string);
  /**
   * The rollout step (0-based) and the candidate's share of routed traffic there, in percent.
   */
  'step_index': (number);
  'candidate_percent': (number);
  /**
   * Why, for people (e.g. "error_rate failed: 4.1% vs 0.0%, threshold +1.0%").
   */
  'reason': (string);
  /**
   * The analysis behind a step_passed / rolled_back, with numbers, thresholds and sample sizes.
   */
  'evidence': (_mlmesh_events_v1_CriterionResult__Output)[];
  /**
   * The route revision written (or refused).
   */
  'route_revision': (string);
  /**
   * Who acted: "controller@host-pid", "cli", "inference@host-pid" (for route_refused),
   * "retrainer@host-pid".
   */
  'actor': (string);
  /**
   * Retrainer events: the run, its stage's end state ("done", "failed", "skipped", "cancelled";
   * for retrain_outcome the run's final state), and the stage's numbers (dataset rows, gate
   * metrics, training metrics).
   */
  'run_id': (string);
  'stage_state': (string);
  'metrics': ({[key: string]: number});
}
