// Original file: protos/mlmesh/features/v1/features.proto

import type { FilterTransform as _mlmesh_features_v1_FilterTransform, FilterTransform__Output as _mlmesh_features_v1_FilterTransform__Output } from '../../../mlmesh/features/v1/FilterTransform.js';
import type { MapTransform as _mlmesh_features_v1_MapTransform, MapTransform__Output as _mlmesh_features_v1_MapTransform__Output } from '../../../mlmesh/features/v1/MapTransform.js';
import type { WindowTransform as _mlmesh_features_v1_WindowTransform, WindowTransform__Output as _mlmesh_features_v1_WindowTransform__Output } from '../../../mlmesh/features/v1/WindowTransform.js';

export interface Transform {
  'filter'?: (_mlmesh_features_v1_FilterTransform | null);
  'map'?: (_mlmesh_features_v1_MapTransform | null);
  'window'?: (_mlmesh_features_v1_WindowTransform | null);
  'kind'?: "filter"|"map"|"window";
}

export interface Transform__Output {
  'filter'?: (_mlmesh_features_v1_FilterTransform__Output | null);
  'map'?: (_mlmesh_features_v1_MapTransform__Output | null);
  'window'?: (_mlmesh_features_v1_WindowTransform__Output | null);
  'kind'?: "filter"|"map"|"window";
}
