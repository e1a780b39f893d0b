// Original file: protos/mlmesh/monitor/v1/monitor.proto


export interface GetQualityRequest {
  'model'?: (string);
  /**
   * Empty: every version with feedback.
   */
  'version'?: (string);
}

export interface GetQualityRequest__Output {
  'model': (string);
  /**
   * Empty: every version with feedback.
   */
  'version': (string);
}
