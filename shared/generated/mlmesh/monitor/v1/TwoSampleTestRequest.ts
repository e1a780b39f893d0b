// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { Matrix as _mlmesh_monitor_v1_Matrix, Matrix__Output as _mlmesh_monitor_v1_Matrix__Output } from '../../../mlmesh/monitor/v1/Matrix.js';

export interface TwoSampleTestRequest {
  'reference'?: (_mlmesh_monitor_v1_Matrix | null);
  'test'?: (_mlmesh_monitor_v1_Matrix | null);
  /**
   * Detectors to run: "ks", "chi2", "mmd" (default: ks and mmd).
   */
  'detectors'?: (string)[];
  /**
   * Column indices treated as categorical (tested with chi2 instead of ks).
   */
  'categorical_columns'?: (number)[];
  'feature_names'?: (string)[];
  /**
   * Default 0.05.
   */
  'alpha'?: (number | string);
  /**
   * "bonferroni" (default), "bh", "none".
   */
  'correction'?: (string);
  /**
   * "gaussian" (default), "laplacian", "rational_quadratic".
   */
  'kernel'?: (string);
  /**
   * Default 1000.
   */
  'permutations'?: (number);
  /**
   * Seed of the permutations; 0 picks one from the data.
   */
  'seed'?: (number);
}

export interface TwoSampleTestRequest__Output {
  'reference': (_mlmesh_monitor_v1_Matrix__Output | null);
  'test': (_mlmesh_monitor_v1_Matrix__Output | null);
  /**
   * Detectors to run: "ks", "chi2", "mmd" (default: ks and mmd).
   */
  'detectors': (string)[];
  /**
   * Column indices treated as categorical (tested with chi2 instead of ks).
   */
  'categorical_columns': (number)[];
  'feature_names': (string)[];
  /**
   * Default 0.05.
   */
  'alpha': (number);
  /**
   * "bonferroni" (default), "bh", "none".
   */
  'correction': (string);
  /**
   * "gaussian" (default), "laplacian", "rational_quadratic".
   */
  'kernel': (string);
  /**
   * Default 1000.
   */
  'permutations': (number);
  /**
   * Seed of the permutations; 0 picks one from the data.
   */
  'seed': (number);
}
