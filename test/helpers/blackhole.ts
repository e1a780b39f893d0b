/**
 * A TCP port on 127.0.0.1 that drops every packet sent to it (an iptables DROP rule), so a
 * connect to it never completes — what a partition, a firewall or a wrong IP does. A local
 * listener cannot stand in for it: Linux completes the handshake for a listener's backlog.
 * Needs root and iptables; `Blackhole.create()` answers with the reason when it cannot.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A free port on 127.0.0.1 (bound then released). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

/** A DROP rule on one port; `remove()` deletes it (idempotent). */
export class Blackhole {
  private removed = false;

  private constructor(
    readonly port: number,
    private readonly rule: string[],
  ) {}

  /**
   * Drops packets to `port` (default: a free port), or answers the reason it cannot here (no
   * iptables, not root). A server already listening on `port` becomes unreachable.
   */
  static async create(port?: number): Promise<Blackhole | string> {
    port ??= await freePort();
    const rule = ['INPUT', '-p', 'tcp', '-d', '127.0.0.1', '--dport', String(port), '-j', 'DROP'];
    try {
      await run('iptables', ['-w', '-A', ...rule]);
    } catch (e: unknown) {
      return `cannot add an iptables DROP rule (needs iptables and root): ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
    }
    return new Blackhole(port, rule);
  }

  /** `nats://127.0.0.1:<port>`. */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async remove(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    await run('iptables', ['-w', '-D', ...this.rule]);
  }
}

/**
 * TCP sockets on this machine whose remote end is 127.0.0.1:`port`, by state (from
 * /proc/net/tcp: `02` SYN_SENT, `01` ESTABLISHED…). A closed SYN_SENT socket leaves at once.
 */
export async function socketsTo(port: number): Promise<string[]> {
  const text = await readFile('/proc/net/tcp', 'utf8');
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const states: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[2] === `0100007F:${hexPort}` && f[3] !== undefined) states.push(f[3]);
  }
  return states;
}
