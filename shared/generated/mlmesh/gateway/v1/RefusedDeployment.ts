// Original file: protos/mlmesh/gateway/v1/gateway.proto


/**
 * A deployment file that was refused (the last good deployment of that name, if any, still serves).
 */
export interface RefusedDeployment {
  'file'?: (string);
  'name'?: (string);
  'version'?: (string);
  'reason'?: (string);
  /**
   * When it was refused (RFC 3339).
   */
  'refused_at'?: (string);
}

/**
 * A deployment file that was refused (the last good deployment of that name, if any, still serves).
 */
export interface RefusedDeployment__Output {
  'file': (string);
  'name': (string);
  'version': (string);
  'reason': (string);
  /**
   * When it was refused (RFC 3339).
   */
  'refused_at': (string);
}
