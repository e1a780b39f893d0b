import type { CancelRunRequest } from '../generated/mlmesh/retrainer/v1/CancelRunRequest.js';
import type { GetLineageRequest } from '../generated/mlmesh/retrainer/v1/GetLineageRequest.js';
import type { GetRunRequest } from '../generated/mlmesh/retrainer/v1/GetRunRequest.js';
import type { Lineage__Output } from '../generated/mlmesh/retrainer/v1/Lineage.js';
import type { ListRunsRequest } from '../generated/mlmesh/retrainer/v1/ListRunsRequest.js';
import type { ListRunsResponse__Output } from '../generated/mlmesh/retrainer/v1/ListRunsResponse.js';
import type { RetrainRunRequest } from '../generated/mlmesh/retrainer/v1/RetrainRunRequest.js';
import type { RunResponse__Output } from '../generated/mlmesh/retrainer/v1/RunResponse.js';
import type { RunUpdate__Output } from '../generated/mlmesh/retrainer/v1/RunUpdate.js';
import { SERVICES } from './methods.js';
import type { CallOptions, ClientOptions } from './options.js';
import { ServiceClient } from './service-client.js';

/**
 * A client of the retrainer (`mlmesh.retrainer.v1.RetrainerService`, docs/retrainer.md):
 * retraining runs (dataset → train → gate → register → rollout) and version lineage.
 *
 * ```ts
 * const retrainer = new RetrainerClient('127.0.0.1:8061');
 * const { run } = await retrainer.retrain({ model: 'digits_mlp', reason: 'new labels' });
 * for await (const u of retrainer.watchRun({ run_id: run!.id })) console.log(u.run?.stage, u.log_lines.join('\n'));
 * ```
 */
export class RetrainerClient extends ServiceClient {
  /** @throws TypeError when an option is out of range. */
  constructor(address: string, options?: ClientOptions) {
    super(SERVICES.retrainer, address, options);
  }

  /** Retrain: starts a run now, or joins the model's active run (`coalesced`). Not retried. */
  retrain(request: RetrainRunRequest, opts?: CallOptions): Promise<RunResponse__Output> {
    return this.unary('Retrain', request, opts);
  }

  /** ListRuns: newest first, of one model or all. */
  listRuns(request: ListRunsRequest = {}, opts?: CallOptions): Promise<ListRunsResponse__Output> {
    return this.unary('ListRuns', request, opts);
  }

  /** GetRun: NOT_FOUND for an unknown id. */
  getRun(request: GetRunRequest, opts?: CallOptions): Promise<RunResponse__Output> {
    return this.unary('GetRun', request, opts);
  }

  /** WatchRun: the run now, then on every change and training output line, until it ends. No default deadline. */
  watchRun(request: GetRunRequest, opts?: CallOptions): AsyncIterable<RunUpdate__Output> {
    return this.stream('WatchRun', request, opts);
  }

  /** CancelRun: FAILED_PRECONDITION once ended. Not retried. */
  cancelRun(request: CancelRunRequest, opts?: CallOptions): Promise<RunResponse__Output> {
    return this.unary('CancelRun', request, opts);
  }

  /** GetLineage: a version's provenance chain back to the first version. */
  getLineage(request: GetLineageRequest, opts?: CallOptions): Promise<Lineage__Output> {
    return this.unary('GetLineage', request, opts);
  }
}
