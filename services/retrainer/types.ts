/**
 * The retrainer's internal contracts, shared by its parts (docs/retrainer.md):
 * - the dataset snapshot format (dataset.ts writes and reads it; the training command reads it);
 * - the model's `retraining` settings from config.json (settings.ts parses them);
 * - the training job (trainer.ts) and the gate (gate.ts).
 */
import type { RunnerSettings } from './kubernetes-job.js';

/** Format id of a dataset manifest (`dataset.json`). */
export const DATASET_FORMAT = 'mlmesh.dataset/v1';

/** Where a row came from: the parent version's training data, or a labelled logged prediction. */
export const SOURCE_BASE = 0;
export const SOURCE_LOGGED = 1;

/** The arrays of a snapshot, by role. */
export const DATASET_ARRAYS = ['train_x', 'train_y', 'train_source', 'holdout_x', 'holdout_y', 'holdout_source'] as const;
export type DatasetArray = (typeof DATASET_ARRAYS)[number];

/** One array file of a snapshot (numpy .npy, little-endian, C order). */
export interface DatasetFile {
  /** Relative to the folder of dataset.json (e.g. `train_x.npy`). */
  path: string;
  sha256: string;
  /** numpy dtype string: `<f4` for x (and a regressor's y), `<i8` for a classifier's y, `|u1` for source. */
  dtype: string;
  shape: number[];
}

/** One stream range read into the snapshot (the proto's SequenceRange, JSON-shaped). */
export interface DatasetRange {
  stream: string;
  subject: string;
  first_sequence: number;
  last_sequence: number;
  messages: number;
}

/**
 * `dataset.json`: the manifest of a dataset snapshot. A snapshot is the folder
 * `<repo>/<model>/datasets/<sha256 of dataset.json>/` holding dataset.json and the six .npy files
 * (content-addressed: the folder's name is the manifest's hash, and the manifest holds every
 * file's hash). x rows are the model's watched input tensor, flattened (float32); y is the
 * class index (int64, into `classes`) or the numeric target (float32); source is SOURCE_BASE or
 * SOURCE_LOGGED per row.
 */
export interface DatasetManifest {
  format: typeof DATASET_FORMAT;
  model: string;
  /** The serving version whose training data is the base (the candidate's parent); null for a first dataset. */
  parent_version: string | null;
  task: 'classification' | 'regression';
  /** Class labels in index order (classification). */
  classes: string[] | null;
  /** Columns of x. */
  feature_count: number;
  /** The watched input tensor's name (the training command's ONNX input must carry it). */
  input: string;
  files: Record<DatasetArray, DatasetFile>;
  sources: {
    /** The parent's training data: its dataset manifest's hash (null when there was none) and its rows (kept in their own split). */
    base: { dataset_sha256: string | null; train_rows: number; holdout_rows: number };
    /** Labelled logged rows: split by a seeded hash of (request id, row). */
    logged: { train_rows: number; holdout_rows: number; ranges: DatasetRange[] };
  };
  label_join: {
    logged_rows: number;
    labelled_rows: number;
    /** labelled_rows / logged_rows (0 when no rows). */
    coverage: number;
    feedback_messages: number;
    /** Feedback naming no logged request or a row it does not have, or a label not in `classes`. */
    feedback_unmatched: number;
  };
  split: { seed: number; holdout_fraction: number };
  /**
   * The point-in-time feature rows of the labelled logged rows that came through a gateway
   * deployment (point-in-time.ts); absent when none did, so a snapshot without them keeps the
   * bytes (and hash) it had before this section existed.
   */
  point_in_time?: PointInTimeManifest;
  created_at: string;
  produced_by: string;
}

/** dataset.json `point_in_time`: the CSV and the counts of how it was made. */
export interface PointInTimeManifest {
  /** The CSV in the snapshot's folder: name, SHA-256, data rows (the header not counted). */
  file: { path: string; sha256: string; rows: number };
  /** The feature service asked (gRPC target). */
  features_address: string;
  /** Each deployment read: `name@version`, the spec file's content hash, its pipeline, feature services, refs and entity fields. */
  deployments: { deployment: string; sha256: string; pipeline: string; feature_services: string[]; features: string[]; entity_fields: string[] }[];
  /** Rows asked for = found (every feature PRESENT) + missing features (one or more not). */
  rows_asked: number;
  rows_found: number;
  rows_missing_features: number;
  /** Labelled gateway rows not asked for, by reason. */
  rows_skipped: Record<string, number>;
  /** Logged tensors against the rebuilt ones: matched within `tolerance`, differed, and rows not compared by reason. */
  skew: { tolerance: number; checked: number; match: number; differ: number; max_abs_diff: number; unchecked: Record<string, number> };
  /** Rows logged without inputs whose model input was rebuilt (they are in the snapshot), and those not rebuilt by reason (they are not). */
  rebuilt: { rows: number; skipped: Record<string, number> };
}

/** A snapshot read back, every file's hash verified. */
export interface LoadedDataset {
  manifest: DatasetManifest;
  /** SHA-256 of dataset.json. */
  sha256: string;
  /** Absolute path of dataset.json. */
  path: string;
  train: DatasetPart;
  holdout: DatasetPart;
}

/** Rows × feature_count features, their targets and sources. */
export interface DatasetPart {
  rows: number;
  x: Float32Array;
  /** Class indices (classification) or targets (regression). */
  y: Float64Array;
  source: Uint8Array;
}

/** The gate's thresholds (config.json `retraining.gate`); every field optional there. */
export interface GateSettings {
  /** Classifier: the candidate's accuracy on the whole holdout must be at least this. */
  minAccuracy?: number;
  /** Classifier: its log loss at most this. */
  maxLogLoss?: number;
  /** Regressor: RMSE / MAE at most this. */
  maxRmse?: number;
  maxMae?: number;
  /**
   * On reference-like (base) holdout rows the candidate may be worse than the champion by at
   * most this: accuracy drop (classifier) or relative RMSE increase (regressor). Default 0.02.
   */
  referenceMargin: number;
  /**
   * On drifted (logged) holdout rows the candidate must beat the champion by more than this:
   * accuracy gain (classifier) or relative RMSE decrease (regressor). Default 0 (strictly better).
   */
  minDriftedGain: number;
  /** Fewer drifted holdout rows than this: refused (nothing to show it is better). Default 20. */
  minDriftedRows: number;
  /**
   * The candidate's advantage on the drifted rows must be significant: a one-sided exact paired
   * test on the rows where exactly one of the two models is right (classifier: McNemar's exact
   * test; regressor: a sign test on which absolute error is smaller) must give p below this.
   * Default 0.05. Without it a candidate trained on noise "wins" on a noisy holdout half the time.
   */
  driftedAlpha: number;
}

/** The model's config.json `retraining` section, validated and resolved. */
export interface RetrainingSettings {
  /** argv of the training command, placeholders {dataset} {output} {seed} {model} {parent_version} {run_id} filled by fillCommand. */
  command: string[];
  /** Working directory of the command: the model's folder in the repository. */
  cwd: string;
  /** Where the command runs: a child process of the retrainer, or a Kubernetes Job. */
  runner: RunnerSettings;
  timeoutMs: number;
  seed: number;
  holdoutFraction: number;
  task: 'classification' | 'regression';
  /** Class labels in index order; null: labels are the integers 0..K-1 as strings. */
  classes: string[] | null;
  /** Most logged rows read into one snapshot (the newest are kept). */
  maxLoggedRows: number;
  gate: GateSettings;
}

/** What a finished training job left in its output folder. */
export interface TrainingResult {
  /** Absolute path of output/model.onnx. */
  modelPath: string;
  /** metrics.json, numbers only (nested objects flattened with dots). */
  metrics: Record<string, number>;
  /** output/reference when the job wrote a drift reference (reference.json with inputs.npy/outputs.npy). */
  referenceDir: string | undefined;
  durationMs: number;
}

/** Metrics of one model on one slice (the proto's EvalMetrics, JSON-shaped). */
export interface SliceMetrics {
  rows: number;
  accuracy: number;
  log_loss: number;
  per_class_recall: Record<string, number>;
  rmse: number;
  mae: number;
}

/** The four evaluations the gate decides on. */
export interface GateEvaluation {
  candidate_reference: SliceMetrics;
  champion_reference: SliceMetrics;
  candidate_drifted: SliceMetrics;
  champion_drifted: SliceMetrics;
  /** Drifted rows where only the candidate is right (regressor: has the smaller absolute error), and where only the champion is. */
  drifted_pairs: { candidate_better: number; champion_better: number };
}
