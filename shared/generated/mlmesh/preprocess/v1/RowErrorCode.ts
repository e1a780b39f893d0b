// Original file: protos/mlmesh/preprocess/v1/preprocess.proto

/**
 * Why a row was refused.
 */
export const RowErrorCode = {
  ROW_ERROR_CODE_UNSPECIFIED: 'ROW_ERROR_CODE_UNSPECIFIED',
  /**
   * A required column is absent or null.
   */
  MISSING_REQUIRED: 'MISSING_REQUIRED',
  /**
   * The value's type is not the column's (e.g. a string for a numeric column).
   */
  WRONG_TYPE: 'WRONG_TYPE',
  /**
   * A category the pipeline has no encoding for (encoders with handle_unknown = error).
   */
  UNKNOWN_CATEGORY: 'UNKNOWN_CATEGORY',
  /**
   * Outside a step's domain (log of a value <= 0) or, with enforce_range, outside the range seen in training.
   */
  OUT_OF_RANGE: 'OUT_OF_RANGE',
  /**
   * NaN or infinity given as input, or an output feature that is not finite (e.g. a ratio by zero).
   */
  NOT_FINITE: 'NOT_FINITE',
  /**
   * A column the pipeline does not know (with unknown_columns = error, the default).
   */
  UNKNOWN_COLUMN: 'UNKNOWN_COLUMN',
} as const;

/**
 * Why a row was refused.
 */
export type RowErrorCode =
  | 'ROW_ERROR_CODE_UNSPECIFIED'
  | 0
  /**
   * A required column is absent or null.
   */
  | 'MISSING_REQUIRED'
  | 1
  /**
   * The value's type is not the column's (e.g. a string for a numeric column).
   */
  | 'WRONG_TYPE'
  | 2
  /**
   * A category the pipeline has no encoding for (encoders with handle_unknown = error).
   */
  | 'UNKNOWN_CATEGORY'
  | 3
  /**
   * Outside a step's domain (log of a value <= 0) or, with enforce_range, outside the range seen in training.
   */
  | 'OUT_OF_RANGE'
  | 4
  /**
   * NaN or infinity given as input, or an output feature that is not finite (e.g. a ratio by zero).
   */
  | 'NOT_FINITE'
  | 5
  /**
   * A column the pipeline does not know (with unknown_columns = error, the default).
   */
  | 'UNKNOWN_COLUMN'
  | 6

/**
 * Why a row was refused.
 */
export type RowErrorCode__Output = typeof RowErrorCode[keyof typeof RowErrorCode]
