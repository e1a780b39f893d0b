import { Code, InvalidArgumentError, MlmeshError } from '../../shared/errors/index.js';

/**
 * A pipeline spec is malformed (unknown step type, missing or bad parameter). `field` is the
 * path in the spec, e.g. `steps[2].strategy`.
 */
export class SpecError extends InvalidArgumentError {
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(`spec ${field}: ${message}`, { field, ...options });
    this.name = 'SpecError';
  }
}

/**
 * A spec cannot be fitted on the data: a column missing from the data, a column of the wrong
 * kind for the step, missing values where the step needs none, a value outside the step's
 * domain. Names the step (`steps[3] (standard_scale)`) and the column.
 */
export class FitError extends InvalidArgumentError {
  constructor(
    readonly step: string,
    readonly column: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${step}${column !== undefined ? `: column '${column}'` : ''}: ${message}`, { field: step, ...options });
    this.name = 'FitError';
  }
}

/**
 * A CSV cannot be read (bad quoting, a ragged row when fitting, no header, not UTF-8). The
 * message names the source (a path, or "inline CSV (N bytes)") and the row or line.
 */
export class CsvError extends InvalidArgumentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { field: 'data', ...options });
    this.name = 'CsvError';
  }
}

/** A stored artifact does not match its SHA-256 or is not a pipeline artifact: DATA_LOSS. */
export class ArtifactIntegrityError extends MlmeshError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(Code.DATA_LOSS, message, options);
    this.name = 'ArtifactIntegrityError';
  }
}
