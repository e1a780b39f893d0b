// Original file: protos/mlmesh/gateway/v1/gateway.proto


export interface DeploymentVersion {
  'deployment'?: (string);
  'version'?: (string);
  'sha256'?: (string);
  'model_name'?: (string);
  /**
   * The model versions inference serves (newest last), as last reported.
   */
  'model_versions'?: (string)[];
  'pipeline'?: (string);
  'pipeline_sha256'?: (string);
  'feature_versions'?: (string)[];
}

export interface DeploymentVersion__Output {
  'deployment': (string);
  'version': (string);
  'sha256': (string);
  'model_name': (string);
  /**
   * The model versions inference serves (newest last), as last reported.
   */
  'model_versions': (string)[];
  'pipeline': (string);
  'pipeline_sha256': (string);
  'feature_versions': (string)[];
}
