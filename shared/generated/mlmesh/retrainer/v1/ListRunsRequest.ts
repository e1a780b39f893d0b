// Original file: protos/mlmesh/retrainer/v1/retrainer.proto


export interface ListRunsRequest {
  'model'?: (string);
  /**
   * At most this many (0: 100).
   */
  'limit'?: (number);
}

export interface ListRunsRequest__Output {
  'model': (string);
  /**
   * At most this many (0: 100).
   */
  'limit': (number);
}
