// Original file: protos/mlmesh/gateway/v1/gateway.proto


export interface DeploymentInfo {
  'name'?: (string);
  'version'?: (string);
  'sha256'?: (string);
  'description'?: (string);
  'model_name'?: (string);
  'pipeline'?: (string);
  'pipeline_sha256'?: (string);
  'feature_versions'?: (string)[];
  /**
   * The file it was loaded from, and when (RFC 3339).
   */
  'file'?: (string);
  'loaded_at'?: (string);
  /**
   * Request fields a row may carry: entity fields first, then request_fields.
   */
  'request_fields'?: (string)[];
}

export interface DeploymentInfo__Output {
  'name': (string);
  'version': (string);
  'sha256': (string);
  'description': (string);
  'model_name': (string);
  'pipeline': (string);
  'pipeline_sha256': (string);
  'feature_versions': (string)[];
  /**
   * The file it was loaded from, and when (RFC 3339).
   */
  'file': (string);
  'loaded_at': (string);
  /**
   * Request fields a row may carry: entity fields first, then request_fields.
   */
  'request_fields': (string)[];
}
