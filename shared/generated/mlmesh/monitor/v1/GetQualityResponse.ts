// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { VersionQuality as _mlmesh_monitor_v1_VersionQuality, VersionQuality__Output as _mlmesh_monitor_v1_VersionQuality__Output } from '../../../mlmesh/monitor/v1/VersionQuality.js';
import type { QualityAlert as _mlmesh_events_v1_QualityAlert, QualityAlert__Output as _mlmesh_events_v1_QualityAlert__Output } from '../../../mlmesh/events/v1/QualityAlert.js';

export interface GetQualityResponse {
  'versions'?: (_mlmesh_monitor_v1_VersionQuality)[];
  /**
   * Quality alerts raised for the model, oldest first.
   */
  'alerts'?: (_mlmesh_events_v1_QualityAlert)[];
}

export interface GetQualityResponse__Output {
  'versions': (_mlmesh_monitor_v1_VersionQuality__Output)[];
  /**
   * Quality alerts raised for the model, oldest first.
   */
  'alerts': (_mlmesh_events_v1_QualityAlert__Output)[];
}
