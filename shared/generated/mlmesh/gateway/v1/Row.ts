// Original file: protos/mlmesh/gateway/v1/gateway.proto

import type { Value as _mlmesh_gateway_v1_Value, Value__Output as _mlmesh_gateway_v1_Value__Output } from '../../../mlmesh/gateway/v1/Value.js';

/**
 * One input row: request field -> value (entity keys and request-time fields).
 */
export interface Row {
  'fields'?: ({[key: string]: _mlmesh_gateway_v1_Value});
}

/**
 * One input row: request field -> value (entity keys and request-time fields).
 */
export interface Row__Output {
  'fields': ({[key: string]: _mlmesh_gateway_v1_Value__Output});
}
