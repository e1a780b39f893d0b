// Original file: protos/mlmesh/features/v1/features.proto


export interface GetFeatureServiceRequest {
  'name'?: (string);
}

export interface GetFeatureServiceRequest__Output {
  'name': (string);
}
