/**
 * Ports for the mesh. The supervisor decides every port before it starts a service: a configured
 * port is checked free up front (so a clash is reported before anything starts), and a port of 0
 * is replaced by a free one picked here, then kept across restarts, so a service's address never
 * changes while the mesh runs.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/** Where a probe connects for a bind address: the wildcard addresses are reached on loopback. */
export function connectHost(bindHost: string): string {
  return bindHost === '0.0.0.0' || bindHost === '::' || bindHost === '' ? '127.0.0.1' : bindHost;
}

function listenOnce(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    // exclusive: a port another process holds with SO_REUSEPORT must count as taken.
    server.listen({ host, port, exclusive: true }, () => {
      const bound = (server.address() as AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}

/** Whether `port` can be bound on `host` right now. */
export async function isPortFree(host: string, port: number): Promise<boolean> {
  try {
    await listenOnce(host, port);
    return true;
  } catch (e: unknown) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') return false;
    throw e;
  }
}

/**
 * A port that is free on `host` now (the kernel's choice for port 0), avoiding `avoid` (ports
 * already given to other services of the mesh).
 */
export async function pickFreePort(host: string, avoid: ReadonlySet<number> = new Set()): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await listenOnce(host, 0);
    if (!avoid.has(port)) return port;
  }
  throw new Error(`no free port on ${host} after 20 attempts`);
}
