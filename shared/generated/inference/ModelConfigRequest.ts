// Original file: protos/inference/grpc_service.proto


export interface ModelConfigRequest {
  'name'?: (string);
  /**
   * Empty: the version the version policy serves (the latest).
   */
  'version'?: (string);
}

export interface ModelConfigRequest__Output {
  'name': (string);
  /**
   * Empty: the version the version policy serves (the latest).
   */
  'version': (string);
}
