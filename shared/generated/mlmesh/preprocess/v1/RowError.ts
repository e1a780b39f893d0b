// Original file: protos/mlmesh/preprocess/v1/preprocess.proto

import type { RowErrorCode as _mlmesh_preprocess_v1_RowErrorCode, RowErrorCode__Output as _mlmesh_preprocess_v1_RowErrorCode__Output } from '../../../mlmesh/preprocess/v1/RowErrorCode.js';

export interface RowError {
  /**
   * Index of the record in the request.
   */
  'row'?: (number);
  /**
   * The input column (or, for NOT_FINITE outputs, the output feature) at fault.
   */
  'column'?: (string);
  'code'?: (_mlmesh_preprocess_v1_RowErrorCode);
  'message'?: (string);
}

export interface RowError__Output {
  /**
   * Index of the record in the request.
   */
  'row': (number);
  /**
   * The input column (or, for NOT_FINITE outputs, the output feature) at fault.
   */
  'column': (string);
  'code': (_mlmesh_preprocess_v1_RowErrorCode__Output);
  'message': (string);
}
