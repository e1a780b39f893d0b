import * as grpc from '@grpc/grpc-js';
import { Code, MlmeshError, clip, errorMessage } from '../errors/index.js';

/**
 * Longest status message sent, in UTF-8 bytes. grpc-js percent-encodes it into the
 * `grpc-message` trailer (at most 3 characters per byte), so it stays under 4.5 KiB there, inside
 * the 8 KiB metadata limit of standard clients: a longer one makes them fail the call with
 * RESOURCE_EXHAUSTED instead of the real status. Messages clip client input at the source
 * (`clip`); this cap is the last guard for every service.
 */
export const MAX_STATUS_DETAILS_BYTES = 1500;

/** `details` cut to {@link MAX_STATUS_DETAILS_BYTES}, with a note of its full length. */
export function capDetails(details: string): string {
  if (Buffer.byteLength(details, 'utf8') <= MAX_STATUS_DETAILS_BYTES) return details;
  let chars = MAX_STATUS_DETAILS_BYTES;
  let out = clip(details, chars);
  while (Buffer.byteLength(out, 'utf8') > MAX_STATUS_DETAILS_BYTES) {
    chars = Math.floor(chars * 0.75);
    out = clip(details, chars);
  }
  return out;
}

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
 * The message is capped at {@link MAX_STATUS_DETAILS_BYTES}.
 */
export function toGrpcStatus(e: unknown): GrpcStatus {
  const st = statusOf(e);
  return { code: st.code, details: capDetails(st.details) };
}

function statusOf(e: unknown): GrpcStatus {
  if (e instanceof MlmeshError) return { code: e.code as grpc.status, details: e.message };
  if (e instanceof Error && e.name === 'AbortError') return { code: Code.CANCELLED as grpc.status, details: e.message || 'cancelled' };
  if (isGrpcServiceError(e) && e.code >= 1 && e.code <= 16) return { code: e.code as grpc.status, details: e.details };
  return { code: grpc.status.INTERNAL, details: `internal error: ${errorMessage(e)}` };
}

/** The grpc-js name of a status code, e.g. `INVALID_ARGUMENT`, for logs and metric labels. */
export function statusName(code: number): string {
  return grpc.status[code] ?? String(code);
}
