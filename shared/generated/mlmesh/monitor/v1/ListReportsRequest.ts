// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { Long } from '@grpc/proto-loader';

export interface ListReportsRequest {
  'model'?: (string);
  /**
   * Empty: every version.
   */
  'version'?: (string);
  /**
   * Window end time range, ms since the epoch; 0 = unbounded.
   */
  'from_ms'?: (number | string | Long);
  'to_ms'?: (number | string | Long);
  /**
   * At most this many, the newest; 0 = 1000.
   */
  'limit'?: (number);
}

export interface ListReportsRequest__Output {
  'model': (string);
  /**
   * Empty: every version.
   */
  'version': (string);
  /**
   * Window end time range, ms since the epoch; 0 = unbounded.
   */
  'from_ms': (string);
  'to_ms': (string);
  /**
   * At most this many, the newest; 0 = 1000.
   */
  'limit': (number);
}
