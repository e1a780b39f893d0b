// Original file: protos/mlmesh/features/v1/features.proto


export interface GetFeatureRequest {
  /**
   * ref
   */
  'feature'?: (string);
}

export interface GetFeatureRequest__Output {
  /**
   * ref
   */
  'feature': (string);
}
