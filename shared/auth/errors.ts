import { Code, MlmeshError } from '../errors/index.js';

/** The call carried no identity (no client certificate, no bearer token) or one that is not known. */
export class UnauthenticatedError extends MlmeshError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(Code.UNAUTHENTICATED, message, options);
    this.name = 'UnauthenticatedError';
  }
}

/**
 * The caller is known but its role does not allow the RPC. Raised before the handler runs, so
 * its message says nothing of the model, pipeline or feature named in the request.
 */
export class PermissionDeniedError extends MlmeshError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(Code.PERMISSION_DENIED, message, options);
    this.name = 'PermissionDeniedError';
  }
}
