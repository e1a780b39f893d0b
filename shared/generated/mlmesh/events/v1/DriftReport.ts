// Original file: protos/mlmesh/events/v1/events.proto

import type { EventMeta as _mlmesh_events_v1_EventMeta, EventMeta__Output as _mlmesh_events_v1_EventMeta__Output } from '../../../mlmesh/events/v1/EventMeta.js';
import type { DetectorResult as _mlmesh_events_v1_DetectorResult, DetectorResult__Output as _mlmesh_events_v1_DetectorResult__Output } from '../../../mlmesh/events/v1/DetectorResult.js';
import type { Long } from '@grpc/proto-loader';

/**
 * The verdict on one closed window of one model version. Published on
 * mlmesh.events.drift.<model> with Nats-Msg-Id = report_id.
 */
export interface DriftReport {
  'meta'?: (_mlmesh_events_v1_EventMeta | null);
  /**
   * "<model>/<version>/<window_index>".
   */
  'report_id'?: (string);
  'model'?: (string);
  'version'?: (string);
  'window_index'?: (number | string | Long);
  /**
   * Prediction-log times of the window's first and last rows, ms since the epoch.
   */
  'window_start_ms'?: (number | string | Long);
  'window_end_ms'?: (number | string | Long);
  'rows'?: (number | string | Long);
  /**
   * MLMESH_PREDICTIONS stream sequences of the window's first and last messages.
   */
  'first_sequence'?: (number | string | Long);
  'last_sequence'?: (number | string | Long);
  /**
   * "count" (window full) or "time" (window age reached).
   */
  'close_reason'?: (string);
  'alpha'?: (number | string);
  'drifted'?: (boolean);
  'detectors'?: (_mlmesh_events_v1_DetectorResult)[];
  'reference_rows'?: (number | string | Long);
  'reference_sha256'?: (string);
  /**
   * Drifted windows in a row, this one included (0 when this one is not drifted).
   */
  'consecutive_drifted'?: (number);
  /**
   * A window holds exactly `rows` rows, so a multi-row log can be split between two windows:
   * the window starts at row `first_row` of message `first_sequence` and ends at row `last_row`
   * of message `last_sequence` (0-based, inclusive; both 0 for single-row logs).
   */
  'first_row'?: (number);
  'last_row'?: (number);
}

/**
 * The verdict on one closed window of one model version. Published on
 * mlmesh.events.drift.<model> with Nats-Msg-Id = report_id.
 */
export interface DriftReport__Output {
  'meta': (_mlmesh_events_v1_EventMeta__Output | null);
  /**
   * "<model>/<version>/<window_index>".
   */
  'report_id': (string);
  'model': (string);
  'version': (string);
  'window_index': (string);
  /**
   * Prediction-log times of the window's first and last rows, ms since the epoch.
   */
  'window_start_ms': (string);
  'window_end_ms': (string);
  'rows': (string);
  /**
   * MLMESH_PREDICTIONS stream sequences of the window's first and last messages.
   */
  'first_sequence': (string);
  'last_sequence': (string);
  /**
   * "count" (window full) or "time" (window age reached).
   */
  'close_reason': (string);
  'alpha': (number);
  'drifted': (boolean);
  'detectors': (_mlmesh_events_v1_DetectorResult__Output)[];
  'reference_rows': (string);
  'reference_sha256': (string);
  /**
   * Drifted windows in a row, this one included (0 when this one is not drifted).
   */
  'consecutive_drifted': (number);
  /**
   * A window holds exactly `rows` rows, so a multi-row log can be split between two windows:
   * the window starts at row `first_row` of message `first_sequence` and ends at row `last_row`
   * of message `last_sequence` (0-based, inclusive; both 0 for single-row logs).
   */
  'first_row': (number);
  'last_row': (number);
}
