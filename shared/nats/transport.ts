import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { ErrorCode, NatsError } from 'nats';
import { NodeTransport } from 'nats/lib/src/node_transport.js';

/**
 * Makes nats.js (2.29) destroy the socket of a connect attempt that it gives up on.
 *
 * nats.js's `NodeTransport.close()` returns at once unless the transport has finished connecting
 * (`if (!this.connected) return`), so an attempt that times out (the `timeout` option) or that
 * `NatsConnection.close()` abandons leaves its socket open: still in SYN_SENT when the address
 * drops packets (a partition, a wrong IP, a firewall), or waiting for an INFO that never comes.
 * Each such socket holds the event loop until the kernel gives up — about 130 s with Linux's
 * default `tcp_syn_retries` — so a drained service did not exit, and a reconnect loop piled one
 * up every attempt. `dial()` is replaced by the same dial that also remembers its socket, and
 * `close()` destroys the socket of an attempt that has not connected; a connected transport
 * closes as before.
 *
 * Applied once, to the class every `connect()` of the `nats` package uses, when this module is
 * first imported (shared/nats/connection.ts imports it). Only plain TCP dials are covered:
 * `tls.handshakeFirst` keeps nats.js's own dial (mlmesh does not use it).
 */
interface Dialing {
  connected: boolean;
  socket?: Socket;
  [DIALING]?: Socket;
}
const DIALING = Symbol('mlmesh.dialingSocket');
const PATCHED = Symbol.for('mlmesh.natsTransportPatched');

function patch(): void {
  const proto = NodeTransport.prototype as unknown as Record<symbol, unknown> & {
    dial(this: Dialing, hp: { hostname: string; port: number }): Promise<Socket>;
    close(this: Dialing, err?: Error): Promise<void>;
  };
  if (proto[PATCHED] === true) return;
  // Called with the transport as `this` below (close.call(this, …)).
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const close = proto.close;
  // nats.js's dial, unchanged but for remembering the socket: it resolves with the connected
  // socket, or rejects once the socket closes (with its error, else "connection refused").
  proto.dial = function dial(this: Dialing, hp: { hostname: string; port: number }): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      let dialError: Error | undefined;
      const socket = createConnection(hp.port, hp.hostname, () => {
        socket.removeAllListeners();
        resolve(socket);
      });
      this[DIALING] = socket;
      socket.on('error', (err) => {
        dialError = err;
      });
      socket.on('close', () => {
        socket.removeAllListeners();
        // A close without an error (e.g. destroyed by close() below): nats.js maps its own
        // undefined rejection to "connection refused" too.
        reject(dialError ?? NatsError.errorForCode(ErrorCode.ConnectionRefused));
      });
      socket.setNoDelay(true);
    });
  };
  proto.close = function closeAttemptToo(this: Dialing, err?: Error): Promise<void> {
    if (!this.connected) {
      // An attempt being given up: its socket goes now (destroying it rejects the pending dial
      // or INFO wait, which nats.js handles as a failed attempt).
      this[DIALING]?.destroy();
      this.socket?.destroy();
    }
    return close.call(this, err);
  };
  proto[PATCHED] = true;
}

patch();
