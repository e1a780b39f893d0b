// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { DriftReport as _mlmesh_events_v1_DriftReport, DriftReport__Output as _mlmesh_events_v1_DriftReport__Output } from '../../../mlmesh/events/v1/DriftReport.js';
import type { Long } from '@grpc/proto-loader';

export interface VersionStatus {
  'model'?: (string);
  'version'?: (string);
  'open_window_rows'?: (number | string | Long);
  'open_window_start_ms'?: (number | string | Long);
  'windows_closed'?: (number | string | Long);
  'consecutive_drifted'?: (number);
  'last_retrain_ms'?: (number | string | Long);
  'last_report'?: (_mlmesh_events_v1_DriftReport | null);
  'reference_rows'?: (number | string | Long);
  'reference_sha256'?: (string);
  /**
   * Feedback joined to predictions: labelled rows and how many the model got right.
   */
  'feedback_rows'?: (number | string | Long);
  'feedback_correct'?: (number | string | Long);
  'accuracy'?: (number | string);
  /**
   * Last MLMESH_PREDICTIONS sequence applied.
   */
  'last_sequence'?: (number | string | Long);
}

export interface VersionStatus__Output {
  'model': (string);
  'version': (string);
  'open_window_rows': (string);
  'open_window_start_ms': (string);
  'windows_closed': (string);
  'consecutive_drifted': (number);
  'last_retrain_ms': (string);
  'last_report': (_mlmesh_events_v1_DriftReport__Output | null);
  'reference_rows': (string);
  'reference_sha256': (string);
  /**
   * Feedback joined to predictions: labelled rows and how many the model got right.
   */
  'feedback_rows': (string);
  'feedback_correct': (string);
  'accuracy': (number);
  /**
   * Last MLMESH_PREDICTIONS sequence applied.
   */
  'last_sequence': (string);
}
