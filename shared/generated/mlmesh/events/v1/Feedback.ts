// Original file: protos/mlmesh/events/v1/events.proto

import type { EventMeta as _mlmesh_events_v1_EventMeta, EventMeta__Output as _mlmesh_events_v1_EventMeta__Output } from '../../../mlmesh/events/v1/EventMeta.js';

/**
 * Ground truth for an earlier prediction, joined by request id. Published on
 * mlmesh.feedback.<model>.
 */
export interface Feedback {
  'meta'?: (_mlmesh_events_v1_EventMeta | null);
  'request_id'?: (string);
  'model'?: (string);
  /**
   * A class label.
   */
  'label'?: (string);
  /**
   * A numeric target.
   */
  'numeric'?: (number | string);
  'value'?: "label"|"numeric";
}

/**
 * Ground truth for an earlier prediction, joined by request id. Published on
 * mlmesh.feedback.<model>.
 */
export interface Feedback__Output {
  'meta': (_mlmesh_events_v1_EventMeta__Output | null);
  'request_id': (string);
  'model': (string);
  /**
   * A class label.
   */
  'label'?: (string);
  /**
   * A numeric target.
   */
  'numeric'?: (number);
  'value'?: "label"|"numeric";
}
