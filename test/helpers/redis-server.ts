/**
 * A private redis-server for tests that stop and restart Redis (the shared one at 6379 must not
 * be touched): a free port, no persistence, `stop()` / `start()` on the same port.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/** The redis-server binary: REDIS_SERVER_BIN or the one on PATH. */
const BIN = process.env['REDIS_SERVER_BIN'] ?? 'redis-server';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** One redis-server process on a fixed port. */
export class RedisServer {
  private proc: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  /** `redis://127.0.0.1:<port>`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts a server on a free port and waits until it accepts connections. */
  static async launch(): Promise<RedisServer> {
    const s = new RedisServer(await freePort());
    await s.start();
    return s;
  }

  /** (Re)starts the server on its port. @throws Error when it does not come up within 5 s. */
  async start(): Promise<void> {
    const proc = spawn(BIN, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server on ${this.port} did not start within 5 s`)), 5000);
      let out = '';
      proc.stdout?.on('data', (c: Buffer) => {
        out += c.toString('utf8');
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`cannot start ${BIN}: ${e.message}`));
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${out}`));
      });
    });
  }

  /** Stops the server (SIGKILL: an outage, not a clean shutdown) and waits for its exit. */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
