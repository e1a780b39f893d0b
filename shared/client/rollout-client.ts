import type { GetRolloutRequest } from '../generated/mlmesh/rollout/v1/GetRolloutRequest.js';
import type { ListRolloutsResponse__Output } from '../generated/mlmesh/rollout/v1/ListRolloutsResponse.js';
import type { Rollout__Output } from '../generated/mlmesh/rollout/v1/Rollout.js';
import type { RolloutActionRequest } from '../generated/mlmesh/rollout/v1/RolloutActionRequest.js';
import type { RolloutResponse__Output } from '../generated/mlmesh/rollout/v1/RolloutResponse.js';
import type { StartRolloutRequest } from '../generated/mlmesh/rollout/v1/StartRolloutRequest.js';
import { SERVICES } from './methods.js';
import type { CallOptions, ClientOptions } from './options.js';
import { ServiceClient } from './service-client.js';

/**
 * A client of the rollout service (`mlmesh.rollout.v1.RolloutService`, docs/rollout.md): canary
 * rollouts of a model version with analysis, promotion and roll-back.
 *
 * ```ts
 * const rollouts = new RolloutClient('127.0.0.1:8051');
 * await rollouts.startRollout({ model: 'digits_mlp', candidate: '2', plan: { steps: [1, 10, 100] } });
 * for await (const r of rollouts.watchRollout({ model: 'digits_mlp' })) console.log(r.state, r.candidate_percent);
 * ```
 */
export class RolloutClient extends ServiceClient {
  /** @throws TypeError when an option is out of range. */
  constructor(address: string, options?: ClientOptions) {
    super(SERVICES.rollout, address, options);
  }

  /** StartRollout: ALREADY_EXISTS while the model has an active rollout. Not retried. */
  startRollout(request: StartRolloutRequest, opts?: CallOptions): Promise<RolloutResponse__Output> {
    return this.unary('StartRollout', request, opts);
  }

  /** GetRollout: the model's current or last rollout (NOT_FOUND when none). */
  getRollout(request: GetRolloutRequest, opts?: CallOptions): Promise<RolloutResponse__Output> {
    return this.unary('GetRollout', request, opts);
  }

  /** ListRollouts: every model's current or last rollout. */
  listRollouts(opts?: CallOptions): Promise<ListRolloutsResponse__Output> {
    return this.unary('ListRollouts', {}, opts);
  }

  /** WatchRollout: the rollout now, then on every change, until it ends or the caller stops. No default deadline. */
  watchRollout(request: GetRolloutRequest, opts?: CallOptions): AsyncIterable<Rollout__Output> {
    return this.stream('WatchRollout', request, opts);
  }

  /** Pause: holds the rollout at its step. Not retried. */
  pause(request: RolloutActionRequest, opts?: CallOptions): Promise<RolloutResponse__Output> {
    return this.unary('Pause', request, opts);
  }

  /** Resume: a paused rollout goes on at its step (the step's hold starts again). Not retried. */
  resume(request: RolloutActionRequest, opts?: CallOptions): Promise<RolloutResponse__Output> {
    return this.unary('Resume', request, opts);
  }

  /** Promote: 100% to the candidate now. Not retried. */
  promote(request: RolloutActionRequest, opts?: CallOptions): Promise<RolloutResponse__Output> {
    return this.unary('Promote', request, opts);
  }

  /** Abort: rolls back now. Not retried. */
  abort(request: RolloutActionRequest, opts?: CallOptions): Promise<RolloutResponse__Output> {
    return this.unary('Abort', request, opts);
  }
}
