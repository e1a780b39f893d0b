// Original file: protos/mlmesh/features/v1/features.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetFeatureRequest as _mlmesh_features_v1_GetFeatureRequest, GetFeatureRequest__Output as _mlmesh_features_v1_GetFeatureRequest__Output } from '../../../mlmesh/features/v1/GetFeatureRequest.js';
import type { GetFeatureResponse as _mlmesh_features_v1_GetFeatureResponse, GetFeatureResponse__Output as _mlmesh_features_v1_GetFeatureResponse__Output } from '../../../mlmesh/features/v1/GetFeatureResponse.js';
import type { GetFeatureServiceRequest as _mlmesh_features_v1_GetFeatureServiceRequest, GetFeatureServiceRequest__Output as _mlmesh_features_v1_GetFeatureServiceRequest__Output } from '../../../mlmesh/features/v1/GetFeatureServiceRequest.js';
import type { GetFeatureServiceResponse as _mlmesh_features_v1_GetFeatureServiceResponse, GetFeatureServiceResponse__Output as _mlmesh_features_v1_GetFeatureServiceResponse__Output } from '../../../mlmesh/features/v1/GetFeatureServiceResponse.js';
import type { GetHistoricalFeaturesRequest as _mlmesh_features_v1_GetHistoricalFeaturesRequest, GetHistoricalFeaturesRequest__Output as _mlmesh_features_v1_GetHistoricalFeaturesRequest__Output } from '../../../mlmesh/features/v1/GetHistoricalFeaturesRequest.js';
import type { GetHistoricalFeaturesResponse as _mlmesh_features_v1_GetHistoricalFeaturesResponse, GetHistoricalFeaturesResponse__Output as _mlmesh_features_v1_GetHistoricalFeaturesResponse__Output } from '../../../mlmesh/features/v1/GetHistoricalFeaturesResponse.js';
import type { GetOnlineFeaturesRequest as _mlmesh_features_v1_GetOnlineFeaturesRequest, GetOnlineFeaturesRequest__Output as _mlmesh_features_v1_GetOnlineFeaturesRequest__Output } from '../../../mlmesh/features/v1/GetOnlineFeaturesRequest.js';
import type { GetOnlineFeaturesResponse as _mlmesh_features_v1_GetOnlineFeaturesResponse, GetOnlineFeaturesResponse__Output as _mlmesh_features_v1_GetOnlineFeaturesResponse__Output } from '../../../mlmesh/features/v1/GetOnlineFeaturesResponse.js';
import type { ListFeatureServicesRequest as _mlmesh_features_v1_ListFeatureServicesRequest, ListFeatureServicesRequest__Output as _mlmesh_features_v1_ListFeatureServicesRequest__Output } from '../../../mlmesh/features/v1/ListFeatureServicesRequest.js';
import type { ListFeatureServicesResponse as _mlmesh_features_v1_ListFeatureServicesResponse, ListFeatureServicesResponse__Output as _mlmesh_features_v1_ListFeatureServicesResponse__Output } from '../../../mlmesh/features/v1/ListFeatureServicesResponse.js';
import type { ListFeaturesRequest as _mlmesh_features_v1_ListFeaturesRequest, ListFeaturesRequest__Output as _mlmesh_features_v1_ListFeaturesRequest__Output } from '../../../mlmesh/features/v1/ListFeaturesRequest.js';
import type { ListFeaturesResponse as _mlmesh_features_v1_ListFeaturesResponse, ListFeaturesResponse__Output as _mlmesh_features_v1_ListFeaturesResponse__Output } from '../../../mlmesh/features/v1/ListFeaturesResponse.js';
import type { MaterializeRequest as _mlmesh_features_v1_MaterializeRequest, MaterializeRequest__Output as _mlmesh_features_v1_MaterializeRequest__Output } from '../../../mlmesh/features/v1/MaterializeRequest.js';
import type { MaterializeResponse as _mlmesh_features_v1_MaterializeResponse, MaterializeResponse__Output as _mlmesh_features_v1_MaterializeResponse__Output } from '../../../mlmesh/features/v1/MaterializeResponse.js';
import type { RegisterFeatureRequest as _mlmesh_features_v1_RegisterFeatureRequest, RegisterFeatureRequest__Output as _mlmesh_features_v1_RegisterFeatureRequest__Output } from '../../../mlmesh/features/v1/RegisterFeatureRequest.js';
import type { RegisterFeatureResponse as _mlmesh_features_v1_RegisterFeatureResponse, RegisterFeatureResponse__Output as _mlmesh_features_v1_RegisterFeatureResponse__Output } from '../../../mlmesh/features/v1/RegisterFeatureResponse.js';
import type { RegisterFeatureServiceRequest as _mlmesh_features_v1_RegisterFeatureServiceRequest, RegisterFeatureServiceRequest__Output as _mlmesh_features_v1_RegisterFeatureServiceRequest__Output } from '../../../mlmesh/features/v1/RegisterFeatureServiceRequest.js';
import type { RegisterFeatureServiceResponse as _mlmesh_features_v1_RegisterFeatureServiceResponse, RegisterFeatureServiceResponse__Output as _mlmesh_features_v1_RegisterFeatureServiceResponse__Output } from '../../../mlmesh/features/v1/RegisterFeatureServiceResponse.js';
import type { WriteFeaturesRequest as _mlmesh_features_v1_WriteFeaturesRequest, WriteFeaturesRequest__Output as _mlmesh_features_v1_WriteFeaturesRequest__Output } from '../../../mlmesh/features/v1/WriteFeaturesRequest.js';
import type { WriteFeaturesResponse as _mlmesh_features_v1_WriteFeaturesResponse, WriteFeaturesResponse__Output as _mlmesh_features_v1_WriteFeaturesResponse__Output } from '../../../mlmesh/features/v1/WriteFeaturesResponse.js';

export interface FeatureServiceClient extends grpc.Client {
  GetFeature(argument: _mlmesh_features_v1_GetFeatureRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_GetFeatureResponse__Output>): grpc.ClientUnaryCall;
  GetFeature(argument: _mlmesh_features_v1_GetFeatureRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_features_v1_GetFeatureResponse__Output>): grpc.ClientUnaryCall;
  GetFeature(argument: _mlmesh_features_v1_GetFeatureRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_GetFeatureResponse__Output>): grpc.ClientUnaryCall;
  GetFeature(argument: _mlmesh_features_v1_GetFeatureRequest, callback: grpc.requestCallback<_mlmesh_features_v1_GetFeatureResponse__Output>): grpc.ClientUnaryCall;
  getFeature(argument: _mlmesh_features_v1_GetFeatureRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_GetFeatureResponse__Output>): grpc.ClientUnaryCall;
  getFeature(argument: _mlmesh_features_v1_GetFeatureRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_features_v1_GetFeatureResponse__Output>): grpc.ClientUnaryCall;
  getFeature(argument: _mlmesh_features_v1_GetFeatureRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_GetFeatureResponse__Output>): grpc.ClientUnaryCall;
  getFeature(argument: _mlmesh_features_v1_GetFeatureRequest, callback: grpc.requestCallback<_mlmesh_features_v1_GetFeatureResponse__Output>): grpc.ClientUnaryCall;
  
  GetFeatureService(argument: _mlmesh_features_v1_GetFeatureServiceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_GetFeatureServiceResponse__Output>): grpc.ClientUnaryCall;
  GetFeatureService(argument: _mlmesh_features_v1_GetFeatureServiceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_features_v1_GetFeatureServiceResponse__Output>): grpc.ClientUnaryCall;
  GetFeatureService(argument: _mlmesh_features_v1_GetFeatureServiceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_GetFeatureServiceResponse__Output>): grpc.ClientUnaryCall;
  GetFeatureService(argument: _mlmesh_features_v1_GetFeatureServiceRequest, callback: grpc.requestCallback<_mlmesh_features_v1_GetFeatureServiceResponse__Output>): grpc.ClientUnaryCall;
  getFeatureService(argument: _mlmesh_features_v1_GetFeatureServiceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_GetFeatureServiceResponse__Output>): grpc.ClientUnaryCall;
  getFeatureService(argument: _mlmesh_features_v1_GetFeatureServiceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_features_v1_GetFeatureServiceResponse__Output>): grpc.ClientUnaryCall;
  getFeatureService(argument: _mlmesh_features_v1_GetFeatureServiceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_GetFeatureServiceResponse__Output>): grpc.ClientUnaryCall;
  getFeatureService(argument: _mlmesh_features_v1_GetFeatureServiceRequest, callback: grpc.requestCallback<_mlmesh_features_v1_GetFeatureServiceResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Point-in-time correct values for entity rows with timestamps (training sets), streamed in chunks.
   */
  GetHistoricalFeatures(argument: _mlmesh_features_v1_GetHistoricalFeaturesRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_mlmesh_features_v1_GetHistoricalFeaturesResponse__Output>;
  GetHistoricalFeatures(argument: _mlmesh_features_v1_GetHistoricalFeaturesRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_mlmesh_features_v1_GetHistoricalFeaturesResponse__Output>;
  /**
   * Point-in-time correct values for entity rows with timestamps (training sets), streamed in chunks.
   */
  getHistoricalFeatures(argument: _mlmesh_features_v1_GetHistoricalFeaturesRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_mlmesh_features_v1_GetHistoricalFeaturesResponse__Output>;
  getHistoricalFeatures(argument: _mlmesh_features_v1_GetHistoricalFeaturesRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_mlmesh_features_v1_GetHistoricalFeaturesResponse__Output>;
  
  /**
   * Values of features × entities, latest or as of a time, in column order (one column per feature).
   */
  GetOnlineFeatures(argument: _mlmesh_features_v1_GetOnlineFeaturesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_GetOnlineFeaturesResponse__Output>): grpc.ClientUnaryCall;
  GetOnlineFeatures(argument: _mlmesh_features_v1_GetOnlineFeaturesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_features_v1_GetOnlineFeaturesResponse__Output>): grpc.ClientUnaryCall;
  GetOnlineFeatures(argument: _mlmesh_features_v1_GetOnlineFeaturesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_GetOnlineFeaturesResponse__Output>): grpc.ClientUnaryCall;
  GetOnlineFeatures(argument: _mlmesh_features_v1_GetOnlineFeaturesRequest, callback: grpc.requestCallback<_mlmesh_features_v1_GetOnlineFeaturesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Values of features × entities, latest or as of a time, in column order (one column per feature).
   */
  getOnlineFeatures(argument: _mlmesh_features_v1_GetOnlineFeaturesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_GetOnlineFeaturesResponse__Output>): grpc.ClientUnaryCall;
  getOnlineFeatures(argument: _mlmesh_features_v1_GetOnlineFeaturesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_features_v1_GetOnlineFeaturesResponse__Output>): grpc.ClientUnaryCall;
  getOnlineFeatures(argument: _mlmesh_features_v1_GetOnlineFeaturesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_GetOnlineFeaturesResponse__Output>): grpc.ClientUnaryCall;
  getOnlineFeatures(argument: _mlmesh_features_v1_GetOnlineFeaturesRequest, callback: grpc.requestCallback<_mlmesh_features_v1_GetOnlineFeaturesResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Every registered feature service, by name.
   */
  ListFeatureServices(argument: _mlmesh_features_v1_ListFeatureServicesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_ListFeatureServicesResponse__Output>): grpc.ClientUnaryCall;
  ListFeatureServices(argument: _mlmesh_features_v1_ListFeatureServicesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_features_v1_ListFeatureServicesResponse__Output>): grpc.ClientUnaryCall;
  ListFeatureServices(argument: _mlmesh_features_v1_ListFeatureServicesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_ListFeatureServicesResponse__Output>): grpc.ClientUnaryCall;
  ListFeatureServices(argument: _mlmesh_features_v1_ListFeatureServicesRequest, callback: grpc.requestCallback<_mlmesh_features_v1_ListFeatureServicesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Every registered feature service, by name.
   */
  listFeatureServices(argument: _mlmesh_features_v1_ListFeatureServicesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_ListFeatureServicesResponse__Output>): grpc.ClientUnaryCall;
  listFeatureServices(argument: _mlmesh_features_v1_ListFeatureServicesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_features_v1_ListFeatureServicesResponse__Output>): grpc.ClientUnaryCall;
  listFeatureServices(argument: _mlmesh_features_v1_ListFeatureServicesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_ListFeatureServicesResponse__Output>): grpc.ClientUnaryCall;
  listFeatureServices(argument: _mlmesh_features_v1_ListFeatureServicesRequest, callback: grpc.requestCallback<_mlmesh_features_v1_ListFeatureServicesResponse__Output>): grpc.ClientUnaryCall;
  
  ListFeatures(argument: _mlmesh_features_v1_ListFeaturesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_ListFeaturesResponse__Output>): grpc.ClientUnaryCall;
  ListFeatures(argument: _mlmesh_features_v1_ListFeaturesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_features_v1_ListFeaturesResponse__Output>): grpc.ClientUnaryCall;
  ListFeatures(argument: _mlmesh_features_v1_ListFeaturesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_ListFeaturesResponse__Output>): grpc.ClientUnaryCall;
  ListFeatures(argument: _mlmesh_features_v1_ListFeaturesRequest, callback: grpc.requestCallback<_mlmesh_features_v1_ListFeaturesResponse__Output>): grpc.ClientUnaryCall;
  listFeatures(argument: _mlmesh_features_v1_ListFeaturesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_ListFeaturesResponse__Output>): grpc.ClientUnaryCall;
  listFeatures(argument: _mlmesh_features_v1_ListFeaturesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_features_v1_ListFeaturesResponse__Output>): grpc.ClientUnaryCall;
  listFeatures(argument: _mlmesh_features_v1_ListFeaturesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_ListFeaturesResponse__Output>): grpc.ClientUnaryCall;
  listFeatures(argument: _mlmesh_features_v1_ListFeaturesRequest, callback: grpc.requestCallback<_mlmesh_features_v1_ListFeaturesResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Runs a definition's extractor and transformers over a time range and writes the results.
   */
  Materialize(argument: _mlmesh_features_v1_MaterializeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_MaterializeResponse__Output>): grpc.ClientUnaryCall;
  Materialize(argument: _mlmesh_features_v1_MaterializeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_features_v1_MaterializeResponse__Output>): grpc.ClientUnaryCall;
  Materialize(argument: _mlmesh_features_v1_MaterializeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_MaterializeResponse__Output>): grpc.ClientUnaryCall;
  Materialize(argument: _mlmesh_features_v1_MaterializeRequest, callback: grpc.requestCallback<_mlmesh_features_v1_MaterializeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Runs a definition's extractor and transformers over a time range and writes the results.
   */
  materialize(argument: _mlmesh_features_v1_MaterializeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_MaterializeResponse__Output>): grpc.ClientUnaryCall;
  materialize(argument: _mlmesh_features_v1_MaterializeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_features_v1_MaterializeResponse__Output>): grpc.ClientUnaryCall;
  materialize(argument: _mlmesh_features_v1_MaterializeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_MaterializeResponse__Output>): grpc.ClientUnaryCall;
  materialize(argument: _mlmesh_features_v1_MaterializeRequest, callback: grpc.requestCallback<_mlmesh_features_v1_MaterializeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Registers an immutable definition; the same content again is a no-op, other content ALREADY_EXISTS.
   */
  RegisterFeature(argument: _mlmesh_features_v1_RegisterFeatureRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_RegisterFeatureResponse__Output>): grpc.ClientUnaryCall;
  RegisterFeature(argument: _mlmesh_features_v1_RegisterFeatureRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_features_v1_RegisterFeatureResponse__Output>): grpc.ClientUnaryCall;
  RegisterFeature(argument: _mlmesh_features_v1_RegisterFeatureRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_RegisterFeatureResponse__Output>): grpc.ClientUnaryCall;
  RegisterFeature(argument: _mlmesh_features_v1_RegisterFeatureRequest, callback: grpc.requestCallback<_mlmesh_features_v1_RegisterFeatureResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Registers an immutable definition; the same content again is a no-op, other content ALREADY_EXISTS.
   */
  registerFeature(argument: _mlmesh_features_v1_RegisterFeatureRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_RegisterFeatureResponse__Output>): grpc.ClientUnaryCall;
  registerFeature(argument: _mlmesh_features_v1_RegisterFeatureRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_features_v1_RegisterFeatureResponse__Output>): grpc.ClientUnaryCall;
  registerFeature(argument: _mlmesh_features_v1_RegisterFeatureRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_RegisterFeatureResponse__Output>): grpc.ClientUnaryCall;
  registerFeature(argument: _mlmesh_features_v1_RegisterFeatureRequest, callback: grpc.requestCallback<_mlmesh_features_v1_RegisterFeatureResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Registers an immutable feature service: a named list of refs (what one model version reads).
   */
  RegisterFeatureService(argument: _mlmesh_features_v1_RegisterFeatureServiceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_RegisterFeatureServiceResponse__Output>): grpc.ClientUnaryCall;
  RegisterFeatureService(argument: _mlmesh_features_v1_RegisterFeatureServiceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_features_v1_RegisterFeatureServiceResponse__Output>): grpc.ClientUnaryCall;
  RegisterFeatureService(argument: _mlmesh_features_v1_RegisterFeatureServiceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_RegisterFeatureServiceResponse__Output>): grpc.ClientUnaryCall;
  RegisterFeatureService(argument: _mlmesh_features_v1_RegisterFeatureServiceRequest, callback: grpc.requestCallback<_mlmesh_features_v1_RegisterFeatureServiceResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Registers an immutable feature service: a named list of refs (what one model version reads).
   */
  registerFeatureService(argument: _mlmesh_features_v1_RegisterFeatureServiceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_RegisterFeatureServiceResponse__Output>): grpc.ClientUnaryCall;
  registerFeatureService(argument: _mlmesh_features_v1_RegisterFeatureServiceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_features_v1_RegisterFeatureServiceResponse__Output>): grpc.ClientUnaryCall;
  registerFeatureService(argument: _mlmesh_features_v1_RegisterFeatureServiceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_RegisterFeatureServiceResponse__Output>): grpc.ClientUnaryCall;
  registerFeatureService(argument: _mlmesh_features_v1_RegisterFeatureServiceRequest, callback: grpc.requestCallback<_mlmesh_features_v1_RegisterFeatureServiceResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Pushes values with event times; atomic: either every value is written or none.
   */
  WriteFeatures(argument: _mlmesh_features_v1_WriteFeaturesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_WriteFeaturesResponse__Output>): grpc.ClientUnaryCall;
  WriteFeatures(argument: _mlmesh_features_v1_WriteFeaturesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_features_v1_WriteFeaturesResponse__Output>): grpc.ClientUnaryCall;
  WriteFeatures(argument: _mlmesh_features_v1_WriteFeaturesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_WriteFeaturesResponse__Output>): grpc.ClientUnaryCall;
  WriteFeatures(argument: _mlmesh_features_v1_WriteFeaturesRequest, callback: grpc.requestCallback<_mlmesh_features_v1_WriteFeaturesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Pushes values with event times; atomic: either every value is written or none.
   */
  writeFeatures(argument: _mlmesh_features_v1_WriteFeaturesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_WriteFeaturesResponse__Output>): grpc.ClientUnaryCall;
  writeFeatures(argument: _mlmesh_features_v1_WriteFeaturesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_features_v1_WriteFeaturesResponse__Output>): grpc.ClientUnaryCall;
  writeFeatures(argument: _mlmesh_features_v1_WriteFeaturesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_features_v1_WriteFeaturesResponse__Output>): grpc.ClientUnaryCall;
  writeFeatures(argument: _mlmesh_features_v1_WriteFeaturesRequest, callback: grpc.requestCallback<_mlmesh_features_v1_WriteFeaturesResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface FeatureServiceHandlers extends grpc.UntypedServiceImplementation {
  GetFeature: grpc.handleUnaryCall<_mlmesh_features_v1_GetFeatureRequest__Output, _mlmesh_features_v1_GetFeatureResponse>;
  
  GetFeatureService: grpc.handleUnaryCall<_mlmesh_features_v1_GetFeatureServiceRequest__Output, _mlmesh_features_v1_GetFeatureServiceResponse>;
  
  /**
   * Point-in-time correct values for entity rows with timestamps (training sets), streamed in chunks.
   */
  GetHistoricalFeatures: grpc.handleServerStreamingCall<_mlmesh_features_v1_GetHistoricalFeaturesRequest__Output, _mlmesh_features_v1_GetHistoricalFeaturesResponse>;
  
  /**
   * Values of features × entities, latest or as of a time, in column order (one column per feature).
   */
  GetOnlineFeatures: grpc.handleUnaryCall<_mlmesh_features_v1_GetOnlineFeaturesRequest__Output, _mlmesh_features_v1_GetOnlineFeaturesResponse>;
  
  /**
   * Every registered feature service, by name.
   */
  ListFeatureServices: grpc.handleUnaryCall<_mlmesh_features_v1_ListFeatureServicesRequest__Output, _mlmesh_features_v1_ListFeatureServicesResponse>;
  
  ListFeatures: grpc.handleUnaryCall<_mlmesh_features_v1_ListFeaturesRequest__Output, _mlmesh_features_v1_ListFeaturesResponse>;
  
  /**
   * Runs a definition's extractor and transformers over a time range and writes the results.
   */
  Materialize: grpc.handleUnaryCall<_mlmesh_features_v1_MaterializeRequest__Output, _mlmesh_features_v1_MaterializeResponse>;
  
  /**
   * Registers an immutable definition; the same content again is a no-op, other content ALREADY_EXISTS.
   */
  RegisterFeature: grpc.handleUnaryCall<_mlmesh_features_v1_RegisterFeatureRequest__Output, _mlmesh_features_v1_RegisterFeatureResponse>;
  
  /**
   * Registers an immutable feature service: a named list of refs (what one model version reads).
   */
  RegisterFeatureService: grpc.handleUnaryCall<_mlmesh_features_v1_RegisterFeatureServiceRequest__Output, _mlmesh_features_v1_RegisterFeatureServiceResponse>;
  
  /**
   * Pushes values with event times; atomic: either every value is written or none.
   */
  WriteFeatures: grpc.handleUnaryCall<_mlmesh_features_v1_WriteFeaturesRequest__Output, _mlmesh_features_v1_WriteFeaturesResponse>;
  
}

export interface FeatureServiceDefinition extends grpc.ServiceDefinition {
  GetFeature: MethodDefinition<_mlmesh_features_v1_GetFeatureRequest, _mlmesh_features_v1_GetFeatureResponse, _mlmesh_features_v1_GetFeatureRequest__Output, _mlmesh_features_v1_GetFeatureResponse__Output>
  GetFeatureService: MethodDefinition<_mlmesh_features_v1_GetFeatureServiceRequest, _mlmesh_features_v1_GetFeatureServiceResponse, _mlmesh_features_v1_GetFeatureServiceRequest__Output, _mlmesh_features_v1_GetFeatureServiceResponse__Output>
  GetHistoricalFeatures: MethodDefinition<_mlmesh_features_v1_GetHistoricalFeaturesRequest, _mlmesh_features_v1_GetHistoricalFeaturesResponse, _mlmesh_features_v1_GetHistoricalFeaturesRequest__Output, _mlmesh_features_v1_GetHistoricalFeaturesResponse__Output>
  GetOnlineFeatures: MethodDefinition<_mlmesh_features_v1_GetOnlineFeaturesRequest, _mlmesh_features_v1_GetOnlineFeaturesResponse, _mlmesh_features_v1_GetOnlineFeaturesRequest__Output, _mlmesh_features_v1_GetOnlineFeaturesResponse__Output>
  ListFeatureServices: MethodDefinition<_mlmesh_features_v1_ListFeatureServicesRequest, _mlmesh_features_v1_ListFeatureServicesResponse, _mlmesh_features_v1_ListFeatureServicesRequest__Output, _mlmesh_features_v1_ListFeatureServicesResponse__Output>
  ListFeatures: MethodDefinition<_mlmesh_features_v1_ListFeaturesRequest, _mlmesh_features_v1_ListFeaturesResponse, _mlmesh_features_v1_ListFeaturesRequest__Output, _mlmesh_features_v1_ListFeaturesResponse__Output>
  Materialize: MethodDefinition<_mlmesh_features_v1_MaterializeRequest, _mlmesh_features_v1_MaterializeResponse, _mlmesh_features_v1_MaterializeRequest__Output, _mlmesh_features_v1_MaterializeResponse__Output>
  RegisterFeature: MethodDefinition<_mlmesh_features_v1_RegisterFeatureRequest, _mlmesh_features_v1_RegisterFeatureResponse, _mlmesh_features_v1_RegisterFeatureRequest__Output, _mlmesh_features_v1_RegisterFeatureResponse__Output>
  RegisterFeatureService: MethodDefinition<_mlmesh_features_v1_RegisterFeatureServiceRequest, _mlmesh_features_v1_RegisterFeatureServiceResponse, _mlmesh_features_v1_RegisterFeatureServiceRequest__Output, _mlmesh_features_v1_RegisterFeatureServiceResponse__Output>
  WriteFeatures: MethodDefinition<_mlmesh_features_v1_WriteFeaturesRequest, _mlmesh_features_v1_WriteFeaturesResponse, _mlmesh_features_v1_WriteFeaturesRequest__Output, _mlmesh_features_v1_WriteFeaturesResponse__Output>
}
