// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { DetectorResult as _mlmesh_events_v1_DetectorResult, DetectorResult__Output as _mlmesh_events_v1_DetectorResult__Output } from '../../../mlmesh/events/v1/DetectorResult.js';

export interface TwoSampleTestResponse {
  'drifted'?: (boolean);
  'detectors'?: (_mlmesh_events_v1_DetectorResult)[];
}

export interface TwoSampleTestResponse__Output {
  'drifted': (boolean);
  'detectors': (_mlmesh_events_v1_DetectorResult__Output)[];
}
