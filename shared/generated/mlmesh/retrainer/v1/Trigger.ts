// Original file: protos/mlmesh/retrainer/v1/retrainer.proto

import type { Long } from '@grpc/proto-loader';

/**
 * What started a run (and every trigger coalesced into it).
 */
export interface Trigger {
  /**
   * "drift" (a RetrainRequest) or "manual" (Retrain).
   */
  'kind'?: (string);
  /**
   * RetrainRequest.request_id; empty for manual.
   */
  'retrain_request_id'?: (string);
  'drifted_report_ids'?: (string)[];
  /**
   * MLMESH_PREDICTIONS range of the drifted windows (RetrainRequest's; 0 for manual).
   */
  'first_sequence'?: (number | string | Long);
  'last_sequence'?: (number | string | Long);
  'reason'?: (string);
  'actor'?: (string);
  'time_unix_ms'?: (number | string | Long);
  /**
   * The serving version the trigger was about.
   */
  'version'?: (string);
}

/**
 * What started a run (and every trigger coalesced into it).
 */
export interface Trigger__Output {
  /**
   * "drift" (a RetrainRequest) or "manual" (Retrain).
   */
  'kind': (string);
  /**
   * RetrainRequest.request_id; empty for manual.
   */
  'retrain_request_id': (string);
  'drifted_report_ids': (string)[];
  /**
   * MLMESH_PREDICTIONS range of the drifted windows (RetrainRequest's; 0 for manual).
   */
  'first_sequence': (string);
  'last_sequence': (string);
  'reason': (string);
  'actor': (string);
  'time_unix_ms': (string);
  /**
   * The serving version the trigger was about.
   */
  'version': (string);
}
