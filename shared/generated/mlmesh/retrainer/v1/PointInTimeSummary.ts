// Original file: protos/mlmesh/retrainer/v1/retrainer.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Point-in-time feature rows of a snapshot (docs/retrainer.md, "Point-in-time feature rows"):
 * for each labelled row logged through a gateway deployment, GetHistoricalFeatures of the
 * deployment's features for the row's entity at the time the gateway read them.
 */
export interface PointInTimeSummary {
  /**
   * The CSV file in the snapshot's folder, and its SHA-256 (also in dataset.json).
   */
  'path'?: (string);
  'sha256'?: (string);
  /**
   * Rows in the file.
   */
  'rows'?: (number | string | Long);
  /**
   * The feature service asked (gRPC target).
   */
  'features_address'?: (string);
  /**
   * Deployments (name@version) whose rows are in the file, and the feature refs read.
   */
  'deployments'?: (string)[];
  'feature_versions'?: (string)[];
  /**
   * Labelled gateway rows asked for; found with every feature PRESENT; with one or more not
   * (NOT_FOUND, NULL_VALUE, OUTSIDE_MAX_AGE: an unknown entity is one). asked = found + missing.
   */
  'rows_asked'?: (number | string | Long);
  'rows_found'?: (number | string | Long);
  'rows_missing_features'?: (number | string | Long);
  /**
   * Labelled gateway rows not asked for, by reason (deployment_unknown, deployment_version_mismatch,
   * entity_not_logged, malformed_parameters).
   */
  'rows_skipped'?: ({[key: string]: number | string | Long});
  /**
   * Rows with a logged input tensor whose point-in-time row was transformed again by the
   * deployment's pipeline and compared with it: within 1e-5 in every column, or not (training/
   * serving skew); and rows not compared, by reason (request_field_not_logged, ...).
   */
  'skew_checked'?: (number | string | Long);
  'skew_match'?: (number | string | Long);
  'skew_differ'?: (number | string | Long);
  'skew_unchecked'?: ({[key: string]: number | string | Long});
  /**
   * Rows logged without inputs whose model input was rebuilt from the point-in-time row and the
   * logged request fields (they enter the snapshot), and those that could not be, by reason
   * (they do not).
   */
  'rebuilt_rows'?: (number | string | Long);
  'rebuild_skipped'?: ({[key: string]: number | string | Long});
  /**
   * The largest absolute difference seen between a logged and a rebuilt tensor value.
   */
  'max_abs_diff'?: (number | string);
}

/**
 * Point-in-time feature rows of a snapshot (docs/retrainer.md, "Point-in-time feature rows"):
 * for each labelled row logged through a gateway deployment, GetHistoricalFeatures of the
 * deployment's features for the row's entity at the time the gateway read them.
 */
export interface PointInTimeSummary__Output {
  /**
   * The CSV file in the snapshot's folder, and its SHA-256 (also in dataset.json).
   */
  'path': (string);
  'sha256': (string);
  /**
   * Rows in the file.
   */
  'rows': (string);
  /**
   * The feature service asked (gRPC target).
   */
  'features_address': (string);
  /**
   * Deployments (name@version) whose rows are in the file, and the feature refs read.
   */
  'deployments': (string)[];
  'feature_versions': (string)[];
  /**
   * Labelled gateway rows asked for; found with every feature PRESENT; with one or more not
   * (NOT_FOUND, NULL_VALUE, OUTSIDE_MAX_AGE: an unknown entity is one). asked = found + missing.
   */
  'rows_asked': (string);
  'rows_found': (string);
  'rows_missing_features': (string);
  /**
   * Labelled gateway rows not asked for, by reason (deployment_unknown, deployment_version_mismatch,
   * entity_not_logged, malformed_parameters).
   */
  'rows_skipped': ({[key: string]: string});
  /**
   * Rows with a logged input tensor whose point-in-time row was transformed again by the
   * deployment's pipeline and compared with it: within 1e-5 in every column, or not (training/
   * serving skew); and rows not compared, by reason (request_field_not_logged, ...).
   */
  'skew_checked': (string);
  'skew_match': (string);
  'skew_differ': (string);
  'skew_unchecked': ({[key: string]: string});
  /**
   * Rows logged without inputs whose model input was rebuilt from the point-in-time row and the
   * logged request fields (they enter the snapshot), and those that could not be, by reason
   * (they do not).
   */
  'rebuilt_rows': (string);
  'rebuild_skipped': ({[key: string]: string});
  /**
   * The largest absolute difference seen between a logged and a rebuilt tensor value.
   */
  'max_abs_diff': (number);
}
