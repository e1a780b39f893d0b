// Original file: protos/mlmesh/monitor/v1/monitor.proto


export interface WatchReportsRequest {
  /**
   * Empty: every model.
   */
  'model'?: (string);
}

export interface WatchReportsRequest__Output {
  /**
   * Empty: every model.
   */
  'model': (string);
}
