// Original file: protos/mlmesh/features/v1/features.proto

import type { Long } from '@grpc/proto-loader';

export interface MaterializeResponse {
  'rows_read'?: (number | string | Long);
  'values_written'?: (number | string | Long);
  'entities'?: (number);
  /**
   * What the caller should know: values older than the retention (pruned on write), a source
   * whose rows all fall outside the range.
   */
  'warnings'?: (string)[];
}

export interface MaterializeResponse__Output {
  'rows_read': (string);
  'values_written': (string);
  'entities': (number);
  /**
   * What the caller should know: values older than the retention (pruned on write), a source
   * whose rows all fall outside the range.
   */
  'warnings': (string)[];
}
