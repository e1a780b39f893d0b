import { Code, InvalidArgumentError, MlmeshError } from '../../shared/errors/index.js';
import type { CodeValue } from '../../shared/errors/index.js';

/** The three services a Predict calls, in call order. */
export const HOPS = ['features', 'preprocess', 'inference'] as const;
/** One of {@link HOPS}. */
export type Hop = (typeof HOPS)[number];

/**
 * A deployment file is malformed: `field` is the path in the spec (`features[0].entity`,
 * `output.labels`).
 */
export class SpecError extends InvalidArgumentError {
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(`${field}: ${message}`, { field, ...options });
    this.name = 'SpecError';
  }
}

/**
 * A deployment does not fit the services it binds (the pipeline's output is not the model's
 * input, a pipeline column nobody fills, types that disagree, a model or pipeline that is not
 * there). FAILED_PRECONDITION: the file may be fine once the services hold what it names.
 */
export class BindingError extends MlmeshError {
  constructor(
    readonly deployment: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(Code.FAILED_PRECONDITION, `deployment '${deployment}': ${message}`, options);
    this.name = 'BindingError';
  }
}

/**
 * A hop of a Predict failed: the status is the hop's, the message names the hop first
 * (`features: UNAVAILABLE: …`). `hop` and `hopCode` travel in ErrorInfo.
 */
export class HopError extends MlmeshError {
  constructor(
    readonly hop: Hop,
    readonly hopCode: string,
    code: CodeValue,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, `${hop}: ${hopCode}: ${message}`, options);
    this.name = 'HopError';
  }
}
