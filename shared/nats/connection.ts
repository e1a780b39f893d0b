import { setTimeout as sleep } from 'node:timers/promises';
import { connect, ErrorCode, Events, NatsError } from 'nats';
import type { ConnectionOptions, NatsConnection, Status } from 'nats';
import { errorMessage } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
// Side effect: abandoned connect attempts close their sockets (else they hold the process open).
import './transport.js';

/** A connection that is being made in the background (NATS may be down at start). */
export interface BackgroundConnection {
  /** The connection once made. */
  readonly current: NatsConnection | undefined;
  /**
   * Why the last attempt to connect failed (`undefined` once connected): an authentication or
   * authorization refusal shows here, e.g. `Authorization Violation`.
   */
  readonly lastError: string | undefined;
  /**
   * Stops trying to connect, then drains the connection (flushing what it has buffered) for at
   * most `drainTimeoutMs` and closes it, whatever state NATS is in: once this resolves the
   * connection holds no socket or timer, so the process can exit.
   */
  close(): Promise<void>;
}

/** Longest wait for the connection's drain at {@link BackgroundConnection.close}, in ms. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 2000;

/** nats.js codes of a refused connect (its `code` is a string; ErrorCode a string enum). */
const AUTH_CODES: ReadonlySet<string> = new Set<string>([ErrorCode.AuthorizationViolation, ErrorCode.AuthenticationExpired]);

/** Whether `e` is the server refusing the credentials (wrong password, unknown user, expired JWT…). */
export function isNatsAuthError(e: unknown): boolean {
  return e instanceof NatsError && (e.isAuthError() || AUTH_CODES.has(e.code));
}

/** The type of an error status (nats.js Events.Error). */
const ERROR_STATUS: string = Events.Error;

/** The log line of a status event: permission violations name the operation and subject. */
function logStatus(logger: Logger, s: Status): void {
  const ctx = (s as Status & { permissionContext?: { operation: string; subject: string } }).permissionContext;
  const type: string = s.type;
  if (type === ERROR_STATUS && ctx) {
    logger.error({ type: s.type, code: s.data, operation: ctx.operation, subject: ctx.subject }, `NATS refused: permissions violation for ${ctx.operation} ${ctx.subject}`);
  } else if (type === ERROR_STATUS) {
    logger.error({ type: s.type, code: typeof s.data === 'string' ? s.data : undefined }, 'NATS error');
  } else {
    logger.info({ type: s.type, data: typeof s.data === 'string' ? s.data : undefined }, 'NATS status');
  }
}

/**
 * Connects to NATS without blocking the caller: retries until it succeeds, then keeps
 * reconnecting forever. `onConnect` runs once connected (e.g. provision streams, hand the
 * JetStream client to a publisher); an error in it is logged and retried after a pause.
 * A refusal of the credentials is logged as an error (once per distinct message: the attempts go
 * on, a fixed password file may follow) and kept in {@link BackgroundConnection.lastError};
 * so is a permissions violation on an open connection (with the subject refused).
 */
export function connectInBackground(opts: {
  servers: string;
  name: string;
  logger: Logger;
  /** Credentials, TLS, inbox prefix (`natsConnectOptions`). @default none: anonymous, plaintext */
  connectOptions?: Partial<ConnectionOptions>;
  onConnect: (nc: NatsConnection) => Promise<void>;
  /** Status changes after the first connect: `disconnect`, `reconnect`, … (nats.js Events). */
  onStatus?: (type: string, nc: NatsConnection) => void;
  retryMs?: number;
  /** @default {@link DEFAULT_DRAIN_TIMEOUT_MS} */
  drainTimeoutMs?: number;
}): BackgroundConnection {
  let nc: NatsConnection | undefined;
  let lastError: string | undefined;
  let loggedError: string | undefined;
  const stop = new AbortController();
  const retry = opts.retryMs ?? 500;
  const drainTimeoutMs = opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  // A pause between attempts that close() cuts short (an aborted sleep resolves, it does not throw).
  const pause = (): Promise<void> => sleep(retry, undefined, { signal: stop.signal }).catch(() => undefined);
  const run = async (): Promise<void> => {
    while (!stop.signal.aborted && !nc) {
      try {
        // ignoreAuthErrorAbort: a refusal while reconnecting (a password being rotated) is retried
        // like any other failure, not a reason for nats.js to give the connection up for good.
        const c = await connect({ ...opts.connectOptions, servers: opts.servers, name: opts.name, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: retry, timeout: 2000, ignoreAuthErrorAbort: true });
        if (stop.signal.aborted) {
          await c.close();
          return;
        }
        for (;;) {
          try {
            await opts.onConnect(c);
            break;
          } catch (e: unknown) {
            opts.logger.warn({ err: errorMessage(e) }, 'NATS: setup after connect failed, retrying');
            await pause();
            if (stop.signal.aborted) {
              await c.close();
              return;
            }
          }
        }
        nc = c;
        lastError = undefined;
        opts.logger.info({ servers: opts.servers }, 'NATS connected');
        void (async () => {
          // Ends when the connection closes (nats.js stops its status iterators then).
          for await (const s of c.status()) {
            logStatus(opts.logger, s);
            opts.onStatus?.(s.type, c);
          }
        })();
      } catch (e: unknown) {
        lastError = errorMessage(e);
        if (isNatsAuthError(e)) {
          if (loggedError !== lastError) opts.logger.error({ servers: opts.servers, err: lastError }, 'NATS refused the credentials: check natsUser and its password (or the token, nkey or creds file); retrying');
          else opts.logger.debug({ err: lastError }, 'NATS still refuses the credentials, retrying');
          loggedError = lastError;
        } else opts.logger.debug({ err: lastError }, 'NATS not reachable yet, retrying');
        await pause();
      }
    }
  };
  const running = run();
  return {
    // eslint-disable-next-line no-restricted-syntax -- made once per connection, not per call
    get current() {
      return nc;
    },
    // eslint-disable-next-line no-restricted-syntax -- made once per connection, not per call
    get lastError() {
      return lastError;
    },
    async close() {
      stop.abort();
      await running;
      const c = nc;
      if (!c || c.isClosed()) return;
      // drain() flushes what is buffered, but it cannot be relied on to close: while NATS is
      // down nats.js resolves it without closing and keeps reconnecting for ever (holding the
      // process open), and a slow server can make it wait. Bound it, then close for sure.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        c.drain().catch((e: unknown) => opts.logger.debug({ err: errorMessage(e) }, 'NATS drain failed: closing')),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, drainTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (!c.isClosed()) await c.close();
    },
  };
}
