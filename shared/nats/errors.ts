/** Errors of the NATS platform code. */
import { ResourceExhaustedError, UnavailableError } from '../errors/index.js';

/**
 * A record that had to be made durable (`publishDurability: spool`) was refused by the spool
 * before it was written: `full` (the records not replayed yet would pass `spoolMaxBytes`),
 * `backlog` (64 MiB already wait for a slow disk). Surfaces as RESOURCE_EXHAUSTED: retrying
 * later may succeed.
 */
export class SpoolFullError extends ResourceExhaustedError {
  /** What refused it. */
  readonly reason: 'full' | 'backlog';
  constructor(reason: 'full' | 'backlog', options?: { cause?: unknown }) {
    super(
      reason === 'full'
        ? 'prediction log spool is full (spoolMaxBytes): the log cannot be made durable, so the answer is refused'
        : 'prediction log spool: too many bytes wait for the disk: the log cannot be made durable, so the answer is refused',
      options,
    );
    this.name = 'SpoolFullError';
    this.reason = reason;
  }
}

/**
 * A record that had to be made durable could not be: the spool is closed (the service is
 * stopping), or the disk refused its write or fsync. Surfaces as UNAVAILABLE (retry elsewhere).
 */
export class SpoolWriteError extends UnavailableError {
  /** `closed`, `write` or `fsync`. */
  readonly stage: 'closed' | 'write' | 'fsync';
  constructor(stage: 'closed' | 'write' | 'fsync', options?: { cause?: unknown }) {
    super(stage === 'closed' ? 'prediction log spool is closed (shutting down): the answer is refused' : `prediction log spool ${stage} failed: the log is not durable, so the answer is refused`, options);
    this.name = 'SpoolWriteError';
    this.stage = stage;
  }
}

/** A replica that no longer holds its lease tried to commit state or ack (fencing). */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';

  constructor(
    /** What was refused, e.g. `store a prediction batch`. */
    readonly action: string,
    options?: { cause?: unknown },
  ) {
    super(`not done: ${action}: this replica no longer holds the lease (another one is active)`, options);
  }
}
