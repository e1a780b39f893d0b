// Original file: protos/mlmesh/features/v1/features.proto

/**
 * How a source's timestamp column is read. Nothing is ever read in the host's time zone, and a
 * value in another format fails the Materialize naming the row. SQL timestamp columns are read
 * whatever the format (PostgreSQL `timestamp` without time zone as UTC).
 */
export const TimestampFormat = {
  /**
   * ISO_8601
   */
  TIMESTAMP_FORMAT_UNSPECIFIED: 'TIMESTAMP_FORMAT_UNSPECIFIED',
  /**
   * ISO 8601 / RFC 3339 text: 2026-01-03 (00:00 UTC), 2026-01-03T17:16[:33[.250]] with `Z`, `±hh:mm`,
   * `±hhmm` or `±hh`, or no offset (UTC); a space may replace the T. Impossible dates (2024-02-30)
   * are refused. Numbers are refused: their unit is not known.
   */
  ISO_8601: 'ISO_8601',
  /**
   * a number or decimal text: milliseconds since 1970-01-01T00:00:00Z
   */
  EPOCH_MILLIS: 'EPOCH_MILLIS',
  /**
   * seconds since the epoch (decimals kept to the millisecond)
   */
  EPOCH_SECONDS: 'EPOCH_SECONDS',
  /**
   * microseconds since the epoch (truncated to the millisecond)
   */
  EPOCH_MICROS: 'EPOCH_MICROS',
} as const;

/**
 * How a source's timestamp column is read. Nothing is ever read in the host's time zone, and a
 * value in another format fails the Materialize naming the row. SQL timestamp columns are read
 * whatever the format (PostgreSQL `timestamp` without time zone as UTC).
 */
export type TimestampFormat =
  /**
   * ISO_8601
   */
  | 'TIMESTAMP_FORMAT_UNSPECIFIED'
  | 0
  /**
   * ISO 8601 / RFC 3339 text: 2026-01-03 (00:00 UTC), 2026-01-03T17:16[:33[.250]] with `Z`, `±hh:mm`,
   * `±hhmm` or `±hh`, or no offset (UTC); a space may replace the T. Impossible dates (2024-02-30)
   * are refused. Numbers are refused: their unit is not known.
   */
  | 'ISO_8601'
  | 1
  /**
   * a number or decimal text: milliseconds since 1970-01-01T00:00:00Z
   */
  | 'EPOCH_MILLIS'
  | 2
  /**
   * seconds since the epoch (decimals kept to the millisecond)
   */
  | 'EPOCH_SECONDS'
  | 3
  /**
   * microseconds since the epoch (truncated to the millisecond)
   */
  | 'EPOCH_MICROS'
  | 4

/**
 * How a source's timestamp column is read. Nothing is ever read in the host's time zone, and a
 * value in another format fails the Materialize naming the row. SQL timestamp columns are read
 * whatever the format (PostgreSQL `timestamp` without time zone as UTC).
 */
export type TimestampFormat__Output = typeof TimestampFormat[keyof typeof TimestampFormat]
