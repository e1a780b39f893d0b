// Original file: protos/mlmesh/features/v1/features.proto

import type { Value as _mlmesh_features_v1_Value, Value__Output as _mlmesh_features_v1_Value__Output } from '../../../mlmesh/features/v1/Value.js';
import type { FeatureStatus as _mlmesh_features_v1_FeatureStatus, FeatureStatus__Output as _mlmesh_features_v1_FeatureStatus__Output } from '../../../mlmesh/features/v1/FeatureStatus.js';
import type { Long } from '@grpc/proto-loader';

/**
 * One feature's values for every requested entity, in entity order.
 */
export interface FeatureColumn {
  'values'?: (_mlmesh_features_v1_Value)[];
  'statuses'?: (_mlmesh_features_v1_FeatureStatus)[];
  /**
   * 0 when NOT_FOUND
   */
  'event_times_ms'?: (number | string | Long)[];
}

/**
 * One feature's values for every requested entity, in entity order.
 */
export interface FeatureColumn__Output {
  'values': (_mlmesh_features_v1_Value__Output)[];
  'statuses': (_mlmesh_features_v1_FeatureStatus__Output)[];
  /**
   * 0 when NOT_FOUND
   */
  'event_times_ms': (string)[];
}
