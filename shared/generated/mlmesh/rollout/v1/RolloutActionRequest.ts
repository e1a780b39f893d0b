// Original file: protos/mlmesh/rollout/v1/rollout.proto


export interface RolloutActionRequest {
  'model'?: (string);
  /**
   * For people and the event's reason.
   */
  'reason'?: (string);
}

export interface RolloutActionRequest__Output {
  'model': (string);
  /**
   * For people and the event's reason.
   */
  'reason': (string);
}
