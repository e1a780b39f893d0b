// Original file: protos/mlmesh/gateway/v1/gateway.proto

import type { Row as _mlmesh_gateway_v1_Row, Row__Output as _mlmesh_gateway_v1_Row__Output } from '../../../mlmesh/gateway/v1/Row.js';
import type { Long } from '@grpc/proto-loader';

export interface PredictRequest {
  /**
   * The deployment's name.
   */
  'deployment'?: (string);
  'rows'?: (_mlmesh_gateway_v1_Row)[];
  /**
   * Read features as of this time (ms since the epoch), for point-in-time replays; 0: now.
   */
  'as_of_ms'?: (number | string | Long);
}

export interface PredictRequest__Output {
  /**
   * The deployment's name.
   */
  'deployment': (string);
  'rows': (_mlmesh_gateway_v1_Row__Output)[];
  /**
   * Read features as of this time (ms since the epoch), for point-in-time replays; 0: now.
   */
  'as_of_ms': (string);
}
