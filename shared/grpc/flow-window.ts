/**
 * HTTP/2 flow-control windows of a gRPC server. Node (and so grpc-js) advertises HTTP/2's
 * default of 65,535 bytes per stream and per connection: a client may send that much before it
 * must wait for the server's WINDOW_UPDATE. A request a little over 64 KiB (256 rows of 64
 * float32 features is 65.6 KB) then waits a round trip for its last bytes, and every request
 * costs the server WINDOW_UPDATE frames. grpc-core servers grow their windows from the measured
 * bandwidth-delay product; mlmesh can set them once, to `bytes`, on every connection
 * (`grpcFlowWindowBytes`).
 *
 * Off by default (65,535), because of what a larger connection window does to a burst of client
 * deadline expiries: with 1 MiB, 4,000 calls expiring after 1 ms beside 100 healthy ones on one
 * grpc-js channel failed 26 to 48 of the healthy calls (INTERNAL, "Session closed with error
 * code 2": the client's own HTTP/2 session gave up), where the default window fails none
 * (test/shared/reset-burst.test.ts). The larger window lets the client send every request at
 * once, so the server reads and answers calls the client has already reset. A 1 MiB window on
 * streams alone (connection window at the default) passes that test but gains nothing measurable.
 * Turn it on for clients that send large requests and do not cancel in bursts.
 *
 * Memory: the window bounds what a client may send before the server reads it. The server reads
 * every stream as data arrives (it does not apply backpressure to requests), so a larger window
 * changes when bytes arrive, not how many a call may send (that is `maxMessageBytes`).
 */
import type { Http2SecureServer, Http2Server, ServerHttp2Session } from 'node:http2';

/** HTTP/2's default window (RFC 9113 §6.9.2), what Node advertises unless told otherwise. */
export const HTTP2_DEFAULT_WINDOW_BYTES = 65_535;
/** mlmesh's default: HTTP/2's (see the file's comment for why). */
export const DEFAULT_FLOW_WINDOW_BYTES = HTTP2_DEFAULT_WINDOW_BYTES;
/** Largest window HTTP/2 allows (2^31 - 1). */
export const HTTP2_MAX_WINDOW_BYTES = 2 ** 31 - 1;

/**
 * Advertises `bytes` as the initial window of every stream (SETTINGS_INITIAL_WINDOW_SIZE) and
 * opens each connection's window to `bytes` (a WINDOW_UPDATE right after the settings) on the
 * given HTTP/2 servers, for connections accepted from now on. `HTTP2_DEFAULT_WINDOW_BYTES`
 * changes nothing.
 * @throws RangeError when `bytes` is outside 65,535 … 2^31 - 1.
 */
export function setFlowWindows(servers: ReadonlyArray<Http2Server | Http2SecureServer>, bytes: number): void {
  if (!Number.isInteger(bytes) || bytes < HTTP2_DEFAULT_WINDOW_BYTES || bytes > HTTP2_MAX_WINDOW_BYTES) {
    throw new RangeError(`HTTP/2 window must be an integer from ${HTTP2_DEFAULT_WINDOW_BYTES} to ${HTTP2_MAX_WINDOW_BYTES} bytes, got ${bytes}`);
  }
  if (bytes === HTTP2_DEFAULT_WINDOW_BYTES) return;
  for (const h2 of servers) {
    h2.updateSettings({ initialWindowSize: bytes });
    h2.on('session', (session: ServerHttp2Session) => {
      // setLocalWindowSize needs the session's handle, which exists once 'session' fires.
      if (!session.destroyed) session.setLocalWindowSize(bytes);
    });
  }
}
