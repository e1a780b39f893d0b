import type * as grpc from '@grpc/grpc-js';
import { createClient, loadProtos, unaryCall } from '../../shared/grpc/index.js';
import type { ClientOptions } from '../../shared/grpc/index.js';
import type { FitRequest } from '../../shared/generated/mlmesh/preprocess/v1/FitRequest.js';
import type { FitResponse__Output } from '../../shared/generated/mlmesh/preprocess/v1/FitResponse.js';
import type { GetPipelineResponse__Output } from '../../shared/generated/mlmesh/preprocess/v1/GetPipelineResponse.js';
import type { ListPipelinesResponse__Output } from '../../shared/generated/mlmesh/preprocess/v1/ListPipelinesResponse.js';
import type { PipelineRef } from '../../shared/generated/mlmesh/preprocess/v1/PipelineRef.js';
import type { PreprocessServiceClient } from '../../shared/generated/mlmesh/preprocess/v1/PreprocessService.js';
import type { TransformRequest } from '../../shared/generated/mlmesh/preprocess/v1/TransformRequest.js';
import type { TransformResponse__Output } from '../../shared/generated/mlmesh/preprocess/v1/TransformResponse.js';
import { PREPROCESS_PROTO, PREPROCESS_SERVICE } from './service.js';

/** Per-call options. */
export interface PreprocessCallOptions {
  /** Deadline from now, in ms. @default none */
  deadlineMs?: number;
  metadata?: grpc.Metadata;
}

let pkg: ReturnType<typeof loadProtos> | undefined;

/** A promise-based client of `mlmesh.preprocess.v1.PreprocessService` (types generated from the .proto). */
export class PreprocessClient {
  /** The underlying grpc-js client. */
  readonly raw: PreprocessServiceClient;

  constructor(address: string, opts: ClientOptions = {}) {
    pkg ??= loadProtos([PREPROCESS_PROTO]);
    this.raw = createClient<PreprocessServiceClient>(pkg, PREPROCESS_SERVICE, address, opts);
  }

  private call<Req, Res>(method: string, req: Req, opts?: PreprocessCallOptions): Promise<Res> {
    return unaryCall<Req, Res>(this.raw, method, req, opts);
  }

  transform(req: TransformRequest, opts?: PreprocessCallOptions): Promise<TransformResponse__Output> {
    return this.call('Transform', req, opts);
  }
  fit(req: FitRequest, opts?: PreprocessCallOptions): Promise<FitResponse__Output> {
    return this.call('Fit', req, opts);
  }
  getPipeline(pipeline: PipelineRef, opts?: PreprocessCallOptions): Promise<GetPipelineResponse__Output> {
    return this.call('GetPipeline', { pipeline }, opts);
  }
  listPipelines(name = '', opts?: PreprocessCallOptions): Promise<ListPipelinesResponse__Output> {
    return this.call('ListPipelines', { name }, opts);
  }

  /** Closes the channel. */
  close(): void {
    this.raw.close();
  }
}

/** The float32 tensor of a Transform response as a Float32Array (a copy, aligned). */
export function responseTensor(res: TransformResponse__Output): Float32Array {
  const bytes = new Uint8Array(res.tensor);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice();
}
