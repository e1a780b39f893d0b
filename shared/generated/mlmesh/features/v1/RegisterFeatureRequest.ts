// Original file: protos/mlmesh/features/v1/features.proto

import type { FeatureDefinition as _mlmesh_features_v1_FeatureDefinition, FeatureDefinition__Output as _mlmesh_features_v1_FeatureDefinition__Output } from '../../../mlmesh/features/v1/FeatureDefinition.js';

export interface RegisterFeatureRequest {
  'definition'?: (_mlmesh_features_v1_FeatureDefinition | null);
}

export interface RegisterFeatureRequest__Output {
  'definition': (_mlmesh_features_v1_FeatureDefinition__Output | null);
}
