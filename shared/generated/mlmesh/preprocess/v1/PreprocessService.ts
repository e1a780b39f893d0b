// Original file: protos/mlmesh/preprocess/v1/preprocess.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { FitRequest as _mlmesh_preprocess_v1_FitRequest, FitRequest__Output as _mlmesh_preprocess_v1_FitRequest__Output } from '../../../mlmesh/preprocess/v1/FitRequest.js';
import type { FitResponse as _mlmesh_preprocess_v1_FitResponse, FitResponse__Output as _mlmesh_preprocess_v1_FitResponse__Output } from '../../../mlmesh/preprocess/v1/FitResponse.js';
import type { GetPipelineRequest as _mlmesh_preprocess_v1_GetPipelineRequest, GetPipelineRequest__Output as _mlmesh_preprocess_v1_GetPipelineRequest__Output } from '../../../mlmesh/preprocess/v1/GetPipelineRequest.js';
import type { GetPipelineResponse as _mlmesh_preprocess_v1_GetPipelineResponse, GetPipelineResponse__Output as _mlmesh_preprocess_v1_GetPipelineResponse__Output } from '../../../mlmesh/preprocess/v1/GetPipelineResponse.js';
import type { ListPipelinesRequest as _mlmesh_preprocess_v1_ListPipelinesRequest, ListPipelinesRequest__Output as _mlmesh_preprocess_v1_ListPipelinesRequest__Output } from '../../../mlmesh/preprocess/v1/ListPipelinesRequest.js';
import type { ListPipelinesResponse as _mlmesh_preprocess_v1_ListPipelinesResponse, ListPipelinesResponse__Output as _mlmesh_preprocess_v1_ListPipelinesResponse__Output } from '../../../mlmesh/preprocess/v1/ListPipelinesResponse.js';
import type { TransformRequest as _mlmesh_preprocess_v1_TransformRequest, TransformRequest__Output as _mlmesh_preprocess_v1_TransformRequest__Output } from '../../../mlmesh/preprocess/v1/TransformRequest.js';
import type { TransformResponse as _mlmesh_preprocess_v1_TransformResponse, TransformResponse__Output as _mlmesh_preprocess_v1_TransformResponse__Output } from '../../../mlmesh/preprocess/v1/TransformResponse.js';

export interface PreprocessServiceClient extends grpc.Client {
  /**
   * Fits a pipeline spec on a CSV (inline bytes, or a file under the service's data folder)
   * and stores the artifact as name@version. A spec that cannot be fitted: INVALID_ARGUMENT
   * naming the step and column; name@version taken: ALREADY_EXISTS.
   */
  Fit(argument: _mlmesh_preprocess_v1_FitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_preprocess_v1_FitResponse__Output>): grpc.ClientUnaryCall;
  Fit(argument: _mlmesh_preprocess_v1_FitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_preprocess_v1_FitResponse__Output>): grpc.ClientUnaryCall;
  Fit(argument: _mlmesh_preprocess_v1_FitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_preprocess_v1_FitResponse__Output>): grpc.ClientUnaryCall;
  Fit(argument: _mlmesh_preprocess_v1_FitRequest, callback: grpc.requestCallback<_mlmesh_preprocess_v1_FitResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Fits a pipeline spec on a CSV (inline bytes, or a file under the service's data folder)
   * and stores the artifact as name@version. A spec that cannot be fitted: INVALID_ARGUMENT
   * naming the step and column; name@version taken: ALREADY_EXISTS.
   */
  fit(argument: _mlmesh_preprocess_v1_FitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_preprocess_v1_FitResponse__Output>): grpc.ClientUnaryCall;
  fit(argument: _mlmesh_preprocess_v1_FitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_preprocess_v1_FitResponse__Output>): grpc.ClientUnaryCall;
  fit(argument: _mlmesh_preprocess_v1_FitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_preprocess_v1_FitResponse__Output>): grpc.ClientUnaryCall;
  fit(argument: _mlmesh_preprocess_v1_FitRequest, callback: grpc.requestCallback<_mlmesh_preprocess_v1_FitResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * One stored pipeline with its full artifact (JSON). Unknown: NOT_FOUND.
   */
  GetPipeline(argument: _mlmesh_preprocess_v1_GetPipelineRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_preprocess_v1_GetPipelineResponse__Output>): grpc.ClientUnaryCall;
  GetPipeline(argument: _mlmesh_preprocess_v1_GetPipelineRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_preprocess_v1_GetPipelineResponse__Output>): grpc.ClientUnaryCall;
  GetPipeline(argument: _mlmesh_preprocess_v1_GetPipelineRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_preprocess_v1_GetPipelineResponse__Output>): grpc.ClientUnaryCall;
  GetPipeline(argument: _mlmesh_preprocess_v1_GetPipelineRequest, callback: grpc.requestCallback<_mlmesh_preprocess_v1_GetPipelineResponse__Output>): grpc.ClientUnaryCall;
  /**
   * One stored pipeline with its full artifact (JSON). Unknown: NOT_FOUND.
   */
  getPipeline(argument: _mlmesh_preprocess_v1_GetPipelineRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_preprocess_v1_GetPipelineResponse__Output>): grpc.ClientUnaryCall;
  getPipeline(argument: _mlmesh_preprocess_v1_GetPipelineRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_preprocess_v1_GetPipelineResponse__Output>): grpc.ClientUnaryCall;
  getPipeline(argument: _mlmesh_preprocess_v1_GetPipelineRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_preprocess_v1_GetPipelineResponse__Output>): grpc.ClientUnaryCall;
  getPipeline(argument: _mlmesh_preprocess_v1_GetPipelineRequest, callback: grpc.requestCallback<_mlmesh_preprocess_v1_GetPipelineResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Stored pipelines, by name, then version (ascending, numeric-aware).
   */
  ListPipelines(argument: _mlmesh_preprocess_v1_ListPipelinesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_preprocess_v1_ListPipelinesResponse__Output>): grpc.ClientUnaryCall;
  ListPipelines(argument: _mlmesh_preprocess_v1_ListPipelinesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_preprocess_v1_ListPipelinesResponse__Output>): grpc.ClientUnaryCall;
  ListPipelines(argument: _mlmesh_preprocess_v1_ListPipelinesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_preprocess_v1_ListPipelinesResponse__Output>): grpc.ClientUnaryCall;
  ListPipelines(argument: _mlmesh_preprocess_v1_ListPipelinesRequest, callback: grpc.requestCallback<_mlmesh_preprocess_v1_ListPipelinesResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Stored pipelines, by name, then version (ascending, numeric-aware).
   */
  listPipelines(argument: _mlmesh_preprocess_v1_ListPipelinesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_preprocess_v1_ListPipelinesResponse__Output>): grpc.ClientUnaryCall;
  listPipelines(argument: _mlmesh_preprocess_v1_ListPipelinesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_preprocess_v1_ListPipelinesResponse__Output>): grpc.ClientUnaryCall;
  listPipelines(argument: _mlmesh_preprocess_v1_ListPipelinesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_preprocess_v1_ListPipelinesResponse__Output>): grpc.ClientUnaryCall;
  listPipelines(argument: _mlmesh_preprocess_v1_ListPipelinesRequest, callback: grpc.requestCallback<_mlmesh_preprocess_v1_ListPipelinesResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Runs a fitted pipeline over a batch of records. Lenient mode (the default) transforms the
   * valid rows and lists the invalid ones in `errors`; strict mode fails the call with
   * INVALID_ARGUMENT listing them. Unknown pipeline: NOT_FOUND.
   */
  Transform(argument: _mlmesh_preprocess_v1_TransformRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_preprocess_v1_TransformResponse__Output>): grpc.ClientUnaryCall;
  Transform(argument: _mlmesh_preprocess_v1_TransformRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_preprocess_v1_TransformResponse__Output>): grpc.ClientUnaryCall;
  Transform(argument: _mlmesh_preprocess_v1_TransformRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_preprocess_v1_TransformResponse__Output>): grpc.ClientUnaryCall;
  Transform(argument: _mlmesh_preprocess_v1_TransformRequest, callback: grpc.requestCallback<_mlmesh_preprocess_v1_TransformResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Runs a fitted pipeline over a batch of records. Lenient mode (the default) transforms the
   * valid rows and lists the invalid ones in `errors`; strict mode fails the call with
   * INVALID_ARGUMENT listing them. Unknown pipeline: NOT_FOUND.
   */
  transform(argument: _mlmesh_preprocess_v1_TransformRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_preprocess_v1_TransformResponse__Output>): grpc.ClientUnaryCall;
  transform(argument: _mlmesh_preprocess_v1_TransformRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_preprocess_v1_TransformResponse__Output>): grpc.ClientUnaryCall;
  transform(argument: _mlmesh_preprocess_v1_TransformRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_preprocess_v1_TransformResponse__Output>): grpc.ClientUnaryCall;
  transform(argument: _mlmesh_preprocess_v1_TransformRequest, callback: grpc.requestCallback<_mlmesh_preprocess_v1_TransformResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface PreprocessServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Fits a pipeline spec on a CSV (inline bytes, or a file under the service's data folder)
   * and stores the artifact as name@version. A spec that cannot be fitted: INVALID_ARGUMENT
   * naming the step and column; name@version taken: ALREADY_EXISTS.
   */
  Fit: grpc.handleUnaryCall<_mlmesh_preprocess_v1_FitRequest__Output, _mlmesh_preprocess_v1_FitResponse>;
  
  /**
   * One stored pipeline with its full artifact (JSON). Unknown: NOT_FOUND.
   */
  GetPipeline: grpc.handleUnaryCall<_mlmesh_preprocess_v1_GetPipelineRequest__Output, _mlmesh_preprocess_v1_GetPipelineResponse>;
  
  /**
   * Stored pipelines, by name, then version (ascending, numeric-aware).
   */
  ListPipelines: grpc.handleUnaryCall<_mlmesh_preprocess_v1_ListPipelinesRequest__Output, _mlmesh_preprocess_v1_ListPipelinesResponse>;
  
  /**
   * Runs a fitted pipeline over a batch of records. Lenient mode (the default) transforms the
   * valid rows and lists the invalid ones in `errors`; strict mode fails the call with
   * INVALID_ARGUMENT listing them. Unknown pipeline: NOT_FOUND.
   */
  Transform: grpc.handleUnaryCall<_mlmesh_preprocess_v1_TransformRequest__Output, _mlmesh_preprocess_v1_TransformResponse>;
  
}

export interface PreprocessServiceDefinition extends grpc.ServiceDefinition {
  Fit: MethodDefinition<_mlmesh_preprocess_v1_FitRequest, _mlmesh_preprocess_v1_FitResponse, _mlmesh_preprocess_v1_FitRequest__Output, _mlmesh_preprocess_v1_FitResponse__Output>
  GetPipeline: MethodDefinition<_mlmesh_preprocess_v1_GetPipelineRequest, _mlmesh_preprocess_v1_GetPipelineResponse, _mlmesh_preprocess_v1_GetPipelineRequest__Output, _mlmesh_preprocess_v1_GetPipelineResponse__Output>
  ListPipelines: MethodDefinition<_mlmesh_preprocess_v1_ListPipelinesRequest, _mlmesh_preprocess_v1_ListPipelinesResponse, _mlmesh_preprocess_v1_ListPipelinesRequest__Output, _mlmesh_preprocess_v1_ListPipelinesResponse__Output>
  Transform: MethodDefinition<_mlmesh_preprocess_v1_TransformRequest, _mlmesh_preprocess_v1_TransformResponse, _mlmesh_preprocess_v1_TransformRequest__Output, _mlmesh_preprocess_v1_TransformResponse__Output>
}
