import * as grpc from '@grpc/grpc-js';
import { STATUS_DETAILS_KEY, decodeStatusDetails } from '../status-details/index.js';
import type { ErrorInfoDetail, FieldViolationDetail, PackedDetail, ResourceInfoDetail, StatusDetails } from '../status-details/index.js';

/** What an {@link RpcError} is built from besides its code and message. */
export interface RpcErrorInit {
  /** The RPC, e.g. `/inference.GRPCInferenceService/ModelInfer`. */
  method?: string;
  /** The trailers of the failed call. */
  metadata?: grpc.Metadata;
  /** The decoded `grpc-status-details-bin`, when the server sent one. */
  status?: StatusDetails;
  cause?: unknown;
}

/**
 * A failed call: the gRPC status code, the server's message, and the standard error details
 * the server sent in `grpc-status-details-bin` (a `google.rpc.Status`). Subclasses name the
 * codes (`InvalidArgumentError`, `NotFoundError`…), so `instanceof` picks the case.
 */
export class RpcError extends Error {
  /** The gRPC status code (grpc-js `status`, e.g. 3 = INVALID_ARGUMENT). */
  readonly code: grpc.status;
  /** The code's name, e.g. `INVALID_ARGUMENT`. */
  readonly codeName: string;
  /** The server's message (grpc-message). */
  readonly details: string;
  /** The RPC, e.g. `/inference.GRPCInferenceService/ModelInfer` ('' when unknown). */
  readonly method: string;
  /** Trailers of the call (including `x-request-id` and `grpc-status-details-bin`). */
  readonly metadata: grpc.Metadata;
  /** Field violations (`google.rpc.BadRequest`); empty when the server sent none. */
  readonly fieldViolations: readonly FieldViolationDetail[];
  /** The first violation's field, e.g. `inputs[0].shape`, or undefined. */
  readonly field: string | undefined;
  /** `google.rpc.ErrorInfo`: `reason` (e.g. `MODEL_LOAD`), domain `mlmesh`, the error's typed fields as metadata. */
  readonly errorInfo: ErrorInfoDetail | undefined;
  /** `google.rpc.ResourceInfo`: the resource the error is about, when the server named it. */
  readonly resourceInfo: ResourceInfoDetail | undefined;
  /** The server's request id for the call (RequestInfo, else the `x-request-id` trailer). */
  readonly requestId: string | undefined;
  /** Details of types the client does not unpack (still packed `google.protobuf.Any`). */
  readonly otherDetails: readonly PackedDetail[];

  constructor(code: grpc.status, details: string, init: RpcErrorInit = {}) {
    super(`${grpc.status[code] ?? code}: ${details}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'RpcError';
    this.code = code;
    this.codeName = grpc.status[code] ?? String(code);
    this.details = details;
    this.method = init.method ?? '';
    this.metadata = init.metadata ?? new grpc.Metadata();
    const st = init.status;
    this.fieldViolations = st?.fieldViolations ?? [];
    this.field = this.fieldViolations[0]?.field;
    this.errorInfo = st?.errorInfo;
    this.resourceInfo = st?.resourceInfo;
    const trailerId = this.metadata.get('x-request-id')[0];
    this.requestId = st?.requestInfo?.requestId ?? (typeof trailerId === 'string' ? trailerId : undefined);
    this.otherDetails = st?.other ?? [];
  }

  /** The ErrorInfo reason, e.g. `MODEL_LOAD`, or undefined. */
  get reason(): string | undefined {
    return this.errorInfo?.reason;
  }
}

/** CANCELLED: the caller's signal aborted (the `cause` is its reason), or the server cancelled. */
export class CancelledError extends RpcError {
  constructor(details = 'cancelled', init?: RpcErrorInit) {
    super(grpc.status.CANCELLED, details, init);
    this.name = 'CancelledError';
  }
}

/** UNKNOWN. */
export class UnknownError extends RpcError {
  constructor(details: string, init?: RpcErrorInit) {
    super(grpc.status.UNKNOWN, details, init);
    this.name = 'UnknownError';
  }
}

/** INVALID_ARGUMENT: the request is malformed; `field` and `fieldViolations` say where. */
export class InvalidArgumentError extends RpcError {
  constructor(details: string, init?: RpcErrorInit) {
    super(grpc.status.INVALID_ARGUMENT, details, init);
    this.name = 'InvalidArgumentError';
  }
}

/** DEADLINE_EXCEEDED: the call's deadline (`timeoutMs`) passed. */
export class DeadlineExceededError extends RpcError {
  constructor(details = 'deadline exceeded', init?: RpcErrorInit) {
    super(grpc.status.DEADLINE_EXCEEDED, details, init);
    this.name = 'DeadlineExceededError';
  }
}

/** NOT_FOUND: a model, version, pipeline, feature… does not exist; `resourceInfo` may say which. */
export class NotFoundError extends RpcError {
  constructor(details: string, init?: RpcErrorInit) {
    super(grpc.status.NOT_FOUND, details, init);
    this.name = 'NotFoundError';
  }
}

/** ALREADY_EXISTS. */
export class AlreadyExistsError extends RpcError {
  constructor(details: string, init?: RpcErrorInit) {
    super(grpc.status.ALREADY_EXISTS, details, init);
    this.name = 'AlreadyExistsError';
  }
}

/** PERMISSION_DENIED. */
export class PermissionDeniedError extends RpcError {
  constructor(details: string, init?: RpcErrorInit) {
    super(grpc.status.PERMISSION_DENIED, details, init);
    this.name = 'PermissionDeniedError';
  }
}

/** RESOURCE_EXHAUSTED: a queue or limit is full; retrying later may succeed. */
export class ResourceExhaustedError extends RpcError {
  constructor(details: string, init?: RpcErrorInit) {
    super(grpc.status.RESOURCE_EXHAUSTED, details, init);
    this.name = 'ResourceExhaustedError';
  }
}

/** FAILED_PRECONDITION: the system is not in a state to run it (e.g. a model failed to load). */
export class FailedPreconditionError extends RpcError {
  constructor(details: string, init?: RpcErrorInit) {
    super(grpc.status.FAILED_PRECONDITION, details, init);
    this.name = 'FailedPreconditionError';
  }
}

/** ABORTED. */
export class AbortedError extends RpcError {
  constructor(details: string, init?: RpcErrorInit) {
    super(grpc.status.ABORTED, details, init);
    this.name = 'AbortedError';
  }
}

/** OUT_OF_RANGE. */
export class OutOfRangeError extends RpcError {
  constructor(details: string, init?: RpcErrorInit) {
    super(grpc.status.OUT_OF_RANGE, details, init);
    this.name = 'OutOfRangeError';
  }
}

/** UNIMPLEMENTED: the server does not have this RPC. */
export class UnimplementedError extends RpcError {
  constructor(details: string, init?: RpcErrorInit) {
    super(grpc.status.UNIMPLEMENTED, details, init);
    this.name = 'UnimplementedError';
  }
}

/** INTERNAL: a failure inside the service. */
export class InternalError extends RpcError {
  constructor(details: string, init?: RpcErrorInit) {
    super(grpc.status.INTERNAL, details, init);
    this.name = 'InternalError';
  }
}

/** UNAVAILABLE: the service cannot be reached or a dependency is down (idempotent calls were retried). */
export class UnavailableError extends RpcError {
  constructor(details: string, init?: RpcErrorInit) {
    super(grpc.status.UNAVAILABLE, details, init);
    this.name = 'UnavailableError';
  }
}

/** DATA_LOSS: stored data is corrupt (e.g. an artifact that fails its SHA-256). */
export class DataLossError extends RpcError {
  constructor(details: string, init?: RpcErrorInit) {
    super(grpc.status.DATA_LOSS, details, init);
    this.name = 'DataLossError';
  }
}

/** UNAUTHENTICATED. */
export class UnauthenticatedError extends RpcError {
  constructor(details: string, init?: RpcErrorInit) {
    super(grpc.status.UNAUTHENTICATED, details, init);
    this.name = 'UnauthenticatedError';
  }
}

type RpcErrorClass = new (details: string, init?: RpcErrorInit) => RpcError;

const BY_CODE: Partial<Record<grpc.status, RpcErrorClass>> = {
  [grpc.status.CANCELLED]: CancelledError,
  [grpc.status.UNKNOWN]: UnknownError,
  [grpc.status.INVALID_ARGUMENT]: InvalidArgumentError,
  [grpc.status.DEADLINE_EXCEEDED]: DeadlineExceededError,
  [grpc.status.NOT_FOUND]: NotFoundError,
  [grpc.status.ALREADY_EXISTS]: AlreadyExistsError,
  [grpc.status.PERMISSION_DENIED]: PermissionDeniedError,
  [grpc.status.RESOURCE_EXHAUSTED]: ResourceExhaustedError,
  [grpc.status.FAILED_PRECONDITION]: FailedPreconditionError,
  [grpc.status.ABORTED]: AbortedError,
  [grpc.status.OUT_OF_RANGE]: OutOfRangeError,
  [grpc.status.UNIMPLEMENTED]: UnimplementedError,
  [grpc.status.INTERNAL]: InternalError,
  [grpc.status.UNAVAILABLE]: UnavailableError,
  [grpc.status.DATA_LOSS]: DataLossError,
  [grpc.status.UNAUTHENTICATED]: UnauthenticatedError,
};

/** Builds the typed error for `code` (an RpcError for a code without a class). */
export function rpcError(code: grpc.status, details: string, init?: RpcErrorInit): RpcError {
  const Cls = BY_CODE[code];
  return Cls ? new Cls(details, init) : new RpcError(code, details, init);
}

function isServiceError(e: unknown): e is grpc.ServiceError {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'number' && 'details' in e;
}

/**
 * The typed error of a failed grpc-js call: its code and details, with the details of
 * `grpc-status-details-bin` decoded. A trailer that does not decode is ignored (the code and
 * message still say what failed). Anything that is not a gRPC error becomes UNKNOWN.
 */
export function fromServiceError(e: unknown, method: string): RpcError {
  if (e instanceof RpcError) return e;
  if (!isServiceError(e)) return new UnknownError(e instanceof Error ? e.message : String(e), { method, cause: e });
  const metadata = e.metadata ?? new grpc.Metadata();
  let status: StatusDetails | undefined;
  const bin = metadata.get(STATUS_DETAILS_KEY)[0];
  if (bin instanceof Buffer) {
    try {
      status = decodeStatusDetails(bin);
    } catch {
      // A malformed details trailer (another server's bug) must not hide the status itself.
      status = undefined;
    }
  }
  return rpcError(e.code, e.details, { method, metadata, ...(status ? { status } : {}), cause: e });
}

/** True for any error of this client (type guard). */
export function isRpcError(e: unknown): e is RpcError {
  return e instanceof RpcError;
}
