import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logging/index.js';

/** A plain HTTP answer from an extra route. */
export interface HttpAnswer {
  status: number;
  body: string;
  contentType?: string;
}

/** Options for {@link MetricsServer.create}. */
export interface MetricsServerOptions {
  /** Address to bind. @default '127.0.0.1' */
  host?: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** Registry whose metrics `/metrics` exposes. */
  registry: Registry;
  logger: Logger;
  /** Liveness for `/healthz` and `/v2/health/live`. @default always live */
  live?: () => boolean;
  /** Readiness for `/readyz` and `/v2/health/ready`. */
  ready: () => boolean;
  /**
   * Extra GET routes (e.g. per-model readiness); return undefined for "not mine". `url` carries
   * the query; the answer may come asynchronously (a store read).
   */
  route?: (path: string, url: URL) => HttpAnswer | undefined | Promise<HttpAnswer | undefined>;
}

/**
 * The HTTP side of a service: Prometheus metrics at `/metrics`, plain health at `/healthz`
 * (live) and `/readyz` (ready), and the same under Triton's `/v2/health/live|ready`.
 * Health answers 200 when true and 503 when false.
 */
export class MetricsServer {
  /** The bound port. */
  readonly port: number;
  private readonly server: Server;

  private constructor(server: Server, port: number) {
    this.server = server;
    this.port = port;
  }

  /** Binds and starts serving. @throws the listen error (e.g. EADDRINUSE). */
  static async create(opts: MetricsServerOptions): Promise<MetricsServer> {
    const live = opts.live ?? (() => true);
    const server = createServer((req, res) => {
      handle(req, res).catch((e: unknown) => {
        opts.logger.error({ err: e, path: req.url }, 'metrics endpoint failed');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    const health = (res: ServerResponse, ok: boolean): void => {
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ok ? 'ok\n' : 'unavailable\n');
    };
    async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' });
        res.end();
        return;
      }
      switch (path) {
        case '/metrics': {
          const body = await opts.registry.metrics();
          res.writeHead(200, { 'content-type': opts.registry.contentType });
          res.end(body);
          return;
        }
        case '/healthz':
        case '/v2/health/live':
          health(res, live());
          return;
        case '/readyz':
        case '/v2/health/ready':
          health(res, opts.ready());
          return;
        default: {
          const answer = await opts.route?.(path, url);
          if (answer) {
            res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'text/plain' });
            res.end(answer.body);
            return;
          }
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('not found\n');
        }
      }
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new MetricsServer(server, (server.address() as AddressInfo).port);
  }

  /** Stops accepting and closes idle keep-alive connections. Idempotent. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
