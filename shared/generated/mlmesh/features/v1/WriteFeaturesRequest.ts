// Original file: protos/mlmesh/features/v1/features.proto

import type { FeatureWrite as _mlmesh_features_v1_FeatureWrite, FeatureWrite__Output as _mlmesh_features_v1_FeatureWrite__Output } from '../../../mlmesh/features/v1/FeatureWrite.js';

export interface WriteFeaturesRequest {
  'writes'?: (_mlmesh_features_v1_FeatureWrite)[];
}

export interface WriteFeaturesRequest__Output {
  'writes': (_mlmesh_features_v1_FeatureWrite__Output)[];
}
