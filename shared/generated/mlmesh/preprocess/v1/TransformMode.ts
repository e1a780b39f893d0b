// Original file: protos/mlmesh/preprocess/v1/preprocess.proto

export const TransformMode = {
  /**
   * Valid rows are transformed; invalid ones are listed in `errors`.
   */
  LENIENT: 'LENIENT',
  /**
   * Any invalid row fails the whole request with INVALID_ARGUMENT listing the failures.
   */
  STRICT: 'STRICT',
} as const;

export type TransformMode =
  /**
   * Valid rows are transformed; invalid ones are listed in `errors`.
   */
  | 'LENIENT'
  | 0
  /**
   * Any invalid row fails the whole request with INVALID_ARGUMENT listing the failures.
   */
  | 'STRICT'
  | 1

export type TransformMode__Output = typeof TransformMode[keyof typeof TransformMode]
