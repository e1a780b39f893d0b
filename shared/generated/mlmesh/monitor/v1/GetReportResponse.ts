// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { DriftReport as _mlmesh_events_v1_DriftReport, DriftReport__Output as _mlmesh_events_v1_DriftReport__Output } from '../../../mlmesh/events/v1/DriftReport.js';
import type { WindowPerformance as _mlmesh_monitor_v1_WindowPerformance, WindowPerformance__Output as _mlmesh_monitor_v1_WindowPerformance__Output } from '../../../mlmesh/monitor/v1/WindowPerformance.js';
import type { GetSegmentsResponse as _mlmesh_monitor_v1_GetSegmentsResponse, GetSegmentsResponse__Output as _mlmesh_monitor_v1_GetSegmentsResponse__Output } from '../../../mlmesh/monitor/v1/GetSegmentsResponse.js';

export interface GetReportResponse {
  'report'?: (_mlmesh_events_v1_DriftReport | null);
  'performance'?: (_mlmesh_monitor_v1_WindowPerformance | null);
  /**
   * Per-segment metrics of the report's window (segment_by empty when the model has no segments).
   */
  'segments'?: (_mlmesh_monitor_v1_GetSegmentsResponse | null);
}

export interface GetReportResponse__Output {
  'report': (_mlmesh_events_v1_DriftReport__Output | null);
  'performance': (_mlmesh_monitor_v1_WindowPerformance__Output | null);
  /**
   * Per-segment metrics of the report's window (segment_by empty when the model has no segments).
   */
  'segments': (_mlmesh_monitor_v1_GetSegmentsResponse__Output | null);
}
