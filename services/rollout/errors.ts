import { Code, MlmeshError, UnavailableError } from '../../shared/errors/index.js';

/**
 * A compare-and-set write of a rollout's state lost: another writer (a controller replica, an
 * RPC) wrote it since it was read. ABORTED: read again; a controller that loses stands down
 * until its next tick.
 */
export class StateConflictError extends MlmeshError {
  constructor(
    readonly model: string,
    readonly expectedKvRevision: number,
    options?: { cause?: unknown },
  ) {
    super(Code.ABORTED, `rollout state of model '${model}' changed meanwhile (expected KV revision ${expectedKvRevision})`, { ...options, resource: { type: 'rollout', name: model } });
    this.name = 'StateConflictError';
  }
}

/** NATS is not reachable now: the rollout state cannot be read or written (UNAVAILABLE). */
export class NatsDownError extends UnavailableError {
  constructor() {
    super('nats unavailable: the rollout state (KV mlmesh_rollouts) cannot be read or written now; active rollouts are paused and the routes written keep serving');
    this.name = 'NatsDownError';
  }
}
