// Original file: protos/mlmesh/features/v1/features.proto

import type { FeatureList as _mlmesh_features_v1_FeatureList, FeatureList__Output as _mlmesh_features_v1_FeatureList__Output } from '../../../mlmesh/features/v1/FeatureList.js';
import type { Long } from '@grpc/proto-loader';

export interface GetOnlineFeaturesRequest {
  'features'?: (_mlmesh_features_v1_FeatureList | null);
  'feature_service'?: (string);
  'entity_ids'?: (string)[];
  /**
   * Read the latest value with event time <= as_of_ms; 0: the latest value (cached).
   */
  'as_of_ms'?: (number | string | Long);
  'selection'?: "features"|"feature_service";
}

export interface GetOnlineFeaturesRequest__Output {
  'features'?: (_mlmesh_features_v1_FeatureList__Output | null);
  'feature_service'?: (string);
  'entity_ids': (string)[];
  /**
   * Read the latest value with event time <= as_of_ms; 0: the latest value (cached).
   */
  'as_of_ms': (string);
  'selection'?: "features"|"feature_service";
}
