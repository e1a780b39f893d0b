import { FailedPreconditionError, InternalError } from '../../shared/errors/index.js';

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

/**
 * The model repository folder cannot be served (missing, not a folder, unreadable): the service
 * refuses to start rather than serve nothing.
 */
export class RepositoryError extends Error {
  /** The absolute path of the repository. */
  readonly path: string;
  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super(`model repository '${path}' ${problem} (set modelRepository, env MLMESH_INFERENCE_MODEL_REPOSITORY)`, options);
    this.name = 'RepositoryError';
    this.path = path;
  }
}

/** onnxruntime failed a session run (the request reached the model and the model refused it). */
export class InferenceRunError extends InternalError {
  /** `model@version` of the session. */
  readonly model: string;
  /** Instance that ran it. */
  readonly instance: number;
  constructor(model: string, instance: number, message: string) {
    super(`model ${model}: onnxruntime failed the run: ${message}`);
    this.name = 'InferenceRunError';
    this.model = model;
    this.instance = instance;
  }
}

/**
 * A config.pbtxt (protobuf text format) that cannot be read: a syntax error, or a field, value
 * or type Triton's ModelConfig does not have. Names the file, line and column; a load fails
 * with it like with any bad config (FAILED_PRECONDITION).
 */
export class TextFormatError extends ModelLoadError {
  /** The file or text the error is in. */
  readonly source: string;
  /** 1-based line and column of the offending token. */
  readonly line: number;
  readonly col: number;
  constructor(source: string, line: number, col: number, problem: string) {
    super(`${source}:${line}:${col}: ${problem}`);
    this.name = 'TextFormatError';
    this.source = source;
    this.line = line;
    this.col = col;
  }
}
