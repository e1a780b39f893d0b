// Original file: protos/mlmesh/features/v1/features.proto

import type { FeatureServiceDefinition as _mlmesh_features_v1_FeatureServiceDefinition, FeatureServiceDefinition__Output as _mlmesh_features_v1_FeatureServiceDefinition__Output } from '../../../mlmesh/features/v1/FeatureServiceDefinition.js';

export interface GetFeatureServiceResponse {
  'service'?: (_mlmesh_features_v1_FeatureServiceDefinition | null);
  'content_hash'?: (string);
}

export interface GetFeatureServiceResponse__Output {
  'service': (_mlmesh_features_v1_FeatureServiceDefinition__Output | null);
  'content_hash': (string);
}
