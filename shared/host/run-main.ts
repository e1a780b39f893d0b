import { ConfigError } from '../config/index.js';
import type { Logger } from '../logging/index.js';

/** Exit codes of a service process run by {@link runMain}. */
export const EXIT_CODES = {
  /** Drained after SIGTERM or SIGINT. */
  drained: 0,
  /** Failed to start (a port taken, a store unreachable, a missing folder…), or the drain failed. */
  failed: 1,
  /** An option is bad (sysexits' EX_CONFIG): restarting will not help until it is fixed. */
  config: 78,
  /** A second signal while draining: stopped at once. */
  interrupted: 130,
} as const;

/** What {@link runMain} needs of a started service. */
export interface RunnableService {
  readonly logger: Logger;
  drain(): Promise<void>;
}

/** How long a drained process may stay up (something left open: a socket, a timer, a worker) before it exits anyway, in ms. */
export const EXIT_AFTER_DRAIN_MS = 1000;

/**
 * The process ends by itself once nothing is open. Should something still be open
 * EXIT_AFTER_DRAIN_MS after the drain, it exits anyway, naming what was left (a leak to fix,
 * but never a reason to be SIGKILLed by a supervisor).
 */
function exitSoon(log: Logger): void {
  setTimeout(() => {
    log.warn({ open: process.getActiveResourcesInfo() }, `still running ${EXIT_AFTER_DRAIN_MS} ms after the drain: exiting`);
    log.flush();
    process.exit();
  }, EXIT_AFTER_DRAIN_MS).unref();
}

/**
 * Runs `drain` once on the first SIGTERM or SIGINT and sets the exit code ({@link EXIT_CODES}:
 * 0 drained, 1 the drain failed); a second signal while draining exits at once with 130.
 * Returns a function that removes the handlers.
 */
export function drainOnSignals(drain: () => Promise<void>, log: Logger): () => void {
  let draining = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (draining) {
      log.warn({ signal }, 'second signal while draining: exiting now');
      log.flush();
      process.exit(EXIT_CODES.interrupted);
    }
    draining = true;
    log.info({ signal }, 'signal received: draining');
    drain().then(
      () => {
        log.info('drained: exiting');
        log.flush();
        process.exitCode = EXIT_CODES.drained;
        exitSoon(log);
      },
      (e: unknown) => {
        log.error({ err: e }, 'drain failed');
        log.flush();
        process.exitCode = EXIT_CODES.failed;
        exitSoon(log);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
}

/**
 * The whole `main.ts` of a service: starts it, drains it on SIGTERM/SIGINT, and on a failed
 * start writes `<name> failed to start: <reason>` to stderr and exits 78 for a bad option, 1
 * otherwise. The process then ends by itself once the drain has closed everything.
 */
export async function runMain(name: string, create: () => Promise<RunnableService>): Promise<void> {
  let svc: RunnableService;
  try {
    svc = await create();
  } catch (e: unknown) {
    process.stderr.write(`${name} failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(e instanceof ConfigError ? EXIT_CODES.config : EXIT_CODES.failed);
  }
  drainOnSignals(() => svc.drain(), svc.logger);
}
