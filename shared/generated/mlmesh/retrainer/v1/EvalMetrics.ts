// Original file: protos/mlmesh/retrainer/v1/retrainer.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Metrics of one model on one slice of the holdout.
 */
export interface EvalMetrics {
  'rows'?: (number | string | Long);
  /**
   * Classifiers.
   */
  'accuracy'?: (number | string);
  'log_loss'?: (number | string);
  /**
   * Class label -> recall (absent when the slice has no row of that class).
   */
  'per_class_recall'?: ({[key: string]: number | string});
  /**
   * Regressors.
   */
  'rmse'?: (number | string);
  'mae'?: (number | string);
}

/**
 * Metrics of one model on one slice of the holdout.
 */
export interface EvalMetrics__Output {
  'rows': (string);
  /**
   * Classifiers.
   */
  'accuracy': (number);
  'log_loss': (number);
  /**
   * Class label -> recall (absent when the slice has no row of that class).
   */
  'per_class_recall': ({[key: string]: number});
  /**
   * Regressors.
   */
  'rmse': (number);
  'mae': (number);
}
