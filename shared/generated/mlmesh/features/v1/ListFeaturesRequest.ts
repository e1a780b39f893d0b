// Original file: protos/mlmesh/features/v1/features.proto


export interface ListFeaturesRequest {
  /**
   * only this feature's versions; empty: all
   */
  'name'?: (string);
}

export interface ListFeaturesRequest__Output {
  /**
   * only this feature's versions; empty: all
   */
  'name': (string);
}
