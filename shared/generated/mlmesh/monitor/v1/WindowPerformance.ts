// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Feedback joined to the predictions of one window, whenever it arrived. A report is published
 * when its window closes, with an `accuracy` entry for the labels known then; labels that come
 * later are credited here, to the window (and version) of the prediction they label.
 */
export interface WindowPerformance {
  'report_id'?: (string);
  /**
   * Window rows that received a label, and how many the model got right.
   */
  'labelled_rows'?: (number | string | Long);
  'correct'?: (number | string | Long);
  /**
   * correct / labelled_rows (0 when nothing is labelled).
   */
  'accuracy'?: (number | string);
  /**
   * Of labelled_rows, those that arrived after the report was published.
   */
  'late_rows'?: (number | string | Long);
  /**
   * When the last label was joined, ms since the epoch (0: none yet).
   */
  'updated_ms'?: (number | string | Long);
  /**
   * 95% Wilson interval of accuracy (0 and 0 when nothing is labelled).
   */
  'ci_low'?: (number | string);
  'ci_high'?: (number | string);
  /**
   * Numeric feedback (regressors: a one-column output): targets joined, MAE and RMSE against them.
   */
  'numeric_rows'?: (number | string | Long);
  'mae'?: (number | string);
  'rmse'?: (number | string);
  /**
   * The window index (-1 for a version's total).
   */
  'window_index'?: (number | string | Long);
}

/**
 * Feedback joined to the predictions of one window, whenever it arrived. A report is published
 * when its window closes, with an `accuracy` entry for the labels known then; labels that come
 * later are credited here, to the window (and version) of the prediction they label.
 */
export interface WindowPerformance__Output {
  'report_id': (string);
  /**
   * Window rows that received a label, and how many the model got right.
   */
  'labelled_rows': (string);
  'correct': (string);
  /**
   * correct / labelled_rows (0 when nothing is labelled).
   */
  'accuracy': (number);
  /**
   * Of labelled_rows, those that arrived after the report was published.
   */
  'late_rows': (string);
  /**
   * When the last label was joined, ms since the epoch (0: none yet).
   */
  'updated_ms': (string);
  /**
   * 95% Wilson interval of accuracy (0 and 0 when nothing is labelled).
   */
  'ci_low': (number);
  'ci_high': (number);
  /**
   * Numeric feedback (regressors: a one-column output): targets joined, MAE and RMSE against them.
   */
  'numeric_rows': (string);
  'mae': (number);
  'rmse': (number);
  /**
   * The window index (-1 for a version's total).
   */
  'window_index': (string);
}
