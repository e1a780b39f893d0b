// Original file: protos/mlmesh/features/v1/features.proto

/**
 * Why a value is (or is not) there. NULL_VALUE rather than NULL: NULL is a macro in C and C++
 * code generated from this file.
 */
export const FeatureStatus = {
  FEATURE_STATUS_UNSPECIFIED: 'FEATURE_STATUS_UNSPECIFIED',
  /**
   * a value was found
   */
  PRESENT: 'PRESENT',
  /**
   * no value at or before the read time
   */
  NOT_FOUND: 'NOT_FOUND',
  /**
   * the value found is null
   */
  NULL_VALUE: 'NULL_VALUE',
  /**
   * the latest value is older than the feature's max age: value left unset, its event time given
   */
  OUTSIDE_MAX_AGE: 'OUTSIDE_MAX_AGE',
} as const;

/**
 * Why a value is (or is not) there. NULL_VALUE rather than NULL: NULL is a macro in C and C++
 * code generated from this file.
 */
export type FeatureStatus =
  | 'FEATURE_STATUS_UNSPECIFIED'
  | 0
  /**
   * a value was found
   */
  | 'PRESENT'
  | 1
  /**
   * no value at or before the read time
   */
  | 'NOT_FOUND'
  | 2
  /**
   * the value found is null
   */
  | 'NULL_VALUE'
  | 3
  /**
   * the latest value is older than the feature's max age: value left unset, its event time given
   */
  | 'OUTSIDE_MAX_AGE'
  | 4

/**
 * Why a value is (or is not) there. NULL_VALUE rather than NULL: NULL is a macro in C and C++
 * code generated from this file.
 */
export type FeatureStatus__Output = typeof FeatureStatus[keyof typeof FeatureStatus]
