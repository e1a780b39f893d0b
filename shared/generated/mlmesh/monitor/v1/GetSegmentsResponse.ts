// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { SegmentMetrics as _mlmesh_monitor_v1_SegmentMetrics, SegmentMetrics__Output as _mlmesh_monitor_v1_SegmentMetrics__Output } from '../../../mlmesh/monitor/v1/SegmentMetrics.js';
import type { ContingencyTest as _mlmesh_monitor_v1_ContingencyTest, ContingencyTest__Output as _mlmesh_monitor_v1_ContingencyTest__Output } from '../../../mlmesh/monitor/v1/ContingencyTest.js';
import type { Long } from '@grpc/proto-loader';

export interface GetSegmentsResponse {
  'model'?: (string);
  'version'?: (string);
  /**
   * e.g. "parameter region" or "feature f3"; empty when the model has no segment setting.
   */
  'segment_by'?: (string);
  'from_window'?: (number | string | Long);
  'to_window'?: (number | string | Long);
  'alpha'?: (number | string);
  'segments'?: (_mlmesh_monitor_v1_SegmentMetrics)[];
  /**
   * Omnibus tests over every segment; adjusted: Bonferroni over the two.
   */
  'rates'?: (_mlmesh_monitor_v1_ContingencyTest | null);
  'accuracy'?: (_mlmesh_monitor_v1_ContingencyTest | null);
  'rows'?: (number | string | Long);
  'labelled_rows'?: (number | string | Long);
  /**
   * How the p-values are corrected for multiple comparisons.
   */
  'note'?: (string);
}

export interface GetSegmentsResponse__Output {
  'model': (string);
  'version': (string);
  /**
   * e.g. "parameter region" or "feature f3"; empty when the model has no segment setting.
   */
  'segment_by': (string);
  'from_window': (string);
  'to_window': (string);
  'alpha': (number);
  'segments': (_mlmesh_monitor_v1_SegmentMetrics__Output)[];
  /**
   * Omnibus tests over every segment; adjusted: Bonferroni over the two.
   */
  'rates': (_mlmesh_monitor_v1_ContingencyTest__Output | null);
  'accuracy': (_mlmesh_monitor_v1_ContingencyTest__Output | null);
  'rows': (string);
  'labelled_rows': (string);
  /**
   * How the p-values are corrected for multiple comparisons.
   */
  'note': (string);
}
