/**
 * gRPC status codes as wire numbers (the same numbers as grpc-js `status`), kept here so that
 * domain modules can say which status an error means without depending on the transport.
 */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** One of the numbers of {@link Code}. */
export type CodeValue = (typeof Code)[keyof typeof Code];

/** The resource an error is about (sent to clients as a `google.rpc.ResourceInfo`). */
export interface ErrorResource {
  /** Its kind, e.g. `model`, `feature`, `pipeline`. */
  type: string;
  /** Its name, e.g. `digits_mlp` or `avg_balance_30d@2`. */
  name: string;
}

/** One bad field of a request (sent to clients as a `google.rpc.BadRequest` field violation). */
export interface FieldViolation {
  /** Path of the field, e.g. `inputs[0].shape` or `records[3].age`. */
  field: string;
  /** What is wrong with it. */
  description: string;
}

/** Base class: an error that knows the gRPC status it maps to. */
export class MlmeshError extends Error {
  /** The gRPC status code this error surfaces as. */
  readonly code: CodeValue;
  /** The resource the error is about, when known. */
  readonly resource: ErrorResource | undefined;

  constructor(code: CodeValue, message: string, options?: { cause?: unknown; resource?: ErrorResource }) {
    super(message, options);
    this.name = 'MlmeshError';
    this.code = code;
    this.resource = options?.resource;
  }
}

/**
 * The caller sent something malformed. `field` names the field, tensor or option at fault;
 * `violations` lists every bad field when there are several (e.g. the rows a strict transform
 * refused), else it is `field` with the message.
 */
export class InvalidArgumentError extends MlmeshError {
  readonly field: string | undefined;
  readonly violations: readonly FieldViolation[];
  constructor(message: string, options?: { field?: string; violations?: readonly FieldViolation[]; cause?: unknown }) {
    super(Code.INVALID_ARGUMENT, message, options);
    this.name = 'InvalidArgumentError';
    this.field = options?.field ?? options?.violations?.[0]?.field;
    this.violations = options?.violations ?? (this.field !== undefined ? [{ field: this.field, description: message }] : []);
  }
}

/** A named thing (model, version, feature…) does not exist; `resource` says which, when given. */
export class NotFoundError extends MlmeshError {
  constructor(message: string, options?: { cause?: unknown; resource?: ErrorResource }) {
    super(Code.NOT_FOUND, message, options);
    this.name = 'NotFoundError';
  }
}

/** The thing to create exists already; `resource` says which, when given. */
export class AlreadyExistsError extends MlmeshError {
  constructor(message: string, options?: { cause?: unknown; resource?: ErrorResource }) {
    super(Code.ALREADY_EXISTS, message, options);
    this.name = 'AlreadyExistsError';
  }
}

/** The system is not in a state where the operation can run (e.g. a model failed to load). */
export class FailedPreconditionError extends MlmeshError {
  constructor(message: string, options?: { cause?: unknown; resource?: ErrorResource }) {
    super(Code.FAILED_PRECONDITION, message, options);
    this.name = 'FailedPreconditionError';
  }
}

/** A bounded resource is full (queue, message size, spool). Retrying later may succeed. */
export class ResourceExhaustedError extends MlmeshError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(Code.RESOURCE_EXHAUSTED, message, options);
    this.name = 'ResourceExhaustedError';
  }
}

/** The request's deadline passed before its work could run or finish. */
export class DeadlineExceededError extends MlmeshError {
  constructor(message = 'deadline exceeded', options?: { cause?: unknown }) {
    super(Code.DEADLINE_EXCEEDED, message, options);
    this.name = 'DeadlineExceededError';
  }
}

/** The caller cancelled, or the server is shutting down hard. */
export class CancelledError extends MlmeshError {
  constructor(message = 'cancelled', options?: { cause?: unknown }) {
    super(Code.CANCELLED, message, options);
    this.name = 'CancelledError';
  }
}

/** A dependency or worker is gone; the request may be retried. */
export class UnavailableError extends MlmeshError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(Code.UNAVAILABLE, message, options);
    this.name = 'UnavailableError';
  }
}

/** A bug or an unexpected failure inside the service. */
export class InternalError extends MlmeshError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(Code.INTERNAL, message, options);
    this.name = 'InternalError';
  }
}

/** Type guard for {@link MlmeshError}, including errors rebuilt across worker threads. */
export function isMlmeshError(e: unknown): e is MlmeshError {
  return e instanceof MlmeshError;
}

/** The message of any thrown value, for logs and status details. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === 'string' ? e : JSON.stringify(e);
}
