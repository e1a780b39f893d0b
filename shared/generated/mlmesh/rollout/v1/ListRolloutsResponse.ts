// Original file: protos/mlmesh/rollout/v1/rollout.proto

import type { Rollout as _mlmesh_rollout_v1_Rollout, Rollout__Output as _mlmesh_rollout_v1_Rollout__Output } from '../../../mlmesh/rollout/v1/Rollout.js';

export interface ListRolloutsResponse {
  'rollouts'?: (_mlmesh_rollout_v1_Rollout)[];
}

export interface ListRolloutsResponse__Output {
  'rollouts': (_mlmesh_rollout_v1_Rollout__Output)[];
}
