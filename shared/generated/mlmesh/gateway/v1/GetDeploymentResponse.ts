// Original file: protos/mlmesh/gateway/v1/gateway.proto

import type { DeploymentInfo as _mlmesh_gateway_v1_DeploymentInfo, DeploymentInfo__Output as _mlmesh_gateway_v1_DeploymentInfo__Output } from '../../../mlmesh/gateway/v1/DeploymentInfo.js';

export interface GetDeploymentResponse {
  'deployment'?: (_mlmesh_gateway_v1_DeploymentInfo | null);
  /**
   * The spec as loaded, canonical JSON (what sha256 is the hash of).
   */
  'spec_json'?: (string);
}

export interface GetDeploymentResponse__Output {
  'deployment': (_mlmesh_gateway_v1_DeploymentInfo__Output | null);
  /**
   * The spec as loaded, canonical JSON (what sha256 is the hash of).
   */
  'spec_json': (string);
}
