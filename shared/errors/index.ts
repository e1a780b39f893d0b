/**
 * Errors that carry the gRPC status they should surface as. Domain code throws these (it does
 * not import grpc-js); the one mapping at the edge, `toGrpcStatus` in `shared/grpc`, turns any
 * thrown value into a status. Messages name the field, tensor or option that is wrong.
 */
export {
  Code,
  MlmeshError,
  InvalidArgumentError,
  NotFoundError,
  AlreadyExistsError,
  FailedPreconditionError,
  ResourceExhaustedError,
  DeadlineExceededError,
  CancelledError,
  UnavailableError,
  InternalError,
  isMlmeshError,
  errorMessage,
} from './errors.js';
export type { CodeValue, ErrorResource, FieldViolation } from './errors.js';
export { clip, ECHO_MAX_CHARS } from './echo.js';
