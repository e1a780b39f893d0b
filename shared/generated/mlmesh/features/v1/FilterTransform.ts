// Original file: protos/mlmesh/features/v1/features.proto

import type { CompareOp as _mlmesh_features_v1_CompareOp, CompareOp__Output as _mlmesh_features_v1_CompareOp__Output } from '../../../mlmesh/features/v1/CompareOp.js';
import type { Value as _mlmesh_features_v1_Value, Value__Output as _mlmesh_features_v1_Value__Output } from '../../../mlmesh/features/v1/Value.js';

/**
 * Keeps rows whose `column` compares true with `value` (unset for IS_NULL / NOT_NULL).
 */
export interface FilterTransform {
  'column'?: (string);
  'op'?: (_mlmesh_features_v1_CompareOp);
  'value'?: (_mlmesh_features_v1_Value | null);
}

/**
 * Keeps rows whose `column` compares true with `value` (unset for IS_NULL / NOT_NULL).
 */
export interface FilterTransform__Output {
  'column': (string);
  'op': (_mlmesh_features_v1_CompareOp__Output);
  'value': (_mlmesh_features_v1_Value__Output | null);
}
