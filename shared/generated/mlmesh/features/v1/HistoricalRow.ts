// Original file: protos/mlmesh/features/v1/features.proto

import type { FeatureValue as _mlmesh_features_v1_FeatureValue, FeatureValue__Output as _mlmesh_features_v1_FeatureValue__Output } from '../../../mlmesh/features/v1/FeatureValue.js';
import type { Long } from '@grpc/proto-loader';

export interface HistoricalRow {
  /**
   * index into the request's rows
   */
  'row_index'?: (number);
  'entity_id'?: (string);
  'time_ms'?: (number | string | Long);
  /**
   * in `features` order
   */
  'values'?: (_mlmesh_features_v1_FeatureValue)[];
}

export interface HistoricalRow__Output {
  /**
   * index into the request's rows
   */
  'row_index': (number);
  'entity_id': (string);
  'time_ms': (string);
  /**
   * in `features` order
   */
  'values': (_mlmesh_features_v1_FeatureValue__Output)[];
}
