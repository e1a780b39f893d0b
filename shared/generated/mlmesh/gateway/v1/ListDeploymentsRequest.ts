// Original file: protos/mlmesh/gateway/v1/gateway.proto


export interface ListDeploymentsRequest {
}

export interface ListDeploymentsRequest__Output {
}
