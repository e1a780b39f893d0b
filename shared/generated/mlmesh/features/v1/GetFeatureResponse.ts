// Original file: protos/mlmesh/features/v1/features.proto

import type { FeatureDefinition as _mlmesh_features_v1_FeatureDefinition, FeatureDefinition__Output as _mlmesh_features_v1_FeatureDefinition__Output } from '../../../mlmesh/features/v1/FeatureDefinition.js';
import type { Long } from '@grpc/proto-loader';

export interface GetFeatureResponse {
  'definition'?: (_mlmesh_features_v1_FeatureDefinition | null);
  'content_hash'?: (string);
  'registered_at_ms'?: (number | string | Long);
}

export interface GetFeatureResponse__Output {
  'definition': (_mlmesh_features_v1_FeatureDefinition__Output | null);
  'content_hash': (string);
  'registered_at_ms': (string);
}
