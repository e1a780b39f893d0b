// Original file: protos/mlmesh/features/v1/features.proto

import type { Long } from '@grpc/proto-loader';

export interface EntityRow {
  'entity_id'?: (string);
  'time_ms'?: (number | string | Long);
}

export interface EntityRow__Output {
  'entity_id': (string);
  'time_ms': (string);
}
