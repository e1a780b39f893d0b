// Original file: protos/mlmesh/events/v1/events.proto


/**
 * One version of a Route and its weight.
 */
export interface RouteVersion {
  'version'?: (string);
  /**
   * Relative weight: the version's share of traffic is weight / (sum of the route's weights).
   * 0 keeps the version named (still callable by version) but sends it no routed traffic.
   */
  'weight'?: (number);
}

/**
 * One version of a Route and its weight.
 */
export interface RouteVersion__Output {
  'version': (string);
  /**
   * Relative weight: the version's share of traffic is weight / (sum of the route's weights).
   * 0 keeps the version named (still callable by version) but sends it no routed traffic.
   */
  'weight': (number);
}
