// Original file: protos/mlmesh/gateway/v1/gateway.proto

/**
 * A JSON-like null.
 */
export const NullValue = {
  NULL_VALUE: 'NULL_VALUE',
} as const;

/**
 * A JSON-like null.
 */
export type NullValue =
  | 'NULL_VALUE'
  | 0

/**
 * A JSON-like null.
 */
export type NullValue__Output = typeof NullValue[keyof typeof NullValue]
