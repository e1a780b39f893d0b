/** Small helpers the benchmarks share. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { projectRoot } from '../shared/config/index.js';

/** Median (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** A free TCP port on 127.0.0.1 (bound, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A child Node process a benchmark started, and the port it listens on. */
export interface Child {
  proc: ChildProcess;
  port: number;
  /** The service's HTTP (metrics) port, when it has one. */
  httpPort?: number;
}

/**
 * Starts `node args…` in the project root and resolves once one of its stdout lines, parsed as
 * JSON, makes `ready` return a port. Rejects when it exits first.
 */
export function startChild(args: string[], env: Record<string, string>, ready: (rec: Record<string, unknown>) => number | undefined): Promise<Child> {
  const proc = spawn(process.execPath, args, { cwd: projectRoot(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (c: string) => {
      buf += c;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const port = ready(JSON.parse(line) as Record<string, unknown>);
          if (port !== undefined) resolve({ proc, port });
        } catch {
          // not a JSON line
        }
      }
    });
    proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

/** SIGTERM, and waits for the exit (at once when it has exited already). */
export async function stopChild(c: Child): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  const exited = new Promise((r) => c.proc.once('exit', r));
  c.proc.kill('SIGTERM');
  await exited;
}
