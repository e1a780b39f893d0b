import { FailedPreconditionError } from '../../shared/errors/index.js';

/**
 * A model version could not be loaded: bad config, manifest or hash mismatch, ONNX error,
 * inputs/outputs that disagree with the config. Surfaces as FAILED_PRECONDITION from the load
 * RPC and as the `reason` of an UNAVAILABLE entry in RepositoryIndex.
 */
export class ModelLoadError extends FailedPreconditionError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelLoadError';
  }
}
