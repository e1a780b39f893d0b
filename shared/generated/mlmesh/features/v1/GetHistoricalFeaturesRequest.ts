// Original file: protos/mlmesh/features/v1/features.proto

import type { FeatureList as _mlmesh_features_v1_FeatureList, FeatureList__Output as _mlmesh_features_v1_FeatureList__Output } from '../../../mlmesh/features/v1/FeatureList.js';
import type { EntityRow as _mlmesh_features_v1_EntityRow, EntityRow__Output as _mlmesh_features_v1_EntityRow__Output } from '../../../mlmesh/features/v1/EntityRow.js';

export interface GetHistoricalFeaturesRequest {
  'features'?: (_mlmesh_features_v1_FeatureList | null);
  'feature_service'?: (string);
  'rows'?: (_mlmesh_features_v1_EntityRow)[];
  /**
   * Rows per response message. @default 1000
   */
  'chunk_rows'?: (number);
  'selection'?: "features"|"feature_service";
}

export interface GetHistoricalFeaturesRequest__Output {
  'features'?: (_mlmesh_features_v1_FeatureList__Output | null);
  'feature_service'?: (string);
  'rows': (_mlmesh_features_v1_EntityRow__Output)[];
  /**
   * Rows per response message. @default 1000
   */
  'chunk_rows': (number);
  'selection'?: "features"|"feature_service";
}
