// Original file: protos/mlmesh/retrainer/v1/retrainer.proto


/**
 * One rule of the gate.
 */
export interface GateCheck {
  /**
   * "min_accuracy", "max_log_loss", "max_rmse", "reference_margin", "drifted_gain", ...
   */
  'name'?: (string);
  'passed'?: (boolean);
  'value'?: (number | string);
  'threshold'?: (number | string);
  'detail'?: (string);
}

/**
 * One rule of the gate.
 */
export interface GateCheck__Output {
  /**
   * "min_accuracy", "max_log_loss", "max_rmse", "reference_margin", "drifted_gain", ...
   */
  'name': (string);
  'passed': (boolean);
  'value': (number);
  'threshold': (number);
  'detail': (string);
}
