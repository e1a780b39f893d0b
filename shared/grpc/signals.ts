import type { Logger } from '../logging/index.js';

/**
 * Runs `drain` once on the first SIGTERM or SIGINT, then exits 0 (1 if draining threw).
 * A second signal while draining exits at once with code 130. Returns a function that removes
 * the handlers.
 */
export function drainOnSignals(drain: () => Promise<void>, log: Logger): () => void {
  let draining = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (draining) {
      log.warn({ signal }, 'second signal while draining: exiting now');
      process.exit(130);
    }
    draining = true;
    log.info({ signal }, 'signal received: draining');
    drain().then(
      () => {
        log.info('drained: exiting');
        log.flush();
        process.exitCode = 0;
      },
      (e: unknown) => {
        log.error({ err: e }, 'drain failed');
        log.flush();
        process.exitCode = 1;
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
