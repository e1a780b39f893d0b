// Original file: protos/mlmesh/features/v1/features.proto

import type { Value as _mlmesh_features_v1_Value, Value__Output as _mlmesh_features_v1_Value__Output } from '../../../mlmesh/features/v1/Value.js';
import type { Long } from '@grpc/proto-loader';

export interface FeatureWrite {
  /**
   * ref
   */
  'feature'?: (string);
  'entity_id'?: (string);
  'event_time_ms'?: (number | string | Long);
  /**
   * unset: null
   */
  'value'?: (_mlmesh_features_v1_Value | null);
}

export interface FeatureWrite__Output {
  /**
   * ref
   */
  'feature': (string);
  'entity_id': (string);
  'event_time_ms': (string);
  /**
   * unset: null
   */
  'value': (_mlmesh_features_v1_Value__Output | null);
}
