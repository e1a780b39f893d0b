// Original file: protos/mlmesh/events/v1/events.proto

import type { EventMeta as _mlmesh_events_v1_EventMeta, EventMeta__Output as _mlmesh_events_v1_EventMeta__Output } from '../../../mlmesh/events/v1/EventMeta.js';
import type { Long } from '@grpc/proto-loader';

/**
 * A model version's live quality crossed its threshold on one window (monitor options
 * accuracyThreshold / maeThreshold): accuracy below it with 95% confidence (the Wilson interval's
 * upper bound below the threshold), or a regressor's MAE above it. Published once per window and
 * metric on mlmesh.events.quality.<model> with Nats-Msg-Id = alert_id.
 */
export interface QualityAlert {
  'meta'?: (_mlmesh_events_v1_EventMeta | null);
  /**
   * "<model>/<version>/<window_index>/<metric>".
   */
  'alert_id'?: (string);
  'model'?: (string);
  'version'?: (string);
  'window_index'?: (number | string | Long);
  /**
   * "accuracy" or "mae".
   */
  'metric'?: (string);
  'value'?: (number | string);
  'threshold'?: (number | string);
  /**
   * 95% Wilson interval of the accuracy (0 and 0 for mae).
   */
  'ci_low'?: (number | string);
  'ci_high'?: (number | string);
  /**
   * Labels (or numeric targets) the value rests on.
   */
  'labelled_rows'?: (number | string | Long);
  /**
   * The window's DriftReport when it is closed, else empty (the labels came while it was open).
   */
  'report_id'?: (string);
}

/**
 * A model version's live quality crossed its threshold on one window (monitor options
 * accuracyThreshold / maeThreshold): accuracy below it with 95% confidence (the Wilson interval's
 * upper bound below the threshold), or a regressor's MAE above it. Published once per window and
 * metric on mlmesh.events.quality.<model> with Nats-Msg-Id = alert_id.
 */
export interface QualityAlert__Output {
  'meta': (_mlmesh_events_v1_EventMeta__Output | null);
  /**
   * "<model>/<version>/<window_index>/<metric>".
   */
  'alert_id': (string);
  'model': (string);
  'version': (string);
  'window_index': (string);
  /**
   * "accuracy" or "mae".
   */
  'metric': (string);
  'value': (number);
  'threshold': (number);
  /**
   * 95% Wilson interval of the accuracy (0 and 0 for mae).
   */
  'ci_low': (number);
  'ci_high': (number);
  /**
   * Labels (or numeric targets) the value rests on.
   */
  'labelled_rows': (string);
  /**
   * The window's DriftReport when it is closed, else empty (the labels came while it was open).
   */
  'report_id': (string);
}
