// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { ContingencyTest as _mlmesh_monitor_v1_ContingencyTest, ContingencyTest__Output as _mlmesh_monitor_v1_ContingencyTest__Output } from '../../../mlmesh/monitor/v1/ContingencyTest.js';
import type { Long } from '@grpc/proto-loader';

export interface SegmentMetrics {
  'segment'?: (string);
  'rows'?: (number | string | Long);
  /**
   * Rows per predicted class (index = class).
   */
  'class_counts'?: (number | string | Long)[];
  'mean_confidence'?: (number | string);
  'labelled_rows'?: (number | string | Long);
  'correct'?: (number | string | Long);
  'accuracy'?: (number | string);
  'ci_low'?: (number | string);
  'ci_high'?: (number | string);
  'numeric_rows'?: (number | string | Long);
  'mae'?: (number | string);
  /**
   * This segment against the others pooled; adjusted: Holm over the segments.
   */
  'rates'?: (_mlmesh_monitor_v1_ContingencyTest | null);
  'accuracy_test'?: (_mlmesh_monitor_v1_ContingencyTest | null);
  /**
   * An adjusted p-value below alpha / 2.
   */
  'flagged'?: (boolean);
}

export interface SegmentMetrics__Output {
  'segment': (string);
  'rows': (string);
  /**
   * Rows per predicted class (index = class).
   */
  'class_counts': (string)[];
  'mean_confidence': (number);
  'labelled_rows': (string);
  'correct': (string);
  'accuracy': (number);
  'ci_low': (number);
  'ci_high': (number);
  'numeric_rows': (string);
  'mae': (number);
  /**
   * This segment against the others pooled; adjusted: Holm over the segments.
   */
  'rates': (_mlmesh_monitor_v1_ContingencyTest__Output | null);
  'accuracy_test': (_mlmesh_monitor_v1_ContingencyTest__Output | null);
  /**
   * An adjusted p-value below alpha / 2.
   */
  'flagged': (boolean);
}
