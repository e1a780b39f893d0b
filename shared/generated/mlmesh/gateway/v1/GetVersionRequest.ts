// Original file: protos/mlmesh/gateway/v1/gateway.proto


export interface GetVersionRequest {
}

export interface GetVersionRequest__Output {
}
