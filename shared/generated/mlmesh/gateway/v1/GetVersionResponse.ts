// Original file: protos/mlmesh/gateway/v1/gateway.proto

import type { DeploymentVersion as _mlmesh_gateway_v1_DeploymentVersion, DeploymentVersion__Output as _mlmesh_gateway_v1_DeploymentVersion__Output } from '../../../mlmesh/gateway/v1/DeploymentVersion.js';

export interface GetVersionResponse {
  'api_version'?: (string);
  /**
   * The gateway's software version.
   */
  'server_version'?: (string);
  'deployments'?: (_mlmesh_gateway_v1_DeploymentVersion)[];
}

export interface GetVersionResponse__Output {
  'api_version': (string);
  /**
   * The gateway's software version.
   */
  'server_version': (string);
  'deployments': (_mlmesh_gateway_v1_DeploymentVersion__Output)[];
}
