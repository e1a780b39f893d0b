/**
 * gRPC platform shared by every service: proto loading, the server bootstrap (health,
 * reflection, graceful drain), the call context (request id, deadline/cancel signal), the one
 * error → status mapping, and client helpers.
 */
export { PROTO_LOADER_OPTIONS, loadProtos, protosDir, serviceDefinition, clientConstructor } from './protos.js';
export { GrpcServer } from './server.js';
export { DEFAULT_FLOW_WINDOW_BYTES, HTTP2_DEFAULT_WINDOW_BYTES, HTTP2_MAX_WINDOW_BYTES, setFlowWindows } from './flow-window.js';
export { NGHTTP2_RESET_BURST, NGHTTP2_RESET_RATE_PER_S, guardResets } from './reset-guard.js';
export type { ResetGuardOptions } from './reset-guard.js';
export type { AnyHandler, BidiStreamHandler, GrpcServerOptions, GrpcServerState, ServerStreamHandler, ServiceBinding, StreamMessage, UnaryHandler } from './server.js';
export { CallCancel, LoggingCallContext, REQUEST_ID_HEADER, abortReason, chooseRequestId, isValidRequestId } from './context.js';
export type { CallContext, CancelSignal } from './context.js';
export { toGrpcStatus, statusName, capDetails, MAX_STATUS_DETAILS_BYTES, STATUS_DETAILS_LIMITS } from './status.js';
export type { GrpcStatus } from './status.js';
export { createClient, unaryCall } from './client.js';
export type { ClientOptions } from './client.js';
