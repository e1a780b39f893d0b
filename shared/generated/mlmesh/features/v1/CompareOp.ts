// Original file: protos/mlmesh/features/v1/features.proto

export const CompareOp = {
  COMPARE_OP_UNSPECIFIED: 'COMPARE_OP_UNSPECIFIED',
  EQ: 'EQ',
  NE: 'NE',
  LT: 'LT',
  LE: 'LE',
  GT: 'GT',
  GE: 'GE',
  IS_NULL: 'IS_NULL',
  NOT_NULL: 'NOT_NULL',
} as const;

export type CompareOp =
  | 'COMPARE_OP_UNSPECIFIED'
  | 0
  | 'EQ'
  | 1
  | 'NE'
  | 2
  | 'LT'
  | 3
  | 'LE'
  | 4
  | 'GT'
  | 5
  | 'GE'
  | 6
  | 'IS_NULL'
  | 7
  | 'NOT_NULL'
  | 8

export type CompareOp__Output = typeof CompareOp[keyof typeof CompareOp]
