// Original file: protos/mlmesh/monitor/v1/monitor.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A row sampled for labelling.
 */
export interface LabelQueueItem {
  'model'?: (string);
  'version'?: (string);
  'window_index'?: (number | string | Long);
  /**
   * Order in the window's sample (uncertainty picks first).
   */
  'rank'?: (number);
  'request_id'?: (string);
  /**
   * Row within the prediction (0-based): send it back with the label.
   */
  'row'?: (number);
  /**
   * Why it was picked: "uncertain", "class:<k>", "value_q<1-5>" (a regressor's predicted-value
   * quintile) or "random".
   */
  'stratum'?: (string);
  /**
   * 1 = the window's least confident row with a request id (0: no confidence, e.g. a regressor).
   */
  'uncertainty_rank'?: (number);
  /**
   * Predicted class (as the label is written) or predicted value.
   */
  'prediction'?: (string);
  /**
   * Largest probability; 0 with has_confidence false for a regressor.
   */
  'confidence'?: (number | string);
  'has_confidence'?: (boolean);
  /**
   * The row's input values (empty when wider than 1024 columns or not logged).
   */
  'inputs'?: (number | string)[];
  'labelled'?: (boolean);
  'created_ms'?: (number | string | Long);
}

/**
 * A row sampled for labelling.
 */
export interface LabelQueueItem__Output {
  'model': (string);
  'version': (string);
  'window_index': (string);
  /**
   * Order in the window's sample (uncertainty picks first).
   */
  'rank': (number);
  'request_id': (string);
  /**
   * Row within the prediction (0-based): send it back with the label.
   */
  'row': (number);
  /**
   * Why it was picked: "uncertain", "class:<k>", "value_q<1-5>" (a regressor's predicted-value
   * quintile) or "random".
   */
  'stratum': (string);
  /**
   * 1 = the window's least confident row with a request id (0: no confidence, e.g. a regressor).
   */
  'uncertainty_rank': (number);
  /**
   * Predicted class (as the label is written) or predicted value.
   */
  'prediction': (string);
  /**
   * Largest probability; 0 with has_confidence false for a regressor.
   */
  'confidence': (number);
  'has_confidence': (boolean);
  /**
   * The row's input values (empty when wider than 1024 columns or not logged).
   */
  'inputs': (number)[];
  'labelled': (boolean);
  'created_ms': (string);
}
