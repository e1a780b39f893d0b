/**
 * Errors of the `mlmesh` command. A {@link UsageError} is a bad command line (exit code 2, one
 * line and a pointer to `--help`); anything else thrown by a command is a failed operation (exit
 * code 1, its message; the stack only with `--debug` or MLMESH_LOG_LEVEL=debug).
 */

/** A bad command line: unknown command or option, a missing or malformed value. Exit code 2. */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/**
 * An operation that failed for a reason the command explains itself (a service refused, a file
 * is not what it should be). Exit code 1, like any other error; the class only marks messages
 * that need no further context.
 */
export class CommandError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CommandError';
  }
}

/** Exit codes of every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
