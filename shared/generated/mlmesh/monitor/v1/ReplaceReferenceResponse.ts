// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { Long } from '@grpc/proto-loader';

export interface ReplaceReferenceResponse {
  'rows'?: (number | string | Long);
  'sha256'?: (string);
  /**
   * The reference that was replaced (empty when there was none).
   */
  'previous_sha256'?: (string);
}

export interface ReplaceReferenceResponse__Output {
  'rows': (string);
  'sha256': (string);
  /**
   * The reference that was replaced (empty when there was none).
   */
  'previous_sha256': (string);
}
