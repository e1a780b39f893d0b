/**
 * A TCP proxy on 127.0.0.1:0 in front of one address, for fault tests: `stall()` holds every
 * byte in both directions (the peer looks alive but never answers, as a hung process or a
 * full network queue does), `release()` delivers what was held and forwards again;
 * `setLatency(ms)` delays every chunk by that much in each direction (in order), and `reset()`
 * cuts every open connection with a TCP RST (`resetNew(true)` cuts each new one too, as a
 * flapping link or a crashing sidecar does).
 */
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

/** Bytes on their way to one socket, each chunk with the time it may be written. */
interface Lane {
  to: Socket;
  queue: { due: number; data: Buffer }[];
  timer: NodeJS.Timeout | undefined;
}

interface Pair {
  held: { to: Socket; data: Buffer }[];
  a: Socket;
  b: Socket;
}

/** Cuts a socket with RST where Node can (resetAndDestroy), else destroys it. */
function cut(s: Socket): void {
  if (s.destroyed) return;
  try {
    s.resetAndDestroy();
  } catch {
    // not connected yet (resetAndDestroy needs a handle): a plain destroy closes it
    s.destroy();
  }
}

/** A running proxy. */
export class TcpProxy {
  private stalled = false;
  private latencyMs = 0;
  private resettingNew = false;
  private readonly pairs = new Set<Pair>();
  /** Connections accepted, and cut by reset()/resetNew, since start. */
  readonly counts = { accepted: 0, reset: 0 };

  private constructor(
    private readonly server: Server,
    /** `127.0.0.1:<port>` of the proxy. */
    readonly address: string,
  ) {}

  /**
   * Listens on `port` (default a free one) and forwards each connection to `target` (`host:port`).
   */
  static async start(target: string, port = 0): Promise<TcpProxy> {
    const [host, targetPort] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
    const holder: { proxy?: TcpProxy } = {};
    const server = createServer((a) => holder.proxy?.accept(a, host, targetPort));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('proxy: no port');
    holder.proxy = new TcpProxy(server, `127.0.0.1:${addr.port}`);
    return holder.proxy;
  }

  private accept(a: Socket, host: string, port: number): void {
    this.counts.accepted++;
    if (this.resettingNew) {
      this.counts.reset++;
      cut(a);
      return;
    }
    const b = createConnection({ host, port });
    const pair: Pair = { held: [], a, b };
    this.pairs.add(pair);
    const lanes = new Map<Socket, Lane>([
      [a, { to: a, queue: [], timer: undefined }],
      [b, { to: b, queue: [], timer: undefined }],
    ]);
    const drain = (lane: Lane): void => {
      lane.timer = undefined;
      const now = Date.now();
      while (lane.queue.length > 0 && (lane.queue[0] as { due: number }).due <= now) {
        const item = lane.queue.shift() as { due: number; data: Buffer };
        if (this.stalled) pair.held.push({ to: lane.to, data: item.data });
        else if (!lane.to.destroyed) lane.to.write(item.data);
      }
      const next = lane.queue[0];
      if (next) lane.timer = setTimeout(() => drain(lane), Math.max(0, next.due - now));
    };
    const forward = (to: Socket) => (data: Buffer) => {
      const lane = lanes.get(to) as Lane;
      // Chunks already delayed keep their order: a later chunk never overtakes an earlier one.
      if (this.latencyMs > 0 || lane.queue.length > 0) {
        const last = lane.queue[lane.queue.length - 1]?.due ?? 0;
        lane.queue.push({ due: Math.max(last, Date.now() + this.latencyMs), data });
        if (lane.timer === undefined) drain(lane);
      } else if (this.stalled) pair.held.push({ to, data });
      else to.write(data);
    };
    a.on('data', forward(b));
    b.on('data', forward(a));
    const end = (): void => {
      for (const lane of lanes.values()) clearTimeout(lane.timer);
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

  /** Open connections. */
  get connections(): number {
    return this.pairs.size;
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

  /** Delays every chunk from now on by `ms` in each direction (0: none). */
  setLatency(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`proxy: latency must be >= 0 ms, got ${ms}`);
    this.latencyMs = ms;
  }

  /** Cuts every open connection with a TCP RST, both sides. */
  reset(): void {
    for (const p of [...this.pairs]) {
      this.counts.reset++;
      cut(p.a);
      cut(p.b);
      this.pairs.delete(p);
    }
  }

  /** While on, every new connection is cut with a RST as soon as it is accepted. */
  resetNew(on: boolean): void {
    this.resettingNew = on;
  }

  async stop(): Promise<void> {
    for (const p of this.pairs) {
      p.a.destroy();
      p.b.destroy();
    }
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
