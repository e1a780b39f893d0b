// Original file: protos/mlmesh/features/v1/features.proto

import type { Long } from '@grpc/proto-loader';

export interface MaterializeResponse {
  'rows_read'?: (number | string | Long);
  'values_written'?: (number | string | Long);
  'entities'?: (number);
}

export interface MaterializeResponse__Output {
  'rows_read': (string);
  'values_written': (string);
  'entities': (number);
}
