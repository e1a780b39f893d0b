// Original file: protos/mlmesh/events/v1/events.proto

import type { EventMeta as _mlmesh_events_v1_EventMeta, EventMeta__Output as _mlmesh_events_v1_EventMeta__Output } from '../../../mlmesh/events/v1/EventMeta.js';

/**
 * Ground truth for an earlier prediction, joined by request id (and row). Published on
 * mlmesh.feedback.<model>. A prediction of several rows is labelled with `labels` (one per row,
 * in the rows' order) or one row at a time with `label` and `row`.
 */
export interface Feedback {
  'meta'?: (_mlmesh_events_v1_EventMeta | null);
  'request_id'?: (string);
  'model'?: (string);
  /**
   * A class label: of the prediction's only row, or of row `row`.
   */
  'label'?: (string);
  /**
   * A numeric target.
   */
  'numeric'?: (number | string);
  /**
   * One class label per row of the prediction, in the rows' order (instead of `label`).
   */
  'labels'?: (string)[];
  /**
   * With `label`: the row of a multi-row prediction it labels (0-based). Unset: the
   * prediction must have one row.
   */
  'row'?: (number);
  'value'?: "label"|"numeric";
  /**
   * `row` has presence: a oneof of one field, named as protoc names the oneof of `optional int32
   * row` (same wire format, same presence), because protoc before 3.15 (Debian's grpc_tools has
   * 3.5.1) refuses proto3 `optional`: test/contract/protoc.test.ts compiles every .proto with it.
   */
  '_row'?: "row";
}

/**
 * Ground truth for an earlier prediction, joined by request id (and row). Published on
 * mlmesh.feedback.<model>. A prediction of several rows is labelled with `labels` (one per row,
 * in the rows' order) or one row at a time with `label` and `row`.
 */
export interface Feedback__Output {
  'meta': (_mlmesh_events_v1_EventMeta__Output | null);
  'request_id': (string);
  'model': (string);
  /**
   * A class label: of the prediction's only row, or of row `row`.
   */
  'label'?: (string);
  /**
   * A numeric target.
   */
  'numeric'?: (number);
  /**
   * One class label per row of the prediction, in the rows' order (instead of `label`).
   */
  'labels': (string)[];
  /**
   * With `label`: the row of a multi-row prediction it labels (0-based). Unset: the
   * prediction must have one row.
   */
  'row'?: (number);
  'value'?: "label"|"numeric";
  /**
   * `row` has presence: a oneof of one field, named as protoc names the oneof of `optional int32
   * row` (same wire format, same presence), because protoc before 3.15 (Debian's grpc_tools has
   * 3.5.1) refuses proto3 `optional`: test/contract/protoc.test.ts compiles every .proto with it.
   */
  '_row'?: "row";
}
