// Original file: protos/mlmesh/monitor/v1/monitor.proto


export interface GetStatusRequest {
  /**
   * Empty: every monitored model.
   */
  'model'?: (string);
}

export interface GetStatusRequest__Output {
  /**
   * Empty: every monitored model.
   */
  'model': (string);
}
