// Original file: protos/mlmesh/preprocess/v1/preprocess.proto


export interface ListPipelinesRequest {
  /**
   * Only this name (empty: every name).
   */
  'name'?: (string);
}

export interface ListPipelinesRequest__Output {
  /**
   * Only this name (empty: every name).
   */
  'name': (string);
}
