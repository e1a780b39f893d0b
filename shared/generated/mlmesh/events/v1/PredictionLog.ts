// Original file: protos/mlmesh/events/v1/events.proto

import type { EventMeta as _mlmesh_events_v1_EventMeta, EventMeta__Output as _mlmesh_events_v1_EventMeta__Output } from '../../../mlmesh/events/v1/EventMeta.js';
import type { Tensor as _mlmesh_events_v1_Tensor, Tensor__Output as _mlmesh_events_v1_Tensor__Output } from '../../../mlmesh/events/v1/Tensor.js';
import type { Long } from '@grpc/proto-loader';

/**
 * One prediction: what the model saw and said, with which version. Published on
 * mlmesh.predictions.<model>.<version> with Nats-Msg-Id = meta.event_id (one per prediction).
 */
export interface PredictionLog {
  'meta'?: (_mlmesh_events_v1_EventMeta | null);
  /**
   * The caller's request id (x-request-id, else the v2 id, else one the server made): what
   * Feedback joins on. Several predictions may share it.
   */
  'request_id'?: (string);
  'model'?: (string);
  'version'?: (string);
  /**
   * Time from receiving the request to having its answer, in microseconds.
   */
  'latency_us'?: (number | string | Long);
  /**
   * Empty when the model's config says not to log inputs (inputs_omitted is then true).
   */
  'inputs'?: (_mlmesh_events_v1_Tensor)[];
  'outputs'?: (_mlmesh_events_v1_Tensor)[];
  /**
   * Request parameters (string form), e.g. an entity id.
   */
  'parameters'?: ({[key: string]: string});
  /**
   * How the serving version was chosen: "weights" (the model's route, by weight), "sticky" (the
   * route, by the hash of the sticky key), "shadow" (a copy of a request sent to a shadow
   * version), or empty (the caller named the version, or the model has no route).
   */
  'route'?: (string);
  'inputs_omitted'?: (boolean);
  /**
   * Revision of the Route (KV bucket mlmesh_routes) that chose the version; 0 when there was none.
   */
  'route_revision'?: (number | string | Long);
  /**
   * True for a shadow copy: its outputs never reached the caller. Its request_id is the
   * original request's.
   */
  'shadow'?: (boolean);
}

/**
 * One prediction: what the model saw and said, with which version. Published on
 * mlmesh.predictions.<model>.<version> with Nats-Msg-Id = meta.event_id (one per prediction).
 */
export interface PredictionLog__Output {
  'meta': (_mlmesh_events_v1_EventMeta__Output | null);
  /**
   * The caller's request id (x-request-id, else the v2 id, else one the server made): what
   * Feedback joins on. Several predictions may share it.
   */
  'request_id': (string);
  'model': (string);
  'version': (string);
  /**
   * Time from receiving the request to having its answer, in microseconds.
   */
  'latency_us': (string);
  /**
   * Empty when the model's config says not to log inputs (inputs_omitted is then true).
   */
  'inputs': (_mlmesh_events_v1_Tensor__Output)[];
  'outputs': (_mlmesh_events_v1_Tensor__Output)[];
  /**
   * Request parameters (string form), e.g. an entity id.
   */
  'parameters': ({[key: string]: string});
  /**
   * How the serving version was chosen: "weights" (the model's route, by weight), "sticky" (the
   * route, by the hash of the sticky key), "shadow" (a copy of a request sent to a shadow
   * version), or empty (the caller named the version, or the model has no route).
   */
  'route': (string);
  'inputs_omitted': (boolean);
  /**
   * Revision of the Route (KV bucket mlmesh_routes) that chose the version; 0 when there was none.
   */
  'route_revision': (string);
  /**
   * True for a shadow copy: its outputs never reached the caller. Its request_id is the
   * original request's.
   */
  'shadow': (boolean);
}
