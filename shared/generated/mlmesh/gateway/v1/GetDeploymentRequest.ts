// Original file: protos/mlmesh/gateway/v1/gateway.proto


export interface GetDeploymentRequest {
  'name'?: (string);
}

export interface GetDeploymentRequest__Output {
  'name': (string);
}
