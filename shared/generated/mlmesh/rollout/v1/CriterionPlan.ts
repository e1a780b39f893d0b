// Original file: protos/mlmesh/rollout/v1/rollout.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Thresholds of one criterion. Zero fields take the model config's, then the defaults
 * (docs/rollout.md lists them).
 */
export interface CriterionPlan {
  /**
   * "" (the default for this criterion), "on" or "off".
   */
  'enabled'?: (string);
  /**
   * The effect size the candidate must exceed to fail (its meaning is per criterion: an absolute
   * error-rate margin, a p99 ratio, a PSI, an agreement or accuracy margin).
   */
  'threshold'?: (number | string);
  /**
   * Significance level of the criterion's test.
   */
  'alpha'?: (number | string);
  /**
   * Samples needed on each side before a verdict (requests, labels or pairs).
   */
  'min_samples'?: (number | string | Long);
}

/**
 * Thresholds of one criterion. Zero fields take the model config's, then the defaults
 * (docs/rollout.md lists them).
 */
export interface CriterionPlan__Output {
  /**
   * "" (the default for this criterion), "on" or "off".
   */
  'enabled': (string);
  /**
   * The effect size the candidate must exceed to fail (its meaning is per criterion: an absolute
   * error-rate margin, a p99 ratio, a PSI, an agreement or accuracy margin).
   */
  'threshold': (number);
  /**
   * Significance level of the criterion's test.
   */
  'alpha': (number);
  /**
   * Samples needed on each side before a verdict (requests, labels or pairs).
   */
  'min_samples': (string);
}
