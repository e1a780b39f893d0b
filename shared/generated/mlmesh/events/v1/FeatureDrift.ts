// Original file: protos/mlmesh/events/v1/events.proto


/**
 * The result of one feature's test inside a detector.
 */
export interface FeatureDrift {
  'feature'?: (string);
  'index'?: (number);
  /**
   * "ks" (numeric) or "chi2" (categorical).
   */
  'test'?: (string);
  'statistic'?: (number | string);
  'p_value'?: (number | string);
  /**
   * After the detector's correction over its features.
   */
  'p_value_corrected'?: (number | string);
  /**
   * Uncorrected decision p < alpha: says which feature moved.
   */
  'drifted'?: (boolean);
  /**
   * Effect sizes (numeric features): PSI on 10 reference-quantile bins, Wasserstein / reference std.
   */
  'psi'?: (number | string);
  'wasserstein_std'?: (number | string);
  /**
   * Categorical: categories seen in the window but never in the reference.
   */
  'unseen_categories'?: (string)[];
}

/**
 * The result of one feature's test inside a detector.
 */
export interface FeatureDrift__Output {
  'feature': (string);
  'index': (number);
  /**
   * "ks" (numeric) or "chi2" (categorical).
   */
  'test': (string);
  'statistic': (number);
  'p_value': (number);
  /**
   * After the detector's correction over its features.
   */
  'p_value_corrected': (number);
  /**
   * Uncorrected decision p < alpha: says which feature moved.
   */
  'drifted': (boolean);
  /**
   * Effect sizes (numeric features): PSI on 10 reference-quantile bins, Wasserstein / reference std.
   */
  'psi': (number);
  'wasserstein_std': (number);
  /**
   * Categorical: categories seen in the window but never in the reference.
   */
  'unseen_categories': (string)[];
}
