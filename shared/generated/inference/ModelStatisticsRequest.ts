// Original file: protos/inference/grpc_service.proto


export interface ModelStatisticsRequest {
  /**
   * Empty: every model.
   */
  'name'?: (string);
  /**
   * Empty: every served version.
   */
  'version'?: (string);
}

export interface ModelStatisticsRequest__Output {
  /**
   * Empty: every model.
   */
  'name': (string);
  /**
   * Empty: every served version.
   */
  'version': (string);
}
