import type { GetFeatureRequest } from '../generated/mlmesh/features/v1/GetFeatureRequest.js';
import type { GetFeatureResponse__Output } from '../generated/mlmesh/features/v1/GetFeatureResponse.js';
import type { GetFeatureServiceRequest } from '../generated/mlmesh/features/v1/GetFeatureServiceRequest.js';
import type { GetFeatureServiceResponse__Output } from '../generated/mlmesh/features/v1/GetFeatureServiceResponse.js';
import type { GetHistoricalFeaturesRequest } from '../generated/mlmesh/features/v1/GetHistoricalFeaturesRequest.js';
import type { GetHistoricalFeaturesResponse__Output } from '../generated/mlmesh/features/v1/GetHistoricalFeaturesResponse.js';
import type { GetOnlineFeaturesRequest } from '../generated/mlmesh/features/v1/GetOnlineFeaturesRequest.js';
import type { GetOnlineFeaturesResponse__Output } from '../generated/mlmesh/features/v1/GetOnlineFeaturesResponse.js';
import type { ListFeaturesRequest } from '../generated/mlmesh/features/v1/ListFeaturesRequest.js';
import type { ListFeaturesResponse__Output } from '../generated/mlmesh/features/v1/ListFeaturesResponse.js';
import type { MaterializeRequest } from '../generated/mlmesh/features/v1/MaterializeRequest.js';
import type { MaterializeResponse__Output } from '../generated/mlmesh/features/v1/MaterializeResponse.js';
import type { RegisterFeatureRequest } from '../generated/mlmesh/features/v1/RegisterFeatureRequest.js';
import type { RegisterFeatureResponse__Output } from '../generated/mlmesh/features/v1/RegisterFeatureResponse.js';
import type { RegisterFeatureServiceRequest } from '../generated/mlmesh/features/v1/RegisterFeatureServiceRequest.js';
import type { RegisterFeatureServiceResponse__Output } from '../generated/mlmesh/features/v1/RegisterFeatureServiceResponse.js';
import type { WriteFeaturesRequest } from '../generated/mlmesh/features/v1/WriteFeaturesRequest.js';
import type { WriteFeaturesResponse__Output } from '../generated/mlmesh/features/v1/WriteFeaturesResponse.js';
import type { ListFeatureServicesRequest } from '../generated/mlmesh/features/v1/ListFeatureServicesRequest.js';
import type { ListFeatureServicesResponse__Output } from '../generated/mlmesh/features/v1/ListFeatureServicesResponse.js';
import { SERVICES } from './methods.js';
import type { CallOptions, ClientOptions } from './options.js';
import { ServiceClient } from './service-client.js';

/**
 * A client of the feature store (`mlmesh.features.v1.FeatureService`): online and historical
 * reads, writes, materialization and the definition registry.
 */
export class FeaturesClient extends ServiceClient {
  /** @throws TypeError when an option is out of range. */
  constructor(address: string, options?: ClientOptions) {
    super(SERVICES.features, address, options);
  }

  /** GetOnlineFeatures: values of features × entities, latest or as of a time, one column per feature. */
  getOnlineFeatures(request: GetOnlineFeaturesRequest, opts?: CallOptions): Promise<GetOnlineFeaturesResponse__Output> {
    return this.unary('GetOnlineFeatures', request, opts);
  }
  /**
   * GetHistoricalFeatures: point-in-time correct rows, as an async iterable of chunks (the call
   * starts when iteration does; leaving the loop early cancels it). No default deadline.
   */
  getHistoricalFeatures(request: GetHistoricalFeaturesRequest, opts?: CallOptions): AsyncIterable<GetHistoricalFeaturesResponse__Output> {
    return this.stream('GetHistoricalFeatures', request, opts);
  }
  /** WriteFeatures: pushes values (atomic: all or none). Not retried. */
  writeFeatures(request: WriteFeaturesRequest, opts?: CallOptions): Promise<WriteFeaturesResponse__Output> {
    return this.unary('WriteFeatures', request, opts);
  }
  /** Materialize: runs a definition's source and transforms over a time range. Long-running; not retried. */
  materialize(request: MaterializeRequest, opts?: CallOptions): Promise<MaterializeResponse__Output> {
    return this.unary('Materialize', request, opts);
  }
  /** RegisterFeature: registers an immutable definition (the same content again: `created: false`). */
  registerFeature(request: RegisterFeatureRequest, opts?: CallOptions): Promise<RegisterFeatureResponse__Output> {
    return this.unary('RegisterFeature', request, opts);
  }
  /** GetFeature: one definition by ref `name@version`. */
  getFeature(request: GetFeatureRequest, opts?: CallOptions): Promise<GetFeatureResponse__Output> {
    return this.unary('GetFeature', request, opts);
  }
  /** ListFeatures: definitions (of one name, or all). */
  listFeatures(request: ListFeaturesRequest = {}, opts?: CallOptions): Promise<ListFeaturesResponse__Output> {
    return this.unary('ListFeatures', request, opts);
  }
  /** RegisterFeatureService: registers an immutable named list of refs. */
  registerFeatureService(request: RegisterFeatureServiceRequest, opts?: CallOptions): Promise<RegisterFeatureServiceResponse__Output> {
    return this.unary('RegisterFeatureService', request, opts);
  }
  /** GetFeatureService: one feature service by name. */
  getFeatureService(request: GetFeatureServiceRequest, opts?: CallOptions): Promise<GetFeatureServiceResponse__Output> {
    return this.unary('GetFeatureService', request, opts);
  }
  /** ListFeatureServices: every registered feature service, by name. */
  listFeatureServices(request: ListFeatureServicesRequest = {}, opts?: CallOptions): Promise<ListFeatureServicesResponse__Output> {
    return this.unary('ListFeatureServices', request, opts);
  }
}
