// Original file: protos/inference/grpc_service.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A cumulative count and duration.
 */
export interface StatisticDuration {
  'count'?: (number | string | Long);
  /**
   * Total duration, in nanoseconds.
   */
  'ns'?: (number | string | Long);
}

/**
 * A cumulative count and duration.
 */
export interface StatisticDuration__Output {
  'count': (string);
  /**
   * Total duration, in nanoseconds.
   */
  'ns': (string);
}
