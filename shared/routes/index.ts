/**
 * Traffic routes between the versions of a model (issue 14): validation of a Route, the
 * RouteStore over NATS KV bucket mlmesh_routes (compare-and-set writes, watch), and the pure
 * per-request choice of the serving version and its shadow copies. Used by the inference
 * service, the rollout controller and the CLI.
 */
export { STICKY_MODES, stickyMode, routeViolations, validateRoute } from './validate.js';
export type { StickyMode } from './validate.js';
export { compileRoute, routeShares, stickyHash32, stickyPoint, versionAtPoint, chooseVersion, candidateSplit } from './choose.js';
export type { CompiledRoute, RouteChoice, RouteKind } from './choose.js';
export { RouteStore, routeKey } from './store.js';
export type { RouteEntry, RouteChange, RouteWatch, RouteStoreOptions } from './store.js';
export { RouteConflictError } from './errors.js';
