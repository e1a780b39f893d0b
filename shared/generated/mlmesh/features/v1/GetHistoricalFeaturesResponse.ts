// Original file: protos/mlmesh/features/v1/features.proto

import type { HistoricalRow as _mlmesh_features_v1_HistoricalRow, HistoricalRow__Output as _mlmesh_features_v1_HistoricalRow__Output } from '../../../mlmesh/features/v1/HistoricalRow.js';

export interface GetHistoricalFeaturesResponse {
  /**
   * set in the first message only
   */
  'features'?: (string)[];
  'rows'?: (_mlmesh_features_v1_HistoricalRow)[];
}

export interface GetHistoricalFeaturesResponse__Output {
  /**
   * set in the first message only
   */
  'features': (string)[];
  'rows': (_mlmesh_features_v1_HistoricalRow__Output)[];
}
