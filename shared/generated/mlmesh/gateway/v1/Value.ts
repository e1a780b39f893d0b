// Original file: protos/mlmesh/gateway/v1/gateway.proto

import type { NullValue as _mlmesh_gateway_v1_NullValue, NullValue__Output as _mlmesh_gateway_v1_NullValue__Output } from '../../../mlmesh/gateway/v1/NullValue.js';
import type { Long } from '@grpc/proto-loader';

/**
 * One typed value of a request field.
 */
export interface Value {
  'double_value'?: (number | string);
  'int64_value'?: (number | string | Long);
  'string_value'?: (string);
  'bool_value'?: (boolean);
  'null_value'?: (_mlmesh_gateway_v1_NullValue);
  'kind'?: "double_value"|"int64_value"|"string_value"|"bool_value"|"null_value";
}

/**
 * One typed value of a request field.
 */
export interface Value__Output {
  'double_value'?: (number);
  'int64_value'?: (string);
  'string_value'?: (string);
  'bool_value'?: (boolean);
  'null_value'?: (_mlmesh_gateway_v1_NullValue__Output);
  'kind'?: "double_value"|"int64_value"|"string_value"|"bool_value"|"null_value";
}
