// Original file: protos/mlmesh/features/v1/features.proto


export interface FloatVector {
  'values'?: (number | string)[];
}

export interface FloatVector__Output {
  'values': (number)[];
}
