// Original file: protos/mlmesh/gateway/v1/gateway.proto

import type { RowErrorCode as _mlmesh_gateway_v1_RowErrorCode, RowErrorCode__Output as _mlmesh_gateway_v1_RowErrorCode__Output } from '../../../mlmesh/gateway/v1/RowErrorCode.js';

export interface RowError {
  /**
   * Index of the row in the request.
   */
  'row'?: (number);
  'code'?: (_mlmesh_gateway_v1_RowErrorCode);
  /**
   * The request field or feature ref (name@version) at fault.
   */
  'field'?: (string);
  'message'?: (string);
}

export interface RowError__Output {
  /**
   * Index of the row in the request.
   */
  'row': (number);
  'code': (_mlmesh_gateway_v1_RowErrorCode__Output);
  /**
   * The request field or feature ref (name@version) at fault.
   */
  'field': (string);
  'message': (string);
}
