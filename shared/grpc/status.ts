import * as grpc from '@grpc/grpc-js';
import { Code, MlmeshError, errorMessage } from '../errors/index.js';

/** A gRPC status ready to hand to a callback. */
export interface GrpcStatus {
  code: grpc.status;
  details: string;
}

function isGrpcServiceError(e: unknown): e is { code: number; details: string } {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'number' &&
    typeof (e as { details?: unknown }).details === 'string'
  );
}

/**
 * The one mapping from any thrown value to a gRPC status, used at the edge of every service:
 * - {@link MlmeshError} (and subclasses): its own code and message;
 * - an AbortError (an aborted signal with no typed reason): CANCELLED;
 * - an error from a downstream gRPC call: its code and details, passed through;
 * - anything else: INTERNAL, with the message (never a stack).
 */
export function toGrpcStatus(e: unknown): GrpcStatus {
  if (e instanceof MlmeshError) return { code: e.code as grpc.status, details: e.message };
  if (e instanceof Error && e.name === 'AbortError') return { code: Code.CANCELLED as grpc.status, details: e.message || 'cancelled' };
  if (isGrpcServiceError(e) && e.code >= 1 && e.code <= 16) return { code: e.code as grpc.status, details: e.details };
  return { code: grpc.status.INTERNAL, details: `internal error: ${errorMessage(e)}` };
}

/** The grpc-js name of a status code, e.g. `INVALID_ARGUMENT`, for logs and metric labels. */
export function statusName(code: number): string {
  return grpc.status[code] ?? String(code);
}
