// Original file: protos/mlmesh/features/v1/features.proto

import type { FeatureColumn as _mlmesh_features_v1_FeatureColumn, FeatureColumn__Output as _mlmesh_features_v1_FeatureColumn__Output } from '../../../mlmesh/features/v1/FeatureColumn.js';

export interface GetOnlineFeaturesResponse {
  /**
   * resolved refs, column order
   */
  'features'?: (string)[];
  'entity_ids'?: (string)[];
  /**
   * columns[i] belongs to features[i]
   */
  'columns'?: (_mlmesh_features_v1_FeatureColumn)[];
}

export interface GetOnlineFeaturesResponse__Output {
  /**
   * resolved refs, column order
   */
  'features': (string)[];
  'entity_ids': (string)[];
  /**
   * columns[i] belongs to features[i]
   */
  'columns': (_mlmesh_features_v1_FeatureColumn__Output)[];
}
