// Original file: protos/mlmesh/features/v1/features.proto

import type { Aggregation as _mlmesh_features_v1_Aggregation, Aggregation__Output as _mlmesh_features_v1_Aggregation__Output } from '../../../mlmesh/features/v1/Aggregation.js';
import type { Long } from '@grpc/proto-loader';

/**
 * Per entity, the aggregate of `column` over the rows with event time in (t - window_ms, t],
 * emitted at every t where it changes (a row enters or leaves the window). Rows become
 * (entity, t, output); other columns are dropped. Nulls are skipped; an empty window yields
 * null (0 for COUNT and SUM).
 */
export interface WindowTransform {
  'column'?: (string);
  'aggregation'?: (_mlmesh_features_v1_Aggregation);
  'window_ms'?: (number | string | Long);
  'output'?: (string);
}

/**
 * Per entity, the aggregate of `column` over the rows with event time in (t - window_ms, t],
 * emitted at every t where it changes (a row enters or leaves the window). Rows become
 * (entity, t, output); other columns are dropped. Nulls are skipped; an empty window yields
 * null (0 for COUNT and SUM).
 */
export interface WindowTransform__Output {
  'column': (string);
  'aggregation': (_mlmesh_features_v1_Aggregation__Output);
  'window_ms': (string);
  'output': (string);
}
