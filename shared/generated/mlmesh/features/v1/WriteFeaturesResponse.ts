// Original file: protos/mlmesh/features/v1/features.proto


export interface WriteFeaturesResponse {
  'written'?: (number);
}

export interface WriteFeaturesResponse__Output {
  'written': (number);
}
