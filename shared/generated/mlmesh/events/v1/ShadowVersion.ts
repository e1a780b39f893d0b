// Original file: protos/mlmesh/events/v1/events.proto


/**
 * A version that gets a copy of some routed requests, after the answer is sent.
 */
export interface ShadowVersion {
  'version'?: (string);
  /**
   * Share of routed requests copied to it, in percent (0 < percent <= 100), each request drawn
   * independently. A shadow must not also be a version of the route with a weight above 0 (a
   * version of weight 0 may be shadowed). Its outputs go only to the prediction log.
   */
  'percent'?: (number | string);
}

/**
 * A version that gets a copy of some routed requests, after the answer is sent.
 */
export interface ShadowVersion__Output {
  'version': (string);
  /**
   * Share of routed requests copied to it, in percent (0 < percent <= 100), each request drawn
   * independently. A shadow must not also be a version of the route with a weight above 0 (a
   * version of weight 0 may be shadowed). Its outputs go only to the prediction log.
   */
  'percent': (number);
}
