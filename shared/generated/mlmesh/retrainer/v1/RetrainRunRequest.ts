// Original file: protos/mlmesh/retrainer/v1/retrainer.proto


export interface RetrainRunRequest {
  'model'?: (string);
  /**
   * For people and the run's trigger.
   */
  'reason'?: (string);
  /**
   * Who asked ("cli", a user name); recorded in the trigger.
   */
  'actor'?: (string);
}

export interface RetrainRunRequest__Output {
  'model': (string);
  /**
   * For people and the run's trigger.
   */
  'reason': (string);
  /**
   * Who asked ("cli", a user name); recorded in the trigger.
   */
  'actor': (string);
}
