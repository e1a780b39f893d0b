// Original file: protos/mlmesh/gateway/v1/gateway.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetDeploymentRequest as _mlmesh_gateway_v1_GetDeploymentRequest, GetDeploymentRequest__Output as _mlmesh_gateway_v1_GetDeploymentRequest__Output } from '../../../mlmesh/gateway/v1/GetDeploymentRequest.js';
import type { GetDeploymentResponse as _mlmesh_gateway_v1_GetDeploymentResponse, GetDeploymentResponse__Output as _mlmesh_gateway_v1_GetDeploymentResponse__Output } from '../../../mlmesh/gateway/v1/GetDeploymentResponse.js';
import type { GetVersionRequest as _mlmesh_gateway_v1_GetVersionRequest, GetVersionRequest__Output as _mlmesh_gateway_v1_GetVersionRequest__Output } from '../../../mlmesh/gateway/v1/GetVersionRequest.js';
import type { GetVersionResponse as _mlmesh_gateway_v1_GetVersionResponse, GetVersionResponse__Output as _mlmesh_gateway_v1_GetVersionResponse__Output } from '../../../mlmesh/gateway/v1/GetVersionResponse.js';
import type { ListDeploymentsRequest as _mlmesh_gateway_v1_ListDeploymentsRequest, ListDeploymentsRequest__Output as _mlmesh_gateway_v1_ListDeploymentsRequest__Output } from '../../../mlmesh/gateway/v1/ListDeploymentsRequest.js';
import type { ListDeploymentsResponse as _mlmesh_gateway_v1_ListDeploymentsResponse, ListDeploymentsResponse__Output as _mlmesh_gateway_v1_ListDeploymentsResponse__Output } from '../../../mlmesh/gateway/v1/ListDeploymentsResponse.js';
import type { PredictRequest as _mlmesh_gateway_v1_PredictRequest, PredictRequest__Output as _mlmesh_gateway_v1_PredictRequest__Output } from '../../../mlmesh/gateway/v1/PredictRequest.js';
import type { PredictResponse as _mlmesh_gateway_v1_PredictResponse, PredictResponse__Output as _mlmesh_gateway_v1_PredictResponse__Output } from '../../../mlmesh/gateway/v1/PredictResponse.js';

export interface GatewayServiceClient extends grpc.Client {
  /**
   * One deployment with its spec. Unknown: NOT_FOUND.
   */
  GetDeployment(argument: _mlmesh_gateway_v1_GetDeploymentRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_gateway_v1_GetDeploymentResponse__Output>): grpc.ClientUnaryCall;
  GetDeployment(argument: _mlmesh_gateway_v1_GetDeploymentRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_gateway_v1_GetDeploymentResponse__Output>): grpc.ClientUnaryCall;
  GetDeployment(argument: _mlmesh_gateway_v1_GetDeploymentRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_gateway_v1_GetDeploymentResponse__Output>): grpc.ClientUnaryCall;
  GetDeployment(argument: _mlmesh_gateway_v1_GetDeploymentRequest, callback: grpc.requestCallback<_mlmesh_gateway_v1_GetDeploymentResponse__Output>): grpc.ClientUnaryCall;
  /**
   * One deployment with its spec. Unknown: NOT_FOUND.
   */
  getDeployment(argument: _mlmesh_gateway_v1_GetDeploymentRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_gateway_v1_GetDeploymentResponse__Output>): grpc.ClientUnaryCall;
  getDeployment(argument: _mlmesh_gateway_v1_GetDeploymentRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_gateway_v1_GetDeploymentResponse__Output>): grpc.ClientUnaryCall;
  getDeployment(argument: _mlmesh_gateway_v1_GetDeploymentRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_gateway_v1_GetDeploymentResponse__Output>): grpc.ClientUnaryCall;
  getDeployment(argument: _mlmesh_gateway_v1_GetDeploymentRequest, callback: grpc.requestCallback<_mlmesh_gateway_v1_GetDeploymentResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The API version and, per deployment, what serves it.
   */
  GetVersion(argument: _mlmesh_gateway_v1_GetVersionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_gateway_v1_GetVersionResponse__Output>): grpc.ClientUnaryCall;
  GetVersion(argument: _mlmesh_gateway_v1_GetVersionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_gateway_v1_GetVersionResponse__Output>): grpc.ClientUnaryCall;
  GetVersion(argument: _mlmesh_gateway_v1_GetVersionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_gateway_v1_GetVersionResponse__Output>): grpc.ClientUnaryCall;
  GetVersion(argument: _mlmesh_gateway_v1_GetVersionRequest, callback: grpc.requestCallback<_mlmesh_gateway_v1_GetVersionResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The API version and, per deployment, what serves it.
   */
  getVersion(argument: _mlmesh_gateway_v1_GetVersionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_gateway_v1_GetVersionResponse__Output>): grpc.ClientUnaryCall;
  getVersion(argument: _mlmesh_gateway_v1_GetVersionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_gateway_v1_GetVersionResponse__Output>): grpc.ClientUnaryCall;
  getVersion(argument: _mlmesh_gateway_v1_GetVersionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_gateway_v1_GetVersionResponse__Output>): grpc.ClientUnaryCall;
  getVersion(argument: _mlmesh_gateway_v1_GetVersionRequest, callback: grpc.requestCallback<_mlmesh_gateway_v1_GetVersionResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Every deployment loaded, and every deployment file refused with its reason.
   */
  ListDeployments(argument: _mlmesh_gateway_v1_ListDeploymentsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_gateway_v1_ListDeploymentsResponse__Output>): grpc.ClientUnaryCall;
  ListDeployments(argument: _mlmesh_gateway_v1_ListDeploymentsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_gateway_v1_ListDeploymentsResponse__Output>): grpc.ClientUnaryCall;
  ListDeployments(argument: _mlmesh_gateway_v1_ListDeploymentsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_gateway_v1_ListDeploymentsResponse__Output>): grpc.ClientUnaryCall;
  ListDeployments(argument: _mlmesh_gateway_v1_ListDeploymentsRequest, callback: grpc.requestCallback<_mlmesh_gateway_v1_ListDeploymentsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Every deployment loaded, and every deployment file refused with its reason.
   */
  listDeployments(argument: _mlmesh_gateway_v1_ListDeploymentsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_gateway_v1_ListDeploymentsResponse__Output>): grpc.ClientUnaryCall;
  listDeployments(argument: _mlmesh_gateway_v1_ListDeploymentsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_gateway_v1_ListDeploymentsResponse__Output>): grpc.ClientUnaryCall;
  listDeployments(argument: _mlmesh_gateway_v1_ListDeploymentsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_gateway_v1_ListDeploymentsResponse__Output>): grpc.ClientUnaryCall;
  listDeployments(argument: _mlmesh_gateway_v1_ListDeploymentsRequest, callback: grpc.requestCallback<_mlmesh_gateway_v1_ListDeploymentsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Predicts every row of a request with one deployment. Rows that cannot be predicted get
   * their errors in their RowResult; the call fails only as a whole: unknown deployment
   * NOT_FOUND; no rows, too many rows or fields INVALID_ARGUMENT; a hop that fails gives its
   * status with the hop named first ("features: UNAVAILABLE ...").
   */
  Predict(argument: _mlmesh_gateway_v1_PredictRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_gateway_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  Predict(argument: _mlmesh_gateway_v1_PredictRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_gateway_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  Predict(argument: _mlmesh_gateway_v1_PredictRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_gateway_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  Predict(argument: _mlmesh_gateway_v1_PredictRequest, callback: grpc.requestCallback<_mlmesh_gateway_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Predicts every row of a request with one deployment. Rows that cannot be predicted get
   * their errors in their RowResult; the call fails only as a whole: unknown deployment
   * NOT_FOUND; no rows, too many rows or fields INVALID_ARGUMENT; a hop that fails gives its
   * status with the hop named first ("features: UNAVAILABLE ...").
   */
  predict(argument: _mlmesh_gateway_v1_PredictRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_gateway_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  predict(argument: _mlmesh_gateway_v1_PredictRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_gateway_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  predict(argument: _mlmesh_gateway_v1_PredictRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_gateway_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  predict(argument: _mlmesh_gateway_v1_PredictRequest, callback: grpc.requestCallback<_mlmesh_gateway_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface GatewayServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * One deployment with its spec. Unknown: NOT_FOUND.
   */
  GetDeployment: grpc.handleUnaryCall<_mlmesh_gateway_v1_GetDeploymentRequest__Output, _mlmesh_gateway_v1_GetDeploymentResponse>;
  
  /**
   * The API version and, per deployment, what serves it.
   */
  GetVersion: grpc.handleUnaryCall<_mlmesh_gateway_v1_GetVersionRequest__Output, _mlmesh_gateway_v1_GetVersionResponse>;
  
  /**
   * Every deployment loaded, and every deployment file refused with its reason.
   */
  ListDeployments: grpc.handleUnaryCall<_mlmesh_gateway_v1_ListDeploymentsRequest__Output, _mlmesh_gateway_v1_ListDeploymentsResponse>;
  
  /**
   * Predicts every row of a request with one deployment. Rows that cannot be predicted get
   * their errors in their RowResult; the call fails only as a whole: unknown deployment
   * NOT_FOUND; no rows, too many rows or fields INVALID_ARGUMENT; a hop that fails gives its
   * status with the hop named first ("features: UNAVAILABLE ...").
   */
  Predict: grpc.handleUnaryCall<_mlmesh_gateway_v1_PredictRequest__Output, _mlmesh_gateway_v1_PredictResponse>;
  
}

export interface GatewayServiceDefinition extends grpc.ServiceDefinition {
  GetDeployment: MethodDefinition<_mlmesh_gateway_v1_GetDeploymentRequest, _mlmesh_gateway_v1_GetDeploymentResponse, _mlmesh_gateway_v1_GetDeploymentRequest__Output, _mlmesh_gateway_v1_GetDeploymentResponse__Output>
  GetVersion: MethodDefinition<_mlmesh_gateway_v1_GetVersionRequest, _mlmesh_gateway_v1_GetVersionResponse, _mlmesh_gateway_v1_GetVersionRequest__Output, _mlmesh_gateway_v1_GetVersionResponse__Output>
  ListDeployments: MethodDefinition<_mlmesh_gateway_v1_ListDeploymentsRequest, _mlmesh_gateway_v1_ListDeploymentsResponse, _mlmesh_gateway_v1_ListDeploymentsRequest__Output, _mlmesh_gateway_v1_ListDeploymentsResponse__Output>
  Predict: MethodDefinition<_mlmesh_gateway_v1_PredictRequest, _mlmesh_gateway_v1_PredictResponse, _mlmesh_gateway_v1_PredictRequest__Output, _mlmesh_gateway_v1_PredictResponse__Output>
}
