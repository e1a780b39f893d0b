// Original file: protos/mlmesh/features/v1/features.proto

import type { FloatVector as _mlmesh_features_v1_FloatVector, FloatVector__Output as _mlmesh_features_v1_FloatVector__Output } from '../../../mlmesh/features/v1/FloatVector.js';
import type { Long } from '@grpc/proto-loader';

/**
 * One feature value; no member set means null.
 */
export interface Value {
  'float_value'?: (number | string);
  'int64_value'?: (number | string | Long);
  'string_value'?: (string);
  'bool_value'?: (boolean);
  'float_vector_value'?: (_mlmesh_features_v1_FloatVector | null);
  'kind'?: "float_value"|"int64_value"|"string_value"|"bool_value"|"float_vector_value";
}

/**
 * One feature value; no member set means null.
 */
export interface Value__Output {
  'float_value'?: (number);
  'int64_value'?: (string);
  'string_value'?: (string);
  'bool_value'?: (boolean);
  'float_vector_value'?: (_mlmesh_features_v1_FloatVector__Output | null);
  'kind'?: "float_value"|"int64_value"|"string_value"|"bool_value"|"float_vector_value";
}
