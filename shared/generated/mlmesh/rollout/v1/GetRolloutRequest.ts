// Original file: protos/mlmesh/rollout/v1/rollout.proto


export interface GetRolloutRequest {
  'model'?: (string);
}

export interface GetRolloutRequest__Output {
  'model': (string);
}
