// Original file: protos/mlmesh/features/v1/features.proto

import type { FeatureDefinition as _mlmesh_features_v1_FeatureDefinition, FeatureDefinition__Output as _mlmesh_features_v1_FeatureDefinition__Output } from '../../../mlmesh/features/v1/FeatureDefinition.js';

export interface RegisterFeatureResponse {
  /**
   * as stored (normalized)
   */
  'definition'?: (_mlmesh_features_v1_FeatureDefinition | null);
  /**
   * SHA-256 hex of the canonical JSON
   */
  'content_hash'?: (string);
  /**
   * false: the same content was registered before
   */
  'created'?: (boolean);
}

export interface RegisterFeatureResponse__Output {
  /**
   * as stored (normalized)
   */
  'definition': (_mlmesh_features_v1_FeatureDefinition__Output | null);
  /**
   * SHA-256 hex of the canonical JSON
   */
  'content_hash': (string);
  /**
   * false: the same content was registered before
   */
  'created': (boolean);
}
