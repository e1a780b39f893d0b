// Original file: protos/mlmesh/events/v1/events.proto

import type { RouteVersion as _mlmesh_events_v1_RouteVersion, RouteVersion__Output as _mlmesh_events_v1_RouteVersion__Output } from '../../../mlmesh/events/v1/RouteVersion.js';
import type { ShadowVersion as _mlmesh_events_v1_ShadowVersion, ShadowVersion__Output as _mlmesh_events_v1_ShadowVersion__Output } from '../../../mlmesh/events/v1/ShadowVersion.js';
import type { Long } from '@grpc/proto-loader';

/**
 * The traffic split of one model: the value of key <model> in the NATS KV bucket mlmesh_routes.
 * Every inference replica watches the bucket. ModelInfer without model_version is routed by it;
 * with model_version the named version serves. Written with compare-and-set on the KV entry's
 * revision, so two writers never overwrite each other unseen.
 */
export interface Route {
  'model'?: (string);
  /**
   * At least one, with a weight sum above 0; each version must be loaded on a replica for the
   * replica to apply the route (otherwise it keeps its last good route and reports the refusal).
   * The order matters: the versions cover [0, 1) in this order with intervals as wide as their
   * shares, and a request's point (random, or the sticky key's hash) picks one. A writer moving
   * traffic to a candidate lists it first and keeps the order, so a sticky caller only ever
   * moves to the candidate as its weight grows (docs/routing.md).
   */
  'versions'?: (_mlmesh_events_v1_RouteVersion)[];
  'shadows'?: (_mlmesh_events_v1_ShadowVersion)[];
  /**
   * What keeps a caller on one version while the weights hold: "none" (each request drawn at
   * random), "parameter" (the hash of request parameter `sticky_parameter`, e.g. an entity id;
   * requests without it are drawn at random), "request_id" (the hash of the request id).
   */
  'sticky'?: (string);
  'sticky_parameter'?: (string);
  /**
   * Per-model counter, one more on every write (the first route has revision 1). Carried into
   * responses (parameter mlmesh_route_revision) and prediction logs (route_revision).
   */
  'revision'?: (number | string | Long);
  /**
   * Who wrote it and why, e.g. "rollout r-1a2b step 2 (10%)" or "cli: mlmesh routes set".
   */
  'written_by'?: (string);
  'updated_unix_ms'?: (number | string | Long);
  /**
   * The rollout that wrote it, empty otherwise.
   */
  'rollout_id'?: (string);
}

/**
 * The traffic split of one model: the value of key <model> in the NATS KV bucket mlmesh_routes.
 * Every inference replica watches the bucket. ModelInfer without model_version is routed by it;
 * with model_version the named version serves. Written with compare-and-set on the KV entry's
 * revision, so two writers never overwrite each other unseen.
 */
export interface Route__Output {
  'model': (string);
  /**
   * At least one, with a weight sum above 0; each version must be loaded on a replica for the
   * replica to apply the route (otherwise it keeps its last good route and reports the refusal).
   * The order matters: the versions cover [0, 1) in this order with intervals as wide as their
   * shares, and a request's point (random, or the sticky key's hash) picks one. A writer moving
   * traffic to a candidate lists it first and keeps the order, so a sticky caller only ever
   * moves to the candidate as its weight grows (docs/routing.md).
   */
  'versions': (_mlmesh_events_v1_RouteVersion__Output)[];
  'shadows': (_mlmesh_events_v1_ShadowVersion__Output)[];
  /**
   * What keeps a caller on one version while the weights hold: "none" (each request drawn at
   * random), "parameter" (the hash of request parameter `sticky_parameter`, e.g. an entity id;
   * requests without it are drawn at random), "request_id" (the hash of the request id).
   */
  'sticky': (string);
  'sticky_parameter': (string);
  /**
   * Per-model counter, one more on every write (the first route has revision 1). Carried into
   * responses (parameter mlmesh_route_revision) and prediction logs (route_revision).
   */
  'revision': (string);
  /**
   * Who wrote it and why, e.g. "rollout r-1a2b step 2 (10%)" or "cli: mlmesh routes set".
   */
  'written_by': (string);
  'updated_unix_ms': (string);
  /**
   * The rollout that wrote it, empty otherwise.
   */
  'rollout_id': (string);
}
