/**
 * Keeps a burst of client cancellations from failing the client's healthy calls.
 *
 * A gRPC client cancels a call whose deadline passed by sending RST_STREAM. Since the HTTP/2
 * "rapid reset" attack (CVE-2023-44487), nghttp2 (the HTTP/2 library inside Node) limits the
 * RST_STREAM frames a server takes per connection with a token bucket: 1,000 at once, refilled
 * at 33 per second. One more and the server sends GOAWAY with INTERNAL_ERROR; Node's client
 * then destroys the whole connection, so every other call on it fails (UNAVAILABLE or INTERNAL
 * "Received RST_STREAM with code 2"). Node 20 gives no way to change that bucket (the
 * `streamResetBurst` / `streamResetRate` server options came in later Node versions, and
 * grpc-js would not pass them on), and the protection is worth keeping.
 *
 * So the server keeps its own, smaller bucket per connection (`burst`, refilled at the same
 * 33/s) over the streams it sees reset by the client, and when that runs dry it closes the
 * connection gracefully first: GOAWAY with NO_ERROR, which lets the calls in flight finish and
 * sends new ones to a new connection (grpc-js reconnects by itself). nghttp2 stops counting
 * resets once a GOAWAY has gone out, so the burst cannot kill the connection any more.
 *
 * Own bucket below nghttp2's: Node does not see a reset for a stream it has already closed
 * (the client cancelled while the answer was on its way), nghttp2 counts it. The default
 * burst, 500, leaves half the bucket for those.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Http2Server, Http2SecureServer, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Logger } from '../logging/index.js';

/** nghttp2's bucket of client stream resets per connection (Node 20): size. */
export const NGHTTP2_RESET_BURST = 1000;
/** nghttp2's bucket of client stream resets per connection (Node 20): refill per second. */
export const NGHTTP2_RESET_RATE_PER_S = 33;

/** Options of {@link guardResets}. */
export interface ResetGuardOptions {
  /** Client resets a connection may send at once before the server closes it gracefully; 0 turns the guard off. */
  burst: number;
  registry: Registry;
  logger: Logger;
  /** Refill, in resets per second. @default {@link NGHTTP2_RESET_RATE_PER_S} (more would let nghttp2's bucket run dry first). */
  ratePerS?: number;
}

/** The metrics of the guard, created once per registry. */
interface ResetMetrics {
  resets: Counter;
  goaways: Counter;
  limitHits: Counter;
}

const metricsByRegistry = new WeakMap<Registry, ResetMetrics>();

function metrics(registry: Registry): ResetMetrics {
  let m = metricsByRegistry.get(registry);
  if (!m) {
    m = {
      resets: new Counter({ name: 'grpc_server_client_resets_total', help: 'Streams the client reset (RST_STREAM) before the server answered them: cancelled calls and passed deadlines.', registers: [registry] }),
      goaways: new Counter({ name: 'grpc_server_reset_goaways_total', help: 'Connections the server closed gracefully (GOAWAY NO_ERROR) because the client reset more streams than grpcResetBurst allows.', registers: [registry] }),
      limitHits: new Counter({
        name: 'grpc_server_reset_limit_hits_total',
        help: `Connections whose client resets ran dry the bucket of nghttp2's rapid-reset protection (${NGHTTP2_RESET_BURST} at once, ${NGHTTP2_RESET_RATE_PER_S}/s), as far as the server saw them (a lower bound): nghttp2 then sent GOAWAY INTERNAL_ERROR and the calls on the connection failed.`,
        registers: [registry],
      }),
    };
    metricsByRegistry.set(registry, m);
  }
  return m;
}

/** A token bucket as nghttp2 keeps it: `size` tokens at most, `ratePerS` added per second. */
class Bucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly size: number,
    private readonly ratePerS: number,
  ) {
    this.tokens = size;
  }

  /** Takes one token at time `now` (ms); false when there was none. */
  take(now: number): boolean {
    this.tokens = Math.min(this.size, this.tokens + ((now - this.last) / 1000) * this.ratePerS);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** The HTTP/2 servers grpc-js created for its bound ports (private field of grpc-js 1.14). */
export function http2ServersOf(server: grpc.Server): Array<Http2Server | Http2SecureServer> {
  const map = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(map instanceof Map)) {
    throw new Error('grpc-js no longer exposes Server.http2Servers: shared/grpc/reset-guard.ts needs updating for this grpc-js version');
  }
  return [...(map as Map<Http2Server | Http2SecureServer, unknown>).keys()];
}

/**
 * Watches every connection of `server` (call after bindAsync): counts client resets, and closes
 * a connection gracefully once its resets exceed the bucket; counts the connections whose resets
 * ran nghttp2's own bucket dry (possible only with the guard off, or above its burst).
 */
export function guardResets(server: grpc.Server, opts: ResetGuardOptions): void {
  const m = metrics(opts.registry);
  const rate = opts.ratePerS ?? NGHTTP2_RESET_RATE_PER_S;
  for (const h2 of http2ServersOf(server)) {
    h2.on('session', (session: ServerHttp2Session) => {
      const guard = new Bucket(opts.burst, rate);
      const nghttp2 = new Bucket(NGHTTP2_RESET_BURST, NGHTTP2_RESET_RATE_PER_S);
      let resets = 0;
      let limitHit = false;
      const onReset = (): void => {
        m.resets.inc();
        resets++;
        // After a GOAWAY, ours or nghttp2's, nghttp2 counts no more resets.
        if (session.closed || session.destroyed || limitHit) return;
        const now = performance.now();
        if (!nghttp2.take(now)) {
          limitHit = true;
          m.limitHits.inc();
          opts.logger.warn({ peer: session.socket?.remoteAddress, resets }, `client reset ${NGHTTP2_RESET_BURST}+ streams at once: HTTP/2 rapid-reset protection ended its connection and the calls on it (grpcResetBurst ${opts.burst > 0 ? `${opts.burst} did not close it first` : 'is off'})`);
          return;
        }
        if (opts.burst <= 0 || guard.take(now)) return;
        m.goaways.inc();
        opts.logger.warn(
          { peer: session.socket?.remoteAddress, resets, burst: opts.burst },
          'client reset more streams than grpcResetBurst allows: closing its connection gracefully (GOAWAY NO_ERROR; calls in flight finish, new ones reconnect) before HTTP/2 rapid-reset protection would fail them',
        );
        session.close();
      };
      session.on('stream', (stream: ServerHttp2Stream) => {
        stream.once('close', () => {
          // rstCode is NO_ERROR (0) for a stream that ended normally (or that the server closed
          // after answering); anything else here is the client's reset, grpc-js never resets.
          if (stream.rstCode !== 0) onReset();
        });
      });
    });
  }
}
