// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { Long } from '@grpc/proto-loader';

export interface GetSegmentsRequest {
  'model'?: (string);
  /**
   * Empty: the newest version.
   */
  'version'?: (string);
  /**
   * Window range, inclusive; both 0 and to_window 0: every window the join holds. to_window 0
   * with from_window > 0: from that window on.
   */
  'from_window'?: (number | string | Long);
  'to_window'?: (number | string | Long);
}

export interface GetSegmentsRequest__Output {
  'model': (string);
  /**
   * Empty: the newest version.
   */
  'version': (string);
  /**
   * Window range, inclusive; both 0 and to_window 0: every window the join holds. to_window 0
   * with from_window > 0: from that window on.
   */
  'from_window': (string);
  'to_window': (string);
}
