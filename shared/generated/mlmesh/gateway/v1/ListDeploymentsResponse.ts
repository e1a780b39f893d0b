// Original file: protos/mlmesh/gateway/v1/gateway.proto

import type { DeploymentInfo as _mlmesh_gateway_v1_DeploymentInfo, DeploymentInfo__Output as _mlmesh_gateway_v1_DeploymentInfo__Output } from '../../../mlmesh/gateway/v1/DeploymentInfo.js';
import type { RefusedDeployment as _mlmesh_gateway_v1_RefusedDeployment, RefusedDeployment__Output as _mlmesh_gateway_v1_RefusedDeployment__Output } from '../../../mlmesh/gateway/v1/RefusedDeployment.js';

export interface ListDeploymentsResponse {
  'deployments'?: (_mlmesh_gateway_v1_DeploymentInfo)[];
  'refused'?: (_mlmesh_gateway_v1_RefusedDeployment)[];
}

export interface ListDeploymentsResponse__Output {
  'deployments': (_mlmesh_gateway_v1_DeploymentInfo__Output)[];
  'refused': (_mlmesh_gateway_v1_RefusedDeployment__Output)[];
}
