/**
 * gRPC's rich error model: a `google.rpc.Status` with standard error details (BadRequest field
 * violations, ErrorInfo, ResourceInfo, RequestInfo) in the `grpc-status-details-bin` trailer.
 * Servers encode it at the edge (`shared/grpc` toGrpcStatus); the client decodes it into typed
 * errors. Wire-compatible with grpc-gateway, Envoy and the Google client libraries.
 */
export { STATUS_DETAILS_KEY, ERROR_DOMAIN, encodeStatusDetails, decodeStatusDetails } from './codec.js';
export type {
  StatusDetails,
  FieldViolationDetail,
  ErrorInfoDetail,
  ResourceInfoDetail,
  RequestInfoDetail,
  PackedDetail,
} from './codec.js';
