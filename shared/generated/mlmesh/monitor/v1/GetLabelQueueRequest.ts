// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { Long } from '@grpc/proto-loader';

export interface GetLabelQueueRequest {
  'model'?: (string);
  /**
   * Empty: every version.
   */
  'version'?: (string);
  /**
   * Window indices to export; empty: every window whose queue is kept.
   */
  'windows'?: (number | string | Long)[];
  /**
   * Leave out rows that have received a label since.
   */
  'unlabelled_only'?: (boolean);
  /**
   * At most this many rows, oldest window first; 0 = 10000 (the most).
   */
  'limit'?: (number);
}

export interface GetLabelQueueRequest__Output {
  'model': (string);
  /**
   * Empty: every version.
   */
  'version': (string);
  /**
   * Window indices to export; empty: every window whose queue is kept.
   */
  'windows': (string)[];
  /**
   * Leave out rows that have received a label since.
   */
  'unlabelled_only': (boolean);
  /**
   * At most this many rows, oldest window first; 0 = 10000 (the most).
   */
  'limit': (number);
}
