// Original file: protos/mlmesh/rollout/v1/rollout.proto


export interface ListRolloutsRequest {
}

export interface ListRolloutsRequest__Output {
}
