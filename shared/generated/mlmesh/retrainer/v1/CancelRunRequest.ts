// Original file: protos/mlmesh/retrainer/v1/retrainer.proto


export interface CancelRunRequest {
  'run_id'?: (string);
  'reason'?: (string);
}

export interface CancelRunRequest__Output {
  'run_id': (string);
  'reason': (string);
}
