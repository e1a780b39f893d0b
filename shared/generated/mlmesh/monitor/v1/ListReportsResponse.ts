// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { DriftReport as _mlmesh_events_v1_DriftReport, DriftReport__Output as _mlmesh_events_v1_DriftReport__Output } from '../../../mlmesh/events/v1/DriftReport.js';

export interface ListReportsResponse {
  'reports'?: (_mlmesh_events_v1_DriftReport)[];
}

export interface ListReportsResponse__Output {
  'reports': (_mlmesh_events_v1_DriftReport__Output)[];
}
