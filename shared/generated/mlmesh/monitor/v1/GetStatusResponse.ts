// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { VersionStatus as _mlmesh_monitor_v1_VersionStatus, VersionStatus__Output as _mlmesh_monitor_v1_VersionStatus__Output } from '../../../mlmesh/monitor/v1/VersionStatus.js';

export interface GetStatusResponse {
  'versions'?: (_mlmesh_monitor_v1_VersionStatus)[];
}

export interface GetStatusResponse__Output {
  'versions': (_mlmesh_monitor_v1_VersionStatus__Output)[];
}
