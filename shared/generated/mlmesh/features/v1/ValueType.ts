// Original file: protos/mlmesh/features/v1/features.proto

export const ValueType = {
  VALUE_TYPE_UNSPECIFIED: 'VALUE_TYPE_UNSPECIFIED',
  /**
   * double
   */
  FLOAT: 'FLOAT',
  INT64: 'INT64',
  STRING: 'STRING',
  BOOL: 'BOOL',
  /**
   * float32 values
   */
  FLOAT_VECTOR: 'FLOAT_VECTOR',
} as const;

export type ValueType =
  | 'VALUE_TYPE_UNSPECIFIED'
  | 0
  /**
   * double
   */
  | 'FLOAT'
  | 1
  | 'INT64'
  | 2
  | 'STRING'
  | 3
  | 'BOOL'
  | 4
  /**
   * float32 values
   */
  | 'FLOAT_VECTOR'
  | 5

export type ValueType__Output = typeof ValueType[keyof typeof ValueType]
