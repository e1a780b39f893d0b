import Fastify from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { clip, errorMessage, isMlmeshError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { httpStatusOf } from './status.js';

/** The media type of every JSON answer of the host. */
export const JSON_TYPE = 'application/json; charset=utf-8';

/** Default of {@link HttpServerOptions.bodyLimitBytes}: 64 MiB, as the gRPC message limit. */
export const DEFAULT_HTTP_BODY_LIMIT_BYTES = 64 * 1024 * 1024;

/** Methods a path can be asked with; those it has no route for answer 405 with `Allow`. */
const METHODS: readonly HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * A service's HTTP routes, registered on the host's HTTP port before it listens: any method,
 * with fastify's full API (params, JSON bodies, content-type parsers, hooks). Registered in
 * their own encapsulated context, so a parser or hook added here applies to these routes only.
 * A thrown (or rejected) error answers as JSON (see {@link HttpServer}).
 */
export type HttpRoutes = (app: FastifyInstance) => void | Promise<void>;

/** Options for {@link HttpServer.create}. */
export interface HttpServerOptions {
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
  /** Largest request body accepted, in bytes; a larger one is answered 413. @default {@link DEFAULT_HTTP_BODY_LIMIT_BYTES} */
  bodyLimitBytes?: number;
  /** The service's own routes. */
  routes?: HttpRoutes;
}

/** A rendered answer (a page, a JSON document) for {@link sendAnswer}. */
export interface HttpAnswer {
  status: number;
  body: string;
  /** @default 'text/plain' */
  contentType?: string;
}

/** Sends a rendered {@link HttpAnswer}. */
export function sendAnswer(reply: FastifyReply, answer: HttpAnswer): FastifyReply {
  return reply
    .code(answer.status)
    .type(answer.contentType ?? 'text/plain')
    .send(answer.body);
}

/** The `{"error": "..."}` body of every error the host answers (the Open Inference Protocol's shape). */
export function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type(JSON_TYPE).send({ error: message });
}

/** The message an error answers with: its own for a client error, a generic one for a 5xx not raised on purpose. */
function errorAnswer(e: unknown, status: number): string {
  if (status < 500 || isMlmeshError(e)) return clip(errorMessage(e), 2000);
  return 'internal error';
}

/**
 * A URL whose path is not valid percent-encoding, with its `%` escaped, so that it is routed as
 * any other (fastify's router would answer it 400 before any route sees it) and the route can
 * say which part is wrong: the route reads the URL as sent in `request.originalUrl`. Others
 * pass unchanged.
 */
function routableUrl(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  try {
    decodeURIComponent(path);
    return url;
  } catch {
    return path.replaceAll('%', '%25') + (q < 0 ? '' : url.slice(q));
  }
}

/**
 * The HTTP side of a service, on fastify: Prometheus metrics at `/metrics`, plain health at
 * `/healthz` (live) and `/readyz` (ready), the same under Triton's `/v2/health/live|ready`
 * (health answers 200 when true, 503 when false), and the service's {@link HttpRoutes}. A GET
 * route answers HEAD too; a method a path has no route for answers 405 with `Allow`; an unknown
 * path 404. Errors are JSON `{"error": "..."}`: an MlmeshError thrown by a route answers with
 * its code's HTTP status ({@link httpStatusOf}), a body that is not valid JSON 400, one over
 * the body limit 413, an unexpected error 500 (logged).
 *
 * `drain()` stops taking connections, closes idle keep-alive ones and lets requests in flight
 * finish; `close()` ends every connection at once.
 */
export class HttpServer {
  /** The bound port. */
  readonly port: number;
  private closing: Promise<void> | undefined;

  private constructor(
    /** The fastify instance (for tests: `inject`). */
    readonly app: FastifyInstance,
    port: number,
    private readonly routeState: { refusing: boolean; inflight: number; idle: (() => void) | undefined },
    private readonly log: Logger,
  ) {
    this.port = port;
  }

  /** Registers the routes, binds and starts serving. @throws the listen error (e.g. EADDRINUSE), or what `routes` throws. */
  static async create(opts: HttpServerOptions): Promise<HttpServer> {
    const live = opts.live ?? (() => true);
    const app = Fastify({
      logger: false,
      bodyLimit: opts.bodyLimitBytes ?? DEFAULT_HTTP_BODY_LIMIT_BYTES,
      // Idle keep-alive connections close with the server; busy ones once their answer is out.
      forceCloseConnections: 'idle',
      routerOptions: { ignoreTrailingSlash: true },
      rewriteUrl: (req) => routableUrl(req.url ?? '/'),
    });
    const log = opts.logger.child({ component: 'http' });
    app.setErrorHandler((e: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
      const status = isMlmeshError(e) ? httpStatusOf(e) : typeof e.statusCode === 'number' && e.statusCode >= 400 ? e.statusCode : 500;
      if (status >= 500 && !isMlmeshError(e)) log.error({ err: e, method: req.method, path: req.url }, 'HTTP route failed');
      return sendError(reply, status, errorAnswer(e, status));
    });
    app.setNotFoundHandler((req, reply) => sendError(reply, 404, `no route for ${req.method} ${clip(req.url.split('?')[0], 200)}`));

    // Every path's methods, so that the others answer 405 (added once all routes are known).
    const methodsOf = new Map<string, Set<string>>();
    app.addHook('onRoute', (route) => {
      const set = methodsOf.get(route.url) ?? new Set<string>();
      for (const m of [route.method].flat()) set.add(m);
      methodsOf.set(route.url, set);
    });

    const health = (reply: FastifyReply, ok: boolean): FastifyReply => reply.code(ok ? 200 : 503).type('text/plain').send(ok ? 'ok\n' : 'unavailable\n');
    app.get('/metrics', async (_req, reply) => {
      const body = await opts.registry.metrics();
      return reply.type(opts.registry.contentType).send(body);
    });
    app.get('/healthz', (_req, reply) => health(reply, live()));
    app.get('/v2/health/live', (_req, reply) => health(reply, live()));
    app.get('/readyz', (_req, reply) => health(reply, opts.ready()));
    app.get('/v2/health/ready', (_req, reply) => health(reply, opts.ready()));
    const self = { refusing: false, inflight: 0, idle: undefined as (() => void) | undefined };
    if (opts.routes) {
      const routes = opts.routes;
      await app.register(async (scope) => {
        // The service's requests are counted, so a drain can wait for them, and refused once it has begun.
        scope.addHook('onRequest', (req, reply, done) => {
          if (self.refusing) {
            sendError(reply.header('connection', 'close'), 503, 'the service is shutting down');
            return;
          }
          self.inflight++;
          reply.raw.once('close', () => {
            self.inflight--;
            if (self.inflight === 0) self.idle?.();
          });
          done();
        });
        await routes(scope);
      });
    }
    for (const [url, methods] of methodsOf) {
      // fastify answers HEAD for every GET route by itself.
      if (methods.has('GET')) methods.add('HEAD');
      const allow = METHODS.filter((m) => methods.has(m));
      const others = METHODS.filter((m) => !methods.has(m));
      if (others.length === 0) continue;
      app.route({ method: others, url, handler: (req, reply) => sendError(reply.header('allow', allow.join(', ')), 405, `${req.method} is not allowed on ${url} (allowed: ${allow.join(', ')})`) });
    }

    try {
      await app.listen({ port: opts.port, host: opts.host ?? '127.0.0.1' });
    } catch (e: unknown) {
      await app.close();
      throw e;
    }
    return new HttpServer(app, (app.server.address() as AddressInfo).port, self, log);
  }

  /**
   * The first step of a graceful stop, for the service's routes only (metrics and health go on
   * answering): from now on they answer 503, and this resolves once those in flight are
   * answered, or after `graceMs` (then they are left to the final drain or close).
   */
  async stopRoutes(graceMs: number): Promise<void> {
    const s = this.routeState;
    s.refusing = true;
    if (s.inflight === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.log.warn({ inflight: s.inflight }, 'shutdown grace period over: HTTP requests still in flight');
        resolve();
      }, graceMs);
      timer.unref();
      s.idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    s.idle = undefined;
  }

  /** Stops accepting, closes idle keep-alive connections, and resolves once the requests in flight are answered. Idempotent. */
  drain(): Promise<void> {
    this.closing ??= this.app.close();
    return this.closing;
  }

  /** Ends every connection now, a request in flight included. Idempotent. */
  async close(): Promise<void> {
    const closing = this.drain();
    this.app.server.closeAllConnections();
    await closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drain();
  }
}
