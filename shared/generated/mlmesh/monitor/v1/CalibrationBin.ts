// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { Long } from '@grpc/proto-loader';

/**
 * One bin of the calibration diagram: labelled rows whose confidence is in [lo, hi).
 */
export interface CalibrationBin {
  'lo'?: (number | string);
  'hi'?: (number | string);
  'rows'?: (number | string | Long);
  'mean_confidence'?: (number | string);
  'accuracy'?: (number | string);
}

/**
 * One bin of the calibration diagram: labelled rows whose confidence is in [lo, hi).
 */
export interface CalibrationBin__Output {
  'lo': (number);
  'hi': (number);
  'rows': (string);
  'mean_confidence': (number);
  'accuracy': (number);
}
