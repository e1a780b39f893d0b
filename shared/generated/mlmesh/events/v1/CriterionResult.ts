// Original file: protos/mlmesh/events/v1/events.proto

import type { Long } from '@grpc/proto-loader';

/**
 * One criterion of a canary analysis, with its evidence.
 */
export interface CriterionResult {
  /**
   * "error_rate", "latency_p99_ratio", "prediction_distribution", "agreement", "accuracy", "drift".
   */
  'name'?: (string);
  /**
   * "waiting" (not enough data yet: never counts as passed), "passed", "failed", "disabled".
   */
  'state'?: (string);
  /**
   * What `statistic` is, e.g. "p99 ratio candidate/baseline", "chi-squared", "PSI".
   */
  'statistic_name'?: (string);
  'statistic'?: (number | string);
  /**
   * The threshold the statistic (or p-value) is held to, and in which direction it fails.
   */
  'threshold'?: (number | string);
  'p_value'?: (number | string);
  'has_p_value'?: (boolean);
  /**
   * Samples the verdict rests on, and how many are needed before it can be given.
   */
  'candidate_samples'?: (number | string | Long);
  'baseline_samples'?: (number | string | Long);
  'min_samples'?: (number | string | Long);
  /**
   * A sentence for people: what was compared and why it passed, failed or waits.
   */
  'detail'?: (string);
  /**
   * Criterion-specific numbers, e.g. candidate_error_rate, baseline_p99_ms, candidate_accuracy.
   */
  'details'?: ({[key: string]: number | string});
}

/**
 * One criterion of a canary analysis, with its evidence.
 */
export interface CriterionResult__Output {
  /**
   * "error_rate", "latency_p99_ratio", "prediction_distribution", "agreement", "accuracy", "drift".
   */
  'name': (string);
  /**
   * "waiting" (not enough data yet: never counts as passed), "passed", "failed", "disabled".
   */
  'state': (string);
  /**
   * What `statistic` is, e.g. "p99 ratio candidate/baseline", "chi-squared", "PSI".
   */
  'statistic_name': (string);
  'statistic': (number);
  /**
   * The threshold the statistic (or p-value) is held to, and in which direction it fails.
   */
  'threshold': (number);
  'p_value': (number);
  'has_p_value': (boolean);
  /**
   * Samples the verdict rests on, and how many are needed before it can be given.
   */
  'candidate_samples': (string);
  'baseline_samples': (string);
  'min_samples': (string);
  /**
   * A sentence for people: what was compared and why it passed, failed or waits.
   */
  'detail': (string);
  /**
   * Criterion-specific numbers, e.g. candidate_error_rate, baseline_p99_ms, candidate_accuracy.
   */
  'details': ({[key: string]: number});
}
