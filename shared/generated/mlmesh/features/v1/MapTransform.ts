// Original file: protos/mlmesh/features/v1/features.proto

import type { MapOp as _mlmesh_features_v1_MapOp, MapOp__Output as _mlmesh_features_v1_MapOp__Output } from '../../../mlmesh/features/v1/MapOp.js';

/**
 * Sets `output` (default: `column`) to op(column); null stays null.
 */
export interface MapTransform {
  'column'?: (string);
  'op'?: (_mlmesh_features_v1_MapOp);
  'operand'?: (number | string);
  'output'?: (string);
}

/**
 * Sets `output` (default: `column`) to op(column); null stays null.
 */
export interface MapTransform__Output {
  'column': (string);
  'op': (_mlmesh_features_v1_MapOp__Output);
  'operand': (number);
  'output': (string);
}
