/**
 * TEST ONLY. `MLMESH_RETRAINER_TEST_PAUSE_AT=<point>` makes the retrainer stop a run's work at a
 * named point: it logs `retrainer: test pause` (with `point` and `run`) and waits there until the
 * engine drains, so a test can SIGKILL the process in a window that is otherwise a few
 * milliseconds wide (test/retrainer/restarts.test.ts). Unset or empty, the default, it does
 * nothing. It is not one of the retrainer's options (README table): no deployment sets it. An
 * unknown point refuses to start the retrainer (ConfigError, exit 78).
 *
 * Points:
 * - `register:renamed`: the new version folder has been renamed into the model repository, and
 *   the candidate is not yet loaded nor the register stage recorded as done;
 * - `rollout:started`: StartRollout has answered, and the run has not recorded the rollout's id.
 */
import { ConfigError } from '../../shared/config/index.js';
import type { Logger } from '../../shared/logging/index.js';

export const TEST_PAUSE_ENV = 'MLMESH_RETRAINER_TEST_PAUSE_AT';
export const TEST_PAUSE_POINTS = ['register:renamed', 'rollout:started'] as const;
export type TestPausePoint = (typeof TEST_PAUSE_POINTS)[number];

/** Waits at `point` when it is the configured one (until `signal` aborts, then throws); else resolves at once. */
export type TestPause = (point: TestPausePoint, run: string, signal: AbortSignal) => Promise<void>;

/**
 * The pause configured by `env`. @throws ConfigError naming MLMESH_RETRAINER_TEST_PAUSE_AT for a
 * value that is not a known point.
 */
export function testPause(env: NodeJS.ProcessEnv, logger: Logger): TestPause {
  const raw = env[TEST_PAUSE_ENV] ?? '';
  if (raw === '') return () => Promise.resolve();
  if (!(TEST_PAUSE_POINTS as readonly string[]).includes(raw)) throw new ConfigError(TEST_PAUSE_ENV, `${JSON.stringify(raw.slice(0, 60))} is not a pause point (one of ${TEST_PAUSE_POINTS.join(', ')}; test only)`);
  logger.warn({ point: raw }, `retrainer: ${TEST_PAUSE_ENV} is set (test only): runs stop at ${raw}`);
  return (point, run, signal) => {
    if (point !== raw) return Promise.resolve();
    logger.warn({ point, run }, 'retrainer: test pause');
    return new Promise((_resolve, reject) => {
      const stop = (): void => reject(new Error(`test pause at ${point} ended by ${String(signal.reason)}`));
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    });
  };
}
