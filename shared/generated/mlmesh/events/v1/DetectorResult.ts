// Original file: protos/mlmesh/events/v1/events.proto

import type { FeatureDrift as _mlmesh_events_v1_FeatureDrift, FeatureDrift__Output as _mlmesh_events_v1_FeatureDrift__Output } from '../../../mlmesh/events/v1/FeatureDrift.js';

/**
 * One detector's verdict on one window.
 */
export interface DetectorResult {
  /**
   * "ks", "chi2", "mmd", "bbsd", "confidence", "predicted_class", "accuracy", "c2st", "cvm", "ad",
   * "cosine"; and "cusum", the sequential detector over windows (no p-value; drifted = alarm),
   * and "online_mmd", the per-row online detector (no p-value; drifted = an alarm among the
   * window's rows); and "mmd_<kernel>" ("mmd_laplacian", …), MMD with a kernel of the model's
   * monitoring.mmd_kernels other than its kernel: shown only (details.shown_only = 1: not in the
   * window's decision, drifted always false, its own decision in details.alone_drifted).
   */
  'detector'?: (string);
  /**
   * What `statistic` is, e.g. "max KS D", "MMD² (unbiased, gaussian)", "Welch t".
   */
  'statistic_name'?: (string);
  'statistic'?: (number | string);
  /**
   * The detector's p-value after its correction (NaN-free: has_p_value says whether there is one).
   */
  'p_value'?: (number | string);
  'has_p_value'?: (boolean);
  'drifted'?: (boolean);
  /**
   * "bonferroni", "bh" or "none".
   */
  'correction'?: (string);
  'features'?: (_mlmesh_events_v1_FeatureDrift)[];
  /**
   * Detector-specific numbers, e.g. length_scale, permutations, reference_mean, window_mean.
   */
  'details'?: ({[key: string]: number | string});
  /**
   * Set when the detector could not run on this window (e.g. inputs omitted from the logs).
   */
  'skipped_reason'?: (string);
}

/**
 * One detector's verdict on one window.
 */
export interface DetectorResult__Output {
  /**
   * "ks", "chi2", "mmd", "bbsd", "confidence", "predicted_class", "accuracy", "c2st", "cvm", "ad",
   * "cosine"; and "cusum", the sequential detector over windows (no p-value; drifted = alarm),
   * and "online_mmd", the per-row online detector (no p-value; drifted = an alarm among the
   * window's rows); and "mmd_<kernel>" ("mmd_laplacian", …), MMD with a kernel of the model's
   * monitoring.mmd_kernels other than its kernel: shown only (details.shown_only = 1: not in the
   * window's decision, drifted always false, its own decision in details.alone_drifted).
   */
  'detector': (string);
  /**
   * What `statistic` is, e.g. "max KS D", "MMD² (unbiased, gaussian)", "Welch t".
   */
  'statistic_name': (string);
  'statistic': (number);
  /**
   * The detector's p-value after its correction (NaN-free: has_p_value says whether there is one).
   */
  'p_value': (number);
  'has_p_value': (boolean);
  'drifted': (boolean);
  /**
   * "bonferroni", "bh" or "none".
   */
  'correction': (string);
  'features': (_mlmesh_events_v1_FeatureDrift__Output)[];
  /**
   * Detector-specific numbers, e.g. length_scale, permutations, reference_mean, window_mean.
   */
  'details': ({[key: string]: number});
  /**
   * Set when the detector could not run on this window (e.g. inputs omitted from the logs).
   */
  'skipped_reason': (string);
}
