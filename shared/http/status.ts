import { Code, isMlmeshError } from '../errors/index.js';
import type { CodeValue } from '../errors/index.js';

/**
 * The HTTP status a gRPC code surfaces as on an HTTP route (the mapping of grpc-gateway and
 * KServe's REST binding): INVALID_ARGUMENT 400, NOT_FOUND 404, ALREADY_EXISTS and ABORTED 409,
 * FAILED_PRECONDITION 400 in grpc-gateway but 409 here as the features route has it, overload
 * (RESOURCE_EXHAUSTED) 429, DEADLINE_EXCEEDED 504, UNAVAILABLE 503, CANCELLED 499, the rest 500.
 */
const HTTP_STATUS: Readonly<Partial<Record<CodeValue, number>>> = {
  [Code.OK]: 200,
  [Code.CANCELLED]: 499,
  [Code.INVALID_ARGUMENT]: 400,
  [Code.OUT_OF_RANGE]: 400,
  [Code.DEADLINE_EXCEEDED]: 504,
  [Code.NOT_FOUND]: 404,
  [Code.ALREADY_EXISTS]: 409,
  [Code.ABORTED]: 409,
  [Code.FAILED_PRECONDITION]: 409,
  [Code.PERMISSION_DENIED]: 403,
  [Code.UNAUTHENTICATED]: 401,
  [Code.RESOURCE_EXHAUSTED]: 429,
  [Code.UNIMPLEMENTED]: 501,
  [Code.UNAVAILABLE]: 503,
};

/** The HTTP status of a gRPC status code (500 for INTERNAL, UNKNOWN, DATA_LOSS and anything else). */
export function httpStatusOfCode(code: number): number {
  return HTTP_STATUS[code as CodeValue] ?? 500;
}

/** The HTTP status of any thrown value: its gRPC code's for an MlmeshError, else 500. */
export function httpStatusOf(e: unknown): number {
  return isMlmeshError(e) ? httpStatusOfCode(e.code) : 500;
}
