// Original file: protos/mlmesh/features/v1/features.proto

import type { GetFeatureResponse as _mlmesh_features_v1_GetFeatureResponse, GetFeatureResponse__Output as _mlmesh_features_v1_GetFeatureResponse__Output } from '../../../mlmesh/features/v1/GetFeatureResponse.js';

export interface ListFeaturesResponse {
  /**
   * by name, then version
   */
  'features'?: (_mlmesh_features_v1_GetFeatureResponse)[];
}

export interface ListFeaturesResponse__Output {
  /**
   * by name, then version
   */
  'features': (_mlmesh_features_v1_GetFeatureResponse__Output)[];
}
