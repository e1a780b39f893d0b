// Original file: protos/mlmesh/features/v1/features.proto

import type { FeatureServiceDefinition as _mlmesh_features_v1_FeatureServiceDefinition, FeatureServiceDefinition__Output as _mlmesh_features_v1_FeatureServiceDefinition__Output } from '../../../mlmesh/features/v1/FeatureServiceDefinition.js';

export interface RegisterFeatureServiceRequest {
  'service'?: (_mlmesh_features_v1_FeatureServiceDefinition | null);
}

export interface RegisterFeatureServiceRequest__Output {
  'service': (_mlmesh_features_v1_FeatureServiceDefinition__Output | null);
}
