// Original file: protos/mlmesh/features/v1/features.proto


export interface FeatureList {
  'refs'?: (string)[];
}

export interface FeatureList__Output {
  'refs': (string)[];
}
