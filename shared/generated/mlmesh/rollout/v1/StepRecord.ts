// Original file: protos/mlmesh/rollout/v1/rollout.proto

import type { CriterionResult as _mlmesh_events_v1_CriterionResult, CriterionResult__Output as _mlmesh_events_v1_CriterionResult__Output } from '../../../mlmesh/events/v1/CriterionResult.js';
import type { Long } from '@grpc/proto-loader';

/**
 * One step as it went.
 */
export interface StepRecord {
  'index'?: (number);
  'candidate_percent'?: (number | string);
  'started_unix_ms'?: (number | string | Long);
  'ended_unix_ms'?: (number | string | Long);
  /**
   * "running", "passed", "failed", "paused", "promoted", "aborted".
   */
  'outcome'?: (string);
  'candidate_requests'?: (number | string | Long);
  'baseline_requests'?: (number | string | Long);
  'criteria'?: (_mlmesh_events_v1_CriterionResult)[];
}

/**
 * One step as it went.
 */
export interface StepRecord__Output {
  'index': (number);
  'candidate_percent': (number);
  'started_unix_ms': (string);
  'ended_unix_ms': (string);
  /**
   * "running", "passed", "failed", "paused", "promoted", "aborted".
   */
  'outcome': (string);
  'candidate_requests': (string);
  'baseline_requests': (string);
  'criteria': (_mlmesh_events_v1_CriterionResult__Output)[];
}
