import type { FitRequest } from '../generated/mlmesh/preprocess/v1/FitRequest.js';
import type { FitResponse__Output } from '../generated/mlmesh/preprocess/v1/FitResponse.js';
import type { GetPipelineRequest } from '../generated/mlmesh/preprocess/v1/GetPipelineRequest.js';
import type { GetPipelineResponse__Output } from '../generated/mlmesh/preprocess/v1/GetPipelineResponse.js';
import type { ListPipelinesRequest } from '../generated/mlmesh/preprocess/v1/ListPipelinesRequest.js';
import type { ListPipelinesResponse__Output } from '../generated/mlmesh/preprocess/v1/ListPipelinesResponse.js';
import type { TransformRequest } from '../generated/mlmesh/preprocess/v1/TransformRequest.js';
import type { TransformResponse__Output } from '../generated/mlmesh/preprocess/v1/TransformResponse.js';
import { SERVICES } from './methods.js';
import type { CallOptions, ClientOptions } from './options.js';
import { ServiceClient } from './service-client.js';

/**
 * A client of the preprocessing service (`mlmesh.preprocess.v1.PreprocessService`): fitted
 * pipelines that turn raw records into the model's tensor. `transformTensor(response)` gives
 * the output as a Float32Array with its shape.
 */
export class PreprocessClient extends ServiceClient {
  /** @throws TypeError when an option is out of range. */
  constructor(address: string, options?: ClientOptions) {
    super(SERVICES.preprocess, address, options);
  }

  /**
   * Transform: runs a pipeline over records. Lenient mode lists refused rows in `errors`;
   * strict mode rejects with InvalidArgumentError whose `fieldViolations` name each
   * `records[i].column`. Retried on UNAVAILABLE (a pure function).
   */
  transform(request: TransformRequest, opts?: CallOptions): Promise<TransformResponse__Output> {
    return this.unary('Transform', request, opts);
  }
  /** Fit: fits a spec on CSV data and stores `name@version`. Long-running; not retried. */
  fit(request: FitRequest, opts?: CallOptions): Promise<FitResponse__Output> {
    return this.unary('Fit', request, opts);
  }
  /** GetPipeline: one stored pipeline with its artifact JSON. */
  getPipeline(request: GetPipelineRequest, opts?: CallOptions): Promise<GetPipelineResponse__Output> {
    return this.unary('GetPipeline', request, opts);
  }
  /** ListPipelines: stored pipelines (of one name, or all). */
  listPipelines(request: ListPipelinesRequest = {}, opts?: CallOptions): Promise<ListPipelinesResponse__Output> {
    return this.unary('ListPipelines', request, opts);
  }
}
