// Original file: protos/mlmesh/preprocess/v1/preprocess.proto

import type { Value as _mlmesh_preprocess_v1_Value, Value__Output as _mlmesh_preprocess_v1_Value__Output } from '../../../mlmesh/preprocess/v1/Value.js';

/**
 * One input row: column name -> value. An absent column and a null value both mean missing.
 */
export interface Record {
  'fields'?: ({[key: string]: _mlmesh_preprocess_v1_Value});
}

/**
 * One input row: column name -> value. An absent column and a null value both mean missing.
 */
export interface Record__Output {
  'fields': ({[key: string]: _mlmesh_preprocess_v1_Value__Output});
}
