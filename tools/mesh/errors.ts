/**
 * Errors of the mesh supervisor. Entry points (`runUp`, `runStatus`) turn them into exit codes:
 * {@link MeshUsageError} is 2 (bad command line or config), everything else 1.
 */

/** A bad command line: unknown flag, bad value, unknown service in `--only`. Exit code 2. */
export class MeshUsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MeshUsageError';
  }
}

/**
 * The mesh config (mlmesh.yaml) or what it asks for cannot work: an unknown section, a port
 * already in use, two services on one port, a service that needs NATS when there is none.
 * `option` names the culprit, as `section.option` or a file. Exit code 2.
 */
export class MeshConfigError extends Error {
  /** The option or file at fault, e.g. `inference.grpcPort`. */
  readonly option: string;
  constructor(option: string, message: string, options?: { cause?: unknown }) {
    super(`${option}: ${message}`, options);
    this.name = 'MeshConfigError';
    this.option = option;
  }
}

/**
 * A service (or the local nats-server) did not come up: it exited before it was healthy, or was
 * not healthy within `readyTimeoutMs`. `output` holds its last lines of output. Exit code 1.
 */
export class ServiceStartError extends Error {
  /** The service, e.g. `inference` or `nats`. */
  readonly service: string;
  /** Its last lines of output (stdout and stderr, oldest first). */
  readonly output: readonly string[];
  constructor(service: string, message: string, output: readonly string[], options?: { cause?: unknown }) {
    super(`${service}: ${message}`, options);
    this.name = 'ServiceStartError';
    this.service = service;
    this.output = output;
  }
}

/** Another supervisor already runs a mesh from the same var folder. Exit code 1. */
export class MeshRunningError extends Error {
  /** The running supervisor's pid. */
  readonly pid: number;
  constructor(pid: number, message: string) {
    super(message);
    this.name = 'MeshRunningError';
    this.pid = pid;
  }
}

/** The mesh was drained (Ctrl-C, SIGTERM) while it was starting. */
export class MeshStoppedError extends Error {
  constructor() {
    super('the mesh was stopped while it was starting');
    this.name = 'MeshStoppedError';
  }
}

/** The exit code an entry point returns for a thrown value: 2 for usage and config errors, else 1. */
export function exitCodeOf(e: unknown): number {
  return e instanceof MeshUsageError || e instanceof MeshConfigError || (e instanceof Error && e.name === 'ConfigError') ? 2 : 1;
}
