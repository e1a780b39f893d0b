// Original file: protos/mlmesh/features/v1/features.proto


export interface ListFeatureServicesRequest {
}

export interface ListFeatureServicesRequest__Output {
}
