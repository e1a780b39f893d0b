// Original file: protos/mlmesh/monitor/v1/monitor.proto


export interface GetReportRequest {
  /**
   * "<model>/<version>/<window_index>".
   */
  'report_id'?: (string);
}

export interface GetReportRequest__Output {
  /**
   * "<model>/<version>/<window_index>".
   */
  'report_id': (string);
}
