import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { errorMessage } from '../errors/index.js';
import type { Logger } from '../logging/index.js';

/** A connection that is being made in the background (NATS may be down at start). */
export interface BackgroundConnection {
  /** The connection once made. */
  readonly current: NatsConnection | undefined;
  /** Drains the connection (or stops trying). */
  close(): Promise<void>;
}

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
}): BackgroundConnection {
  let nc: NatsConnection | undefined;
  let stopped = false;
  const retry = opts.retryMs ?? 500;
  const run = async (): Promise<void> => {
    while (!stopped && !nc) {
      try {
        const c = await connect({ servers: opts.servers, name: opts.name, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: retry, timeout: 2000 });
        if (stopped) {
          await c.close();
          return;
        }
        for (;;) {
          try {
            await opts.onConnect(c);
            break;
          } catch (e: unknown) {
            opts.logger.warn({ err: errorMessage(e) }, 'NATS: setup after connect failed, retrying');
            await new Promise((r) => setTimeout(r, retry));
            if (stopped) {
              await c.close();
              return;
            }
          }
        }
        nc = c;
        opts.logger.info({ servers: opts.servers }, 'NATS connected');
        void (async () => {
          for await (const s of c.status()) {
            opts.logger.info({ type: s.type, data: typeof s.data === 'string' ? s.data : undefined }, 'NATS status');
            opts.onStatus?.(s.type, c);
          }
        })();
      } catch (e: unknown) {
        opts.logger.debug({ err: errorMessage(e) }, 'NATS not reachable yet, retrying');
        await new Promise((r) => setTimeout(r, retry));
      }
    }
  };
  const running = run();
  return {
    get current() {
      return nc;
    },
    async close() {
      stopped = true;
      await running;
      if (nc && !nc.isClosed()) await nc.drain();
    },
  };
}
