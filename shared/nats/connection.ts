import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { errorMessage } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
// Side effect: abandoned connect attempts close their sockets (else they hold the process open).
import './transport.js';

/** A connection that is being made in the background (NATS may be down at start). */
export interface BackgroundConnection {
  /** The connection once made. */
  readonly current: NatsConnection | undefined;
  /**
   * Stops trying to connect, then drains the connection (flushing what it has buffered) for at
   * most `drainTimeoutMs` and closes it, whatever state NATS is in: once this resolves the
   * connection holds no socket or timer, so the process can exit.
   */
  close(): Promise<void>;
}

/** Longest wait for the connection's drain at {@link BackgroundConnection.close}, in ms. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 2000;

/**
 * Connects to NATS without blocking the caller: retries until it succeeds, then keeps
 * reconnecting forever. `onConnect` runs once connected (e.g. provision streams, hand the
 * JetStream client to a publisher); an error in it is logged and retried after a pause.
 */
export function connectInBackground(opts: {
  servers: string;
  name: string;
  logger: Logger;
  onConnect: (nc: NatsConnection) => Promise<void>;
  /** Status changes after the first connect: `disconnect`, `reconnect`, … (nats.js Events). */
  onStatus?: (type: string, nc: NatsConnection) => void;
  retryMs?: number;
  /** @default {@link DEFAULT_DRAIN_TIMEOUT_MS} */
  drainTimeoutMs?: number;
}): BackgroundConnection {
  let nc: NatsConnection | undefined;
  const stop = new AbortController();
  const retry = opts.retryMs ?? 500;
  const drainTimeoutMs = opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  // A pause between attempts that close() cuts short (an aborted sleep resolves, it does not throw).
  const pause = (): Promise<void> => sleep(retry, undefined, { signal: stop.signal }).catch(() => undefined);
  const run = async (): Promise<void> => {
    while (!stop.signal.aborted && !nc) {
      try {
        const c = await connect({ servers: opts.servers, name: opts.name, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: retry, timeout: 2000 });
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
        opts.logger.info({ servers: opts.servers }, 'NATS connected');
        void (async () => {
          // Ends when the connection closes (nats.js stops its status iterators then).
          for await (const s of c.status()) {
            opts.logger.info({ type: s.type, data: typeof s.data === 'string' ? s.data : undefined }, 'NATS status');
            opts.onStatus?.(s.type, c);
          }
        })();
      } catch (e: unknown) {
        opts.logger.debug({ err: errorMessage(e) }, 'NATS not reachable yet, retrying');
        await pause();
      }
    }
  };
  const running = run();
  return {
    get current() {
      return nc;
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
