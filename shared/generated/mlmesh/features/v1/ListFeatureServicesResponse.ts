// Original file: protos/mlmesh/features/v1/features.proto

import type { GetFeatureServiceResponse as _mlmesh_features_v1_GetFeatureServiceResponse, GetFeatureServiceResponse__Output as _mlmesh_features_v1_GetFeatureServiceResponse__Output } from '../../../mlmesh/features/v1/GetFeatureServiceResponse.js';

export interface ListFeatureServicesResponse {
  /**
   * by name
   */
  'services'?: (_mlmesh_features_v1_GetFeatureServiceResponse)[];
}

export interface ListFeatureServicesResponse__Output {
  /**
   * by name
   */
  'services': (_mlmesh_features_v1_GetFeatureServiceResponse__Output)[];
}
