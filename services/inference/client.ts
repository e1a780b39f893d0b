import type * as grpc from '@grpc/grpc-js';
import { createClient, loadProtos, unaryCall } from '../../shared/grpc/index.js';
import type { ClientOptions } from '../../shared/grpc/index.js';
import type { GRPCInferenceServiceClient } from '../../shared/generated/inference/GRPCInferenceService.js';
import type { ModelConfigResponse__Output } from '../../shared/generated/inference/ModelConfigResponse.js';
import type { ModelInferRequest } from '../../shared/generated/inference/ModelInferRequest.js';
import type { ModelStatisticsResponse__Output } from '../../shared/generated/inference/ModelStatisticsResponse.js';
import type { ModelStreamInferResponse__Output } from '../../shared/generated/inference/ModelStreamInferResponse.js';
import type { ModelInferResponse__Output } from '../../shared/generated/inference/ModelInferResponse.js';
import type { ModelMetadataResponse__Output } from '../../shared/generated/inference/ModelMetadataResponse.js';
import type { RepositoryIndexResponse__Output } from '../../shared/generated/inference/RepositoryIndexResponse.js';
import type { ServerMetadataResponse__Output } from '../../shared/generated/inference/ServerMetadataResponse.js';
import type { ModelRepositoryParameter } from '../../shared/generated/inference/ModelRepositoryParameter.js';
import { INFERENCE_SERVICE } from './service.js';

/** Per-call options. */
export interface CallOptions {
  /** Deadline from now, in ms. @default none */
  deadlineMs?: number;
  metadata?: grpc.Metadata;
}

let pkg: ReturnType<typeof loadProtos> | undefined;

/**
 * A promise-based Open Inference Protocol client (grpc-js underneath, types generated from the
 * .proto). Any v2 client works against the service; this one is what mlmesh's own tools use.
 */
export class InferenceClient {
  /** The underlying grpc-js client, for calls this wrapper does not cover. */
  readonly raw: GRPCInferenceServiceClient;

  constructor(address: string, opts: ClientOptions = {}) {
    pkg ??= loadProtos(['inference/grpc_service.proto']);
    this.raw = createClient<GRPCInferenceServiceClient>(pkg, INFERENCE_SERVICE, address, opts);
  }

  private call<Req, Res>(method: string, req: Req, opts?: CallOptions): Promise<Res> {
    return unaryCall<Req, Res>(this.raw, method, req, opts);
  }

  serverLive(opts?: CallOptions): Promise<{ live: boolean }> {
    return this.call('ServerLive', {}, opts);
  }
  serverReady(opts?: CallOptions): Promise<{ ready: boolean }> {
    return this.call('ServerReady', {}, opts);
  }
  modelReady(name: string, version = '', opts?: CallOptions): Promise<{ ready: boolean }> {
    return this.call('ModelReady', { name, version }, opts);
  }
  serverMetadata(opts?: CallOptions): Promise<ServerMetadataResponse__Output> {
    return this.call('ServerMetadata', {}, opts);
  }
  modelMetadata(name: string, version = '', opts?: CallOptions): Promise<ModelMetadataResponse__Output> {
    return this.call('ModelMetadata', { name, version }, opts);
  }
  infer(request: ModelInferRequest, opts?: CallOptions): Promise<ModelInferResponse__Output> {
    return this.call('ModelInfer', request, opts);
  }
  modelConfig(name: string, version = '', opts?: CallOptions): Promise<ModelConfigResponse__Output> {
    return this.call('ModelConfig', { name, version }, opts);
  }
  modelStatistics(name = '', version = '', opts?: CallOptions): Promise<ModelStatisticsResponse__Output> {
    return this.call('ModelStatistics', { name, version }, opts);
  }
  /** Opens a ModelStreamInfer stream (grpc-js duplex: write requests, read 'data', end()). */
  streamInfer(metadata?: grpc.Metadata): grpc.ClientDuplexStream<ModelInferRequest, ModelStreamInferResponse__Output> {
    return metadata ? this.raw.ModelStreamInfer(metadata) : this.raw.ModelStreamInfer();
  }
  repositoryIndex(ready = false, opts?: CallOptions): Promise<RepositoryIndexResponse__Output> {
    return this.call('RepositoryIndex', { repository_name: '', ready }, opts);
  }
  load(model: string, parameters: Record<string, ModelRepositoryParameter> = {}, opts?: CallOptions): Promise<object> {
    return this.call('RepositoryModelLoad', { repository_name: '', model_name: model, parameters }, opts);
  }
  unload(model: string, opts?: CallOptions): Promise<object> {
    return this.call('RepositoryModelUnload', { repository_name: '', model_name: model, parameters: {} }, opts);
  }

  /** Closes the channel. */
  close(): void {
    this.raw.close();
  }
}
