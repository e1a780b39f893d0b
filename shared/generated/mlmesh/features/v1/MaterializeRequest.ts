// Original file: protos/mlmesh/features/v1/features.proto

import type { Long } from '@grpc/proto-loader';

export interface MaterializeRequest {
  /**
   * ref
   */
  'feature'?: (string);
  /**
   * values with event time in [start_ms, end_ms) are written
   */
  'start_ms'?: (number | string | Long);
  'end_ms'?: (number | string | Long);
}

export interface MaterializeRequest__Output {
  /**
   * ref
   */
  'feature': (string);
  /**
   * values with event time in [start_ms, end_ms) are written
   */
  'start_ms': (string);
  'end_ms': (string);
}
