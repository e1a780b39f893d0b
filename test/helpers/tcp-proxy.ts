/**
 * A TCP proxy on 127.0.0.1:0 in front of one address, for fault tests: `stall()` holds every
 * byte in both directions (the peer looks alive but never answers, as a hung process or a
 * full network queue does), `release()` delivers what was held and forwards again.
 */
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/** A running proxy. */
export class TcpProxy {
  private stalled = false;
  /** Connections accepted so far. */
  accepted = 0;
  private readonly pairs = new Set<{ held: { to: Socket; data: Buffer }[]; a: Socket; b: Socket }>();

  private constructor(
    private readonly server: Server,
    /** `127.0.0.1:<port>` of the proxy. */
    readonly address: string,
  ) {}

  /** Listens on a free port and forwards each connection to `target` (`host:port`). */
  static async start(target: string): Promise<TcpProxy> {
    const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
    const holder: { proxy?: TcpProxy } = {};
    const server = createServer((a) => holder.proxy?.accept(a, host, port));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('proxy: no port');
    holder.proxy = new TcpProxy(server, `127.0.0.1:${addr.port}`);
    return holder.proxy;
  }

  private accept(a: Socket, host: string, port: number): void {
    this.accepted++;
    const b = createConnection({ host, port });
    const pair = { held: [] as { to: Socket; data: Buffer }[], a, b };
    this.pairs.add(pair);
    const forward = (to: Socket) => (data: Buffer) => {
      if (this.stalled) pair.held.push({ to, data });
      else to.write(data);
    };
    a.on('data', forward(b));
    b.on('data', forward(a));
    const end = (): void => {
      a.destroy();
      b.destroy();
      this.pairs.delete(pair);
    };
    a.on('close', end).on('error', end);
    b.on('close', end).on('error', end);
  }

  /** Bytes held so far. */
  get heldBytes(): number {
    let n = 0;
    for (const p of this.pairs) for (const h of p.held) n += h.data.length;
    return n;
  }

  /** Holds every byte from now on. */
  stall(): void {
    this.stalled = true;
  }

  /** Delivers what was held and forwards again. */
  release(): void {
    this.stalled = false;
    for (const p of this.pairs) {
      for (const h of p.held.splice(0)) if (!h.to.destroyed) h.to.write(h.data);
    }
  }

  async stop(): Promise<void> {
    for (const p of this.pairs) {
      p.a.destroy();
      p.b.destroy();
    }
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
