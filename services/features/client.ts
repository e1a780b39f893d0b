import type * as grpc from '@grpc/grpc-js';
import { createClient, loadProtos, unaryCall } from '../../shared/grpc/index.js';
import type { ClientOptions } from '../../shared/grpc/index.js';
import type { FeatureServiceClient } from '../../shared/generated/mlmesh/features/v1/FeatureService.js';
import type { FeatureDefinition } from '../../shared/generated/mlmesh/features/v1/FeatureDefinition.js';
import type { FeatureServiceDefinition } from '../../shared/generated/mlmesh/features/v1/FeatureServiceDefinition.js';
import type { WriteFeaturesResponse__Output } from '../../shared/generated/mlmesh/features/v1/WriteFeaturesResponse.js';
import type { FeatureWrite } from '../../shared/generated/mlmesh/features/v1/FeatureWrite.js';
import type { GetFeatureResponse__Output } from '../../shared/generated/mlmesh/features/v1/GetFeatureResponse.js';
import type { GetFeatureServiceResponse__Output } from '../../shared/generated/mlmesh/features/v1/GetFeatureServiceResponse.js';
import type { GetHistoricalFeaturesRequest } from '../../shared/generated/mlmesh/features/v1/GetHistoricalFeaturesRequest.js';
import type { GetHistoricalFeaturesResponse__Output } from '../../shared/generated/mlmesh/features/v1/GetHistoricalFeaturesResponse.js';
import type { GetOnlineFeaturesRequest } from '../../shared/generated/mlmesh/features/v1/GetOnlineFeaturesRequest.js';
import type { GetOnlineFeaturesResponse__Output } from '../../shared/generated/mlmesh/features/v1/GetOnlineFeaturesResponse.js';
import type { ListFeatureServicesResponse__Output } from '../../shared/generated/mlmesh/features/v1/ListFeatureServicesResponse.js';
import type { ListFeaturesResponse__Output } from '../../shared/generated/mlmesh/features/v1/ListFeaturesResponse.js';
import type { MaterializeResponse__Output } from '../../shared/generated/mlmesh/features/v1/MaterializeResponse.js';
import type { RegisterFeatureResponse__Output } from '../../shared/generated/mlmesh/features/v1/RegisterFeatureResponse.js';
import type { RegisterFeatureServiceResponse__Output } from '../../shared/generated/mlmesh/features/v1/RegisterFeatureServiceResponse.js';
import { FEATURES_PROTO, FEATURES_SERVICE } from './service.js';

/** Per-call options. */
export interface CallOptions {
  /** Deadline from now, in ms. @default none */
  deadlineMs?: number;
  metadata?: grpc.Metadata;
}

let pkg: ReturnType<typeof loadProtos> | undefined;

/** A promise-based client of `mlmesh.features.v1.FeatureService` (types generated from the .proto). */
export class FeaturesClient {
  /** The underlying grpc-js client, for calls this wrapper does not cover. */
  readonly raw: FeatureServiceClient;

  constructor(address: string, opts: ClientOptions = {}) {
    pkg ??= loadProtos([FEATURES_PROTO]);
    this.raw = createClient<FeatureServiceClient>(pkg, FEATURES_SERVICE, address, opts);
  }

  private call<Req, Res>(method: string, req: Req, opts?: CallOptions): Promise<Res> {
    return unaryCall<Req, Res>(this.raw, method, req, opts);
  }

  register(definition: FeatureDefinition, opts?: CallOptions): Promise<RegisterFeatureResponse__Output> {
    return this.call('RegisterFeature', { definition }, opts);
  }
  getFeature(ref: string, opts?: CallOptions): Promise<GetFeatureResponse__Output> {
    return this.call('GetFeature', { feature: ref }, opts);
  }
  listFeatures(name = '', opts?: CallOptions): Promise<ListFeaturesResponse__Output> {
    return this.call('ListFeatures', { name }, opts);
  }
  registerService(service: FeatureServiceDefinition, opts?: CallOptions): Promise<RegisterFeatureServiceResponse__Output> {
    return this.call('RegisterFeatureService', { service }, opts);
  }
  getService(name: string, opts?: CallOptions): Promise<GetFeatureServiceResponse__Output> {
    return this.call('GetFeatureService', { name }, opts);
  }
  listServices(opts?: CallOptions): Promise<ListFeatureServicesResponse__Output> {
    return this.call('ListFeatureServices', {}, opts);
  }
  online(request: GetOnlineFeaturesRequest, opts?: CallOptions): Promise<GetOnlineFeaturesResponse__Output> {
    return this.call('GetOnlineFeatures', request, opts);
  }
  write(writes: FeatureWrite[], opts?: CallOptions): Promise<WriteFeaturesResponse__Output> {
    return this.call('WriteFeatures', { writes }, opts);
  }
  materialize(feature: string, startMs: number, endMs: number, opts?: CallOptions): Promise<MaterializeResponse__Output> {
    return this.call('Materialize', { feature, start_ms: startMs, end_ms: endMs }, opts);
  }

  /**
   * GetHistoricalFeatures as an async iterable of response messages (chunks of rows).
   * @throws the call's gRPC error while iterating.
   */
  historical(request: GetHistoricalFeaturesRequest, opts: CallOptions = {}): AsyncIterable<GetHistoricalFeaturesResponse__Output> {
    const callOpts: grpc.CallOptions = {};
    if (opts.deadlineMs !== undefined) callOpts.deadline = Date.now() + opts.deadlineMs;
    return opts.metadata ? this.raw.GetHistoricalFeatures(request, opts.metadata, callOpts) : this.raw.GetHistoricalFeatures(request, callOpts);
  }

  /** Closes the channel. */
  close(): void {
    this.raw.close();
  }
}
