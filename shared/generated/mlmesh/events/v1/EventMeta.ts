// Original file: protos/mlmesh/events/v1/events.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Fields every event shares.
 */
export interface EventMeta {
  /**
   * Unique id of this event, also its Nats-Msg-Id. For a PredictionLog: an id the inference
   * server makes for each prediction (a UUID), not the request id, which callers may reuse.
   */
  'event_id'?: (string);
  /**
   * When the event happened, in milliseconds since the Unix epoch.
   */
  'time_unix_ms'?: (number | string | Long);
  /**
   * The service (and replica) that produced it, e.g. "inference@host-1234".
   */
  'source'?: (string);
  /**
   * Version of the producing software.
   */
  'producer_version'?: (string);
}

/**
 * Fields every event shares.
 */
export interface EventMeta__Output {
  /**
   * Unique id of this event, also its Nats-Msg-Id. For a PredictionLog: an id the inference
   * server makes for each prediction (a UUID), not the request id, which callers may reuse.
   */
  'event_id': (string);
  /**
   * When the event happened, in milliseconds since the Unix epoch.
   */
  'time_unix_ms': (string);
  /**
   * The service (and replica) that produced it, e.g. "inference@host-1234".
   */
  'source': (string);
  /**
   * Version of the producing software.
   */
  'producer_version': (string);
}
