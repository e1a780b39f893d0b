// Original file: protos/mlmesh/features/v1/features.proto

export const MapOp = {
  MAP_OP_UNSPECIFIED: 'MAP_OP_UNSPECIFIED',
  /**
   * x + operand
   */
  ADD: 'ADD',
  /**
   * x - operand
   */
  SUBTRACT: 'SUBTRACT',
  /**
   * x * operand
   */
  MULTIPLY: 'MULTIPLY',
  /**
   * x / operand (operand ≠ 0)
   */
  DIVIDE: 'DIVIDE',
  ABS: 'ABS',
  /**
   * ln(1 + x), x > -1
   */
  LOG1P: 'LOG1P',
  /**
   * max(x, operand)
   */
  CLIP_MIN: 'CLIP_MIN',
  /**
   * min(x, operand)
   */
  CLIP_MAX: 'CLIP_MAX',
  /**
   * to `operand` decimals (0 when unset)
   */
  ROUND: 'ROUND',
  /**
   * strings
   */
  LOWER: 'LOWER',
  /**
   * strings
   */
  UPPER: 'UPPER',
  TO_FLOAT: 'TO_FLOAT',
  /**
   * truncates toward zero
   */
  TO_INT64: 'TO_INT64',
} as const;

export type MapOp =
  | 'MAP_OP_UNSPECIFIED'
  | 0
  /**
   * x + operand
   */
  | 'ADD'
  | 1
  /**
   * x - operand
   */
  | 'SUBTRACT'
  | 2
  /**
   * x * operand
   */
  | 'MULTIPLY'
  | 3
  /**
   * x / operand (operand ≠ 0)
   */
  | 'DIVIDE'
  | 4
  | 'ABS'
  | 5
  /**
   * ln(1 + x), x > -1
   */
  | 'LOG1P'
  | 6
  /**
   * max(x, operand)
   */
  | 'CLIP_MIN'
  | 7
  /**
   * min(x, operand)
   */
  | 'CLIP_MAX'
  | 8
  /**
   * to `operand` decimals (0 when unset)
   */
  | 'ROUND'
  | 9
  /**
   * strings
   */
  | 'LOWER'
  | 10
  /**
   * strings
   */
  | 'UPPER'
  | 11
  | 'TO_FLOAT'
  | 12
  /**
   * truncates toward zero
   */
  | 'TO_INT64'
  | 13

export type MapOp__Output = typeof MapOp[keyof typeof MapOp]
