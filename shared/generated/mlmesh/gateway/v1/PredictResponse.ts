// Original file: protos/mlmesh/gateway/v1/gateway.proto

import type { RowResult as _mlmesh_gateway_v1_RowResult, RowResult__Output as _mlmesh_gateway_v1_RowResult__Output } from '../../../mlmesh/gateway/v1/RowResult.js';

export interface PredictResponse {
  'rows'?: (_mlmesh_gateway_v1_RowResult)[];
  'deployment'?: (string);
  'deployment_version'?: (string);
  'deployment_sha256'?: (string);
  'model_name'?: (string);
  /**
   * The version that served this request's rows (empty when no row was predicted).
   */
  'model_version'?: (string);
  /**
   * The pipeline that ran, name@version, and its hash.
   */
  'pipeline'?: (string);
  'pipeline_sha256'?: (string);
  /**
   * The feature refs read (name@version), in the order of the deployment's groups.
   */
  'feature_versions'?: (string)[];
  /**
   * The x-request-id given (else one the gateway made); sent to every hop.
   */
  'request_id'?: (string);
  /**
   * The gateway API version, e.g. "mlmesh.gateway.v1".
   */
  'api_version'?: (string);
  /**
   * Rows predicted, rows with errors, rows served from the cache.
   */
  'predicted_rows'?: (number);
  'error_rows'?: (number);
  'cached_rows'?: (number);
}

export interface PredictResponse__Output {
  'rows': (_mlmesh_gateway_v1_RowResult__Output)[];
  'deployment': (string);
  'deployment_version': (string);
  'deployment_sha256': (string);
  'model_name': (string);
  /**
   * The version that served this request's rows (empty when no row was predicted).
   */
  'model_version': (string);
  /**
   * The pipeline that ran, name@version, and its hash.
   */
  'pipeline': (string);
  'pipeline_sha256': (string);
  /**
   * The feature refs read (name@version), in the order of the deployment's groups.
   */
  'feature_versions': (string)[];
  /**
   * The x-request-id given (else one the gateway made); sent to every hop.
   */
  'request_id': (string);
  /**
   * The gateway API version, e.g. "mlmesh.gateway.v1".
   */
  'api_version': (string);
  /**
   * Rows predicted, rows with errors, rows served from the cache.
   */
  'predicted_rows': (number);
  'error_rows': (number);
  'cached_rows': (number);
}
