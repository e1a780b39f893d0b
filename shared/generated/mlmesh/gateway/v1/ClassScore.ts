// Original file: protos/mlmesh/gateway/v1/gateway.proto


/**
 * One class and its score.
 */
export interface ClassScore {
  'label'?: (string);
  'score'?: (number | string);
  /**
   * Its column in the model's output.
   */
  'index'?: (number);
}

/**
 * One class and its score.
 */
export interface ClassScore__Output {
  'label': (string);
  'score': (number);
  /**
   * Its column in the model's output.
   */
  'index': (number);
}
