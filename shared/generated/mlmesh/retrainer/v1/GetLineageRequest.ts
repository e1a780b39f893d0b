// Original file: protos/mlmesh/retrainer/v1/retrainer.proto


export interface GetLineageRequest {
  'model'?: (string);
  'version'?: (string);
}

export interface GetLineageRequest__Output {
  'model': (string);
  'version': (string);
}
