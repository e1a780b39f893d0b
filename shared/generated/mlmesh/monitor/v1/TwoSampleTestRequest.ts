// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { Matrix as _mlmesh_monitor_v1_Matrix, Matrix__Output as _mlmesh_monitor_v1_Matrix__Output } from '../../../mlmesh/monitor/v1/Matrix.js';

export interface TwoSampleTestRequest {
  /**
   * Input rows: reference and test sample, the same columns.
   */
  'reference'?: (_mlmesh_monitor_v1_Matrix | null);
  'test'?: (_mlmesh_monitor_v1_Matrix | null);
  /**
   * Detectors to run, the live path's: "ks", "chi2", "mmd" on the inputs; "bbsd", "confidence",
   * "predicted_class" on the outputs (reference_outputs and test_outputs). Default: every
   * detector whose data was sent (ks, mmd, chi2 when categorical_columns is set, and the output
   * detectors when outputs are sent).
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
   * Within ks, chi2 and bbsd: "bonferroni" (default), "bh", "none".
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
  /**
   * MMD length scale ℓ (bandwidth) in the inputs' units; 0 = the median heuristic on the reference.
   */
  'length_scale'?: (number | string);
  /**
   * The model's outputs on the reference and test rows (rows × classes, same rows as reference
   * and test): needed by bbsd, confidence and predicted_class.
   */
  'reference_outputs'?: (_mlmesh_monitor_v1_Matrix | null);
  'test_outputs'?: (_mlmesh_monitor_v1_Matrix | null);
  /**
   * "probabilities" (default) or "logits" (softmaxed first).
   */
  'output_kind'?: (string);
  /**
   * The decision over the detectors: "holm" (default) or "none" (any detector at alpha).
   */
  'detector_correction'?: (string);
}

export interface TwoSampleTestRequest__Output {
  /**
   * Input rows: reference and test sample, the same columns.
   */
  'reference': (_mlmesh_monitor_v1_Matrix__Output | null);
  'test': (_mlmesh_monitor_v1_Matrix__Output | null);
  /**
   * Detectors to run, the live path's: "ks", "chi2", "mmd" on the inputs; "bbsd", "confidence",
   * "predicted_class" on the outputs (reference_outputs and test_outputs). Default: every
   * detector whose data was sent (ks, mmd, chi2 when categorical_columns is set, and the output
   * detectors when outputs are sent).
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
   * Within ks, chi2 and bbsd: "bonferroni" (default), "bh", "none".
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
  /**
   * MMD length scale ℓ (bandwidth) in the inputs' units; 0 = the median heuristic on the reference.
   */
  'length_scale': (number);
  /**
   * The model's outputs on the reference and test rows (rows × classes, same rows as reference
   * and test): needed by bbsd, confidence and predicted_class.
   */
  'reference_outputs': (_mlmesh_monitor_v1_Matrix__Output | null);
  'test_outputs': (_mlmesh_monitor_v1_Matrix__Output | null);
  /**
   * "probabilities" (default) or "logits" (softmaxed first).
   */
  'output_kind': (string);
  /**
   * The decision over the detectors: "holm" (default) or "none" (any detector at alpha).
   */
  'detector_correction': (string);
}
