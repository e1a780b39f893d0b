/** Errors of the NATS platform code. */

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
