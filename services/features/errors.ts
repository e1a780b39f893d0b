/**
 * Errors of the feature service's domain modules. They carry no gRPC status: the writer turns
 * them into FAILED_PRECONDITION (the data or the source is at fault, not the request) naming the
 * feature, so the message is what the caller reads.
 */

/** A CSV file is not well-formed (RFC 4180). The message names the line. */
export class CsvError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CsvError';
  }
}

/** A source cannot be read, or holds a row without a usable entity id or time. */
export class ExtractError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExtractError';
  }
}

/** A row's data cannot be transformed (not a number, log of -2…). The message names the transform and row. */
export class TransformError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransformError';
  }
}

/** A raw value cannot become a value of the feature's type. */
export class CoercionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CoercionError';
  }
}

/** A time value is not in the format its source declares, or is not a real date. */
export class TimeFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TimeFormatError';
  }
}

/** A definition names a column its source (or an earlier transform) does not have. */
export class ColumnsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ColumnsError';
  }
}
