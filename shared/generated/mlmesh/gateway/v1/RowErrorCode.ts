// Original file: protos/mlmesh/gateway/v1/gateway.proto

/**
 * Why a row was not predicted.
 */
export const RowErrorCode = {
  ROW_ERROR_CODE_UNSPECIFIED: 'ROW_ERROR_CODE_UNSPECIFIED',
  /**
   * The entity field is absent, null or empty.
   */
  ENTITY_MISSING: 'ENTITY_MISSING',
  /**
   * A feature has no value (NOT_FOUND, NULL_VALUE) and the pipeline needs one.
   */
  FEATURE_MISSING: 'FEATURE_MISSING',
  /**
   * A feature's latest value is older than its max age and the pipeline needs one.
   */
  FEATURE_TOO_OLD: 'FEATURE_TOO_OLD',
  /**
   * A required request field is absent or null.
   */
  MISSING_FIELD: 'MISSING_FIELD',
  /**
   * A value of the wrong type, out of the pipeline's range, or not finite.
   */
  INVALID_VALUE: 'INVALID_VALUE',
  /**
   * A category the pipeline cannot encode.
   */
  UNKNOWN_CATEGORY: 'UNKNOWN_CATEGORY',
  /**
   * A request field the deployment does not know.
   */
  UNKNOWN_FIELD: 'UNKNOWN_FIELD',
} as const;

/**
 * Why a row was not predicted.
 */
export type RowErrorCode =
  | 'ROW_ERROR_CODE_UNSPECIFIED'
  | 0
  /**
   * The entity field is absent, null or empty.
   */
  | 'ENTITY_MISSING'
  | 1
  /**
   * A feature has no value (NOT_FOUND, NULL_VALUE) and the pipeline needs one.
   */
  | 'FEATURE_MISSING'
  | 2
  /**
   * A feature's latest value is older than its max age and the pipeline needs one.
   */
  | 'FEATURE_TOO_OLD'
  | 3
  /**
   * A required request field is absent or null.
   */
  | 'MISSING_FIELD'
  | 4
  /**
   * A value of the wrong type, out of the pipeline's range, or not finite.
   */
  | 'INVALID_VALUE'
  | 5
  /**
   * A category the pipeline cannot encode.
   */
  | 'UNKNOWN_CATEGORY'
  | 6
  /**
   * A request field the deployment does not know.
   */
  | 'UNKNOWN_FIELD'
  | 7

/**
 * Why a row was not predicted.
 */
export type RowErrorCode__Output = typeof RowErrorCode[keyof typeof RowErrorCode]
