// Original file: protos/mlmesh/features/v1/features.proto

import type { Value as _mlmesh_features_v1_Value, Value__Output as _mlmesh_features_v1_Value__Output } from '../../../mlmesh/features/v1/Value.js';
import type { FeatureStatus as _mlmesh_features_v1_FeatureStatus, FeatureStatus__Output as _mlmesh_features_v1_FeatureStatus__Output } from '../../../mlmesh/features/v1/FeatureStatus.js';
import type { Long } from '@grpc/proto-loader';

export interface FeatureValue {
  'value'?: (_mlmesh_features_v1_Value | null);
  'status'?: (_mlmesh_features_v1_FeatureStatus);
  'event_time_ms'?: (number | string | Long);
}

export interface FeatureValue__Output {
  'value': (_mlmesh_features_v1_Value__Output | null);
  'status': (_mlmesh_features_v1_FeatureStatus__Output);
  'event_time_ms': (string);
}
