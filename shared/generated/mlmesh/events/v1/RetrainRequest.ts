// Original file: protos/mlmesh/events/v1/events.proto

import type { EventMeta as _mlmesh_events_v1_EventMeta, EventMeta__Output as _mlmesh_events_v1_EventMeta__Output } from '../../../mlmesh/events/v1/EventMeta.js';
import type { DriftReport as _mlmesh_events_v1_DriftReport, DriftReport__Output as _mlmesh_events_v1_DriftReport__Output } from '../../../mlmesh/events/v1/DriftReport.js';
import type { Long } from '@grpc/proto-loader';

/**
 * Asks the retraining pipeline for a new model version. Published on
 * mlmesh.events.retrain.<model> with Nats-Msg-Id = request_id.
 */
export interface RetrainRequest {
  'meta'?: (_mlmesh_events_v1_EventMeta | null);
  'request_id'?: (string);
  'model'?: (string);
  'version'?: (string);
  'reason'?: (string);
  /**
   * The report that crossed the threshold.
   */
  'report'?: (_mlmesh_events_v1_DriftReport | null);
  /**
   * The MLMESH_PREDICTIONS range of the drifted windows not covered by an earlier request
   * (first..last message, inclusive; from row `first_row` of the first message to row
   * `last_row` of the last, as in DriftReport).
   */
  'first_sequence'?: (number | string | Long);
  'last_sequence'?: (number | string | Long);
  /**
   * Drifted windows in a row so far (the whole streak, including windows of earlier requests).
   */
  'consecutive_windows'?: (number);
  /**
   * Reports of the windows in this request's range, oldest first; at most the newest 100 (the
   * range still covers them all).
   */
  'drifted_report_ids'?: (string)[];
  'first_row'?: (number);
  'last_row'?: (number);
}

/**
 * Asks the retraining pipeline for a new model version. Published on
 * mlmesh.events.retrain.<model> with Nats-Msg-Id = request_id.
 */
export interface RetrainRequest__Output {
  'meta': (_mlmesh_events_v1_EventMeta__Output | null);
  'request_id': (string);
  'model': (string);
  'version': (string);
  'reason': (string);
  /**
   * The report that crossed the threshold.
   */
  'report': (_mlmesh_events_v1_DriftReport__Output | null);
  /**
   * The MLMESH_PREDICTIONS range of the drifted windows not covered by an earlier request
   * (first..last message, inclusive; from row `first_row` of the first message to row
   * `last_row` of the last, as in DriftReport).
   */
  'first_sequence': (string);
  'last_sequence': (string);
  /**
   * Drifted windows in a row so far (the whole streak, including windows of earlier requests).
   */
  'consecutive_windows': (number);
  /**
   * Reports of the windows in this request's range, oldest first; at most the newest 100 (the
   * range still covers them all).
   */
  'drifted_report_ids': (string)[];
  'first_row': (number);
  'last_row': (number);
}
