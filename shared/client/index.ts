/**
 * `mlmesh/client`: typed gRPC clients of the mesh's services, for backends that install the
 * package. Every call takes `{ signal, timeoutMs }` and has a default deadline; UNAVAILABLE is
 * retried on idempotent calls; failures are typed errors carrying the gRPC code and the
 * server's field violations; tensors go in and come out as typed arrays. See docs/client.md.
 */
export { InferenceClient } from './inference-client.js';
export type { InferOptions } from './inference-client.js';
export { PreprocessClient } from './preprocess-client.js';
export { FeaturesClient } from './features-client.js';
export { MonitorClient } from './monitor-client.js';
export { GatewayClient, toGatewayRows, toGatewayValue } from './gateway-client.js';
export type { PlainRow, PredictRowsOptions } from './gateway-client.js';
export { RolloutClient } from './rollout-client.js';
export { RetrainerClient } from './retrainer-client.js';
export { ServiceClient } from './service-client.js';
export { DEFAULT_CLIENT_OPTIONS, DEFAULT_RETRY_OPTIONS, resolveClientOptions } from './options.js';
export type { CallOptions, ClientOptions, ClientTlsFiles, RetryOptions, ResolvedClientOptions, ResolvedRetryOptions } from './options.js';
export { SERVICES, serviceConfig } from './methods.js';
export type { MethodPolicy, ServiceSpec } from './methods.js';
export { REQUEST_ID_KEY } from './call.js';
export type { DuplexCall } from './call.js';
export {
  RpcError,
  CancelledError,
  UnknownError,
  InvalidArgumentError,
  DeadlineExceededError,
  NotFoundError,
  AlreadyExistsError,
  PermissionDeniedError,
  ResourceExhaustedError,
  FailedPreconditionError,
  AbortedError,
  OutOfRangeError,
  UnimplementedError,
  InternalError,
  UnavailableError,
  DataLossError,
  UnauthenticatedError,
  rpcError,
  fromServiceError,
  isRpcError,
} from './errors.js';
export type { RpcErrorInit } from './errors.js';
export { STATUS_DETAILS_KEY, decodeStatusDetails } from '../status-details/index.js';
export type { StatusDetails, FieldViolationDetail, ErrorInfoDetail, ResourceInfoDetail, RequestInfoDetail, PackedDetail } from '../status-details/index.js';
export {
  InferInput,
  InferResult,
  buildInferRequest,
  decodeInferOutputs,
  transformTensor,
  toMatrix,
  toNpy,
  fromNpy,
  arrayClassOf,
  datatypeOfArray,
} from './tensors.js';
export type { Tensor, TensorDatatype, TypedArray, InferRequestOptions } from './tensors.js';
export { PROTOS_DIR, protoPath } from '../protos/index.js';

// Message types (generated from protos/): requests as sent, responses as received.
export type { ModelInferRequest } from '../generated/inference/ModelInferRequest.js';
export type { ModelInferResponse__Output as ModelInferResponse } from '../generated/inference/ModelInferResponse.js';
export type { ModelMetadataRequest } from '../generated/inference/ModelMetadataRequest.js';
export type { ModelMetadataResponse__Output as ModelMetadataResponse } from '../generated/inference/ModelMetadataResponse.js';
export type { ModelReadyRequest } from '../generated/inference/ModelReadyRequest.js';
export type { ModelConfigRequest } from '../generated/inference/ModelConfigRequest.js';
export type { ModelConfigResponse__Output as ModelConfigResponse } from '../generated/inference/ModelConfigResponse.js';
export type { ModelStatisticsRequest } from '../generated/inference/ModelStatisticsRequest.js';
export type { ModelStatisticsResponse__Output as ModelStatisticsResponse } from '../generated/inference/ModelStatisticsResponse.js';
export type { ModelStreamInferResponse__Output as ModelStreamInferResponse } from '../generated/inference/ModelStreamInferResponse.js';
export type { ModelReadyResponse__Output as ModelReadyResponse } from '../generated/inference/ModelReadyResponse.js';
export type { ServerLiveResponse__Output as ServerLiveResponse } from '../generated/inference/ServerLiveResponse.js';
export type { ServerReadyResponse__Output as ServerReadyResponse } from '../generated/inference/ServerReadyResponse.js';
export type { ServerMetadataResponse__Output as ServerMetadataResponse } from '../generated/inference/ServerMetadataResponse.js';
export type { RepositoryIndexRequest } from '../generated/inference/RepositoryIndexRequest.js';
export type { RepositoryIndexResponse__Output as RepositoryIndexResponse } from '../generated/inference/RepositoryIndexResponse.js';
export type { RepositoryModelLoadRequest } from '../generated/inference/RepositoryModelLoadRequest.js';
export type { RepositoryModelUnloadRequest } from '../generated/inference/RepositoryModelUnloadRequest.js';
export type { InferParameter } from '../generated/inference/InferParameter.js';
export type { ModelRepositoryParameter } from '../generated/inference/ModelRepositoryParameter.js';
export type { TransformRequest } from '../generated/mlmesh/preprocess/v1/TransformRequest.js';
export type { TransformResponse__Output as TransformResponse } from '../generated/mlmesh/preprocess/v1/TransformResponse.js';
export type { FitRequest } from '../generated/mlmesh/preprocess/v1/FitRequest.js';
export type { FitResponse__Output as FitResponse } from '../generated/mlmesh/preprocess/v1/FitResponse.js';
export type { GetPipelineRequest } from '../generated/mlmesh/preprocess/v1/GetPipelineRequest.js';
export type { GetPipelineResponse__Output as GetPipelineResponse } from '../generated/mlmesh/preprocess/v1/GetPipelineResponse.js';
export type { ListPipelinesRequest } from '../generated/mlmesh/preprocess/v1/ListPipelinesRequest.js';
export type { ListPipelinesResponse__Output as ListPipelinesResponse } from '../generated/mlmesh/preprocess/v1/ListPipelinesResponse.js';
export type { PipelineRef } from '../generated/mlmesh/preprocess/v1/PipelineRef.js';
export type { Record as PreprocessRecord } from '../generated/mlmesh/preprocess/v1/Record.js';
export type { GetOnlineFeaturesRequest } from '../generated/mlmesh/features/v1/GetOnlineFeaturesRequest.js';
export type { GetOnlineFeaturesResponse__Output as GetOnlineFeaturesResponse } from '../generated/mlmesh/features/v1/GetOnlineFeaturesResponse.js';
export type { GetHistoricalFeaturesRequest } from '../generated/mlmesh/features/v1/GetHistoricalFeaturesRequest.js';
export type { GetHistoricalFeaturesResponse__Output as GetHistoricalFeaturesResponse } from '../generated/mlmesh/features/v1/GetHistoricalFeaturesResponse.js';
export type { WriteFeaturesRequest } from '../generated/mlmesh/features/v1/WriteFeaturesRequest.js';
export type { WriteFeaturesResponse__Output as WriteFeaturesResponse } from '../generated/mlmesh/features/v1/WriteFeaturesResponse.js';
export type { MaterializeRequest } from '../generated/mlmesh/features/v1/MaterializeRequest.js';
export type { MaterializeResponse__Output as MaterializeResponse } from '../generated/mlmesh/features/v1/MaterializeResponse.js';
export type { RegisterFeatureRequest } from '../generated/mlmesh/features/v1/RegisterFeatureRequest.js';
export type { RegisterFeatureResponse__Output as RegisterFeatureResponse } from '../generated/mlmesh/features/v1/RegisterFeatureResponse.js';
export type { GetFeatureRequest } from '../generated/mlmesh/features/v1/GetFeatureRequest.js';
export type { GetFeatureResponse__Output as GetFeatureResponse } from '../generated/mlmesh/features/v1/GetFeatureResponse.js';
export type { ListFeaturesRequest } from '../generated/mlmesh/features/v1/ListFeaturesRequest.js';
export type { ListFeaturesResponse__Output as ListFeaturesResponse } from '../generated/mlmesh/features/v1/ListFeaturesResponse.js';
export type { RegisterFeatureServiceRequest } from '../generated/mlmesh/features/v1/RegisterFeatureServiceRequest.js';
export type { RegisterFeatureServiceResponse__Output as RegisterFeatureServiceResponse } from '../generated/mlmesh/features/v1/RegisterFeatureServiceResponse.js';
export type { GetFeatureServiceRequest } from '../generated/mlmesh/features/v1/GetFeatureServiceRequest.js';
export type { GetFeatureServiceResponse__Output as GetFeatureServiceResponse } from '../generated/mlmesh/features/v1/GetFeatureServiceResponse.js';
export type { ListFeatureServicesResponse__Output as ListFeatureServicesResponse } from '../generated/mlmesh/features/v1/ListFeatureServicesResponse.js';
export type { FeatureDefinition } from '../generated/mlmesh/features/v1/FeatureDefinition.js';
export type { FeatureServiceDefinition } from '../generated/mlmesh/features/v1/FeatureServiceDefinition.js';
export type { FeatureWrite } from '../generated/mlmesh/features/v1/FeatureWrite.js';
export type { GetStatusRequest } from '../generated/mlmesh/monitor/v1/GetStatusRequest.js';
export type { GetStatusResponse__Output as GetStatusResponse } from '../generated/mlmesh/monitor/v1/GetStatusResponse.js';
export type { ListReportsRequest } from '../generated/mlmesh/monitor/v1/ListReportsRequest.js';
export type { GetReportRequest } from '../generated/mlmesh/monitor/v1/GetReportRequest.js';
export type { GetReportResponse__Output as GetReportResponse } from '../generated/mlmesh/monitor/v1/GetReportResponse.js';
export type { ListReportsResponse__Output as ListReportsResponse } from '../generated/mlmesh/monitor/v1/ListReportsResponse.js';
export type { WatchReportsRequest } from '../generated/mlmesh/monitor/v1/WatchReportsRequest.js';
export type { ReplaceReferenceRequest } from '../generated/mlmesh/monitor/v1/ReplaceReferenceRequest.js';
export type { ReplaceReferenceResponse__Output as ReplaceReferenceResponse } from '../generated/mlmesh/monitor/v1/ReplaceReferenceResponse.js';
export type { TwoSampleTestRequest } from '../generated/mlmesh/monitor/v1/TwoSampleTestRequest.js';
export type { TwoSampleTestResponse__Output as TwoSampleTestResponse } from '../generated/mlmesh/monitor/v1/TwoSampleTestResponse.js';
export type { Matrix } from '../generated/mlmesh/monitor/v1/Matrix.js';
export type { PredictRequest } from '../generated/mlmesh/gateway/v1/PredictRequest.js';
export type { PredictResponse__Output as PredictResponse } from '../generated/mlmesh/gateway/v1/PredictResponse.js';
export type { RowResult__Output as GatewayRowResult } from '../generated/mlmesh/gateway/v1/RowResult.js';
export type { RowError__Output as GatewayRowError } from '../generated/mlmesh/gateway/v1/RowError.js';
export type { Prediction__Output as GatewayPrediction } from '../generated/mlmesh/gateway/v1/Prediction.js';
export type { GetVersionResponse__Output as GatewayVersionResponse } from '../generated/mlmesh/gateway/v1/GetVersionResponse.js';
export type { ListDeploymentsResponse__Output as ListDeploymentsResponse } from '../generated/mlmesh/gateway/v1/ListDeploymentsResponse.js';
export type { GetDeploymentResponse__Output as GetDeploymentResponse } from '../generated/mlmesh/gateway/v1/GetDeploymentResponse.js';
export type { GetLabelQueueRequest } from '../generated/mlmesh/monitor/v1/GetLabelQueueRequest.js';
export type { GetLabelQueueResponse__Output as GetLabelQueueResponse } from '../generated/mlmesh/monitor/v1/GetLabelQueueResponse.js';
export type { GetQualityRequest } from '../generated/mlmesh/monitor/v1/GetQualityRequest.js';
export type { GetQualityResponse__Output as GetQualityResponse } from '../generated/mlmesh/monitor/v1/GetQualityResponse.js';
export type { GetSegmentsRequest } from '../generated/mlmesh/monitor/v1/GetSegmentsRequest.js';
export type { GetSegmentsResponse__Output as GetSegmentsResponse } from '../generated/mlmesh/monitor/v1/GetSegmentsResponse.js';
export type { DriftReport__Output as DriftReport } from '../generated/mlmesh/events/v1/DriftReport.js';
