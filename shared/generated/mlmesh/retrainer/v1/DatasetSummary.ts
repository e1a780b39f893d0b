// Original file: protos/mlmesh/retrainer/v1/retrainer.proto

import type { SequenceRange as _mlmesh_retrainer_v1_SequenceRange, SequenceRange__Output as _mlmesh_retrainer_v1_SequenceRange__Output } from '../../../mlmesh/retrainer/v1/SequenceRange.js';
import type { PointInTimeSummary as _mlmesh_retrainer_v1_PointInTimeSummary, PointInTimeSummary__Output as _mlmesh_retrainer_v1_PointInTimeSummary__Output } from '../../../mlmesh/retrainer/v1/PointInTimeSummary.js';
import type { Long } from '@grpc/proto-loader';

/**
 * A dataset snapshot's summary (its manifest is the file at `path`).
 */
export interface DatasetSummary {
  /**
   * SHA-256 of the dataset manifest (dataset.json): the dataset's identity.
   */
  'sha256'?: (string);
  'path'?: (string);
  /**
   * Rows per source: "base" (the parent version's training data), "logged" (labelled logged inputs).
   */
  'rows_by_source'?: ({[key: string]: number | string | Long});
  'train_rows'?: (number | string | Long);
  'holdout_rows'?: (number | string | Long);
  /**
   * Logged prediction rows read, labelled among them, and their ratio.
   */
  'logged_rows'?: (number | string | Long);
  'labelled_rows'?: (number | string | Long);
  'label_coverage'?: (number | string);
  'ranges'?: (_mlmesh_retrainer_v1_SequenceRange)[];
  /**
   * Feedback messages read, and those naming no logged request (or a row it does not have).
   */
  'feedback_messages'?: (number | string | Long);
  'feedback_unmatched'?: (number | string | Long);
  /**
   * The base dataset (parent's training data) this one extends, by manifest SHA-256.
   */
  'base_sha256'?: (string);
  /**
   * The point-in-time feature rows of the labelled logged rows that came through a gateway
   * deployment (absent when none did).
   */
  'point_in_time'?: (_mlmesh_retrainer_v1_PointInTimeSummary | null);
}

/**
 * A dataset snapshot's summary (its manifest is the file at `path`).
 */
export interface DatasetSummary__Output {
  /**
   * SHA-256 of the dataset manifest (dataset.json): the dataset's identity.
   */
  'sha256': (string);
  'path': (string);
  /**
   * Rows per source: "base" (the parent version's training data), "logged" (labelled logged inputs).
   */
  'rows_by_source': ({[key: string]: string});
  'train_rows': (string);
  'holdout_rows': (string);
  /**
   * Logged prediction rows read, labelled among them, and their ratio.
   */
  'logged_rows': (string);
  'labelled_rows': (string);
  'label_coverage': (number);
  'ranges': (_mlmesh_retrainer_v1_SequenceRange__Output)[];
  /**
   * Feedback messages read, and those naming no logged request (or a row it does not have).
   */
  'feedback_messages': (string);
  'feedback_unmatched': (string);
  /**
   * The base dataset (parent's training data) this one extends, by manifest SHA-256.
   */
  'base_sha256': (string);
  /**
   * The point-in-time feature rows of the labelled logged rows that came through a gateway
   * deployment (absent when none did).
   */
  'point_in_time': (_mlmesh_retrainer_v1_PointInTimeSummary__Output | null);
}
