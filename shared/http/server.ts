import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { auditTarget } from '../auth/index.js';
import type { Authorizer, Identity, Role } from '../auth/index.js';
import { FileCertificates } from '../tls/index.js';
import type { FileCertificatesOptions } from '../tls/index.js';
import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { CancelledError, Code, clip, errorMessage, isMlmeshError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { attachSignals } from './context.js';
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
  /**
   * HTTPS: the server's certificate and key, re-read when they change. With `caFile`, client
   * certificates are asked for and, when the CA signed them, identify the caller; one is not
   * required (health probes and token callers have none). @default plain HTTP
   */
  tls?: FileCertificatesOptions & { certFile: string; keyFile: string };
  /**
   * Authorization of the service's routes (not /metrics nor health), as on gRPC: a route's role
   * is its `config.role` (fastify route config), else `read` for GET and HEAD, `data` for the
   * other methods; routes needing `admin` are audited. @default none
   */
  authorizer?: Authorizer;
}

const CODE_NAMES = new Map<number, string>(Object.entries(Code).map(([k, v]) => [v, k]));

/** The role an HTTP route needs when its config names none. */
function defaultRouteRole(method: string): Role {
  return method === 'GET' || method === 'HEAD' ? 'read' : 'data';
}

/** The CN of a verified client certificate on the request's TLS connection. */
function certificateCn(req: FastifyRequest): string | undefined {
  const socket = req.raw.socket as Partial<TLSSocket>;
  if (!socket.authorized || typeof socket.getPeerCertificate !== 'function') return undefined;
  const cn: unknown = socket.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' ? cn : Array.isArray(cn) && typeof cn[0] === 'string' ? cn[0] : undefined;
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

/** What the service's routes share with the server: stop signals and the work a drain waits for. */
class RouteState {
  refusing = false;
  private pending = 0;
  private idle: (() => void) | undefined;
  readonly draining = new AbortController();
  readonly closing = new AbortController();

  constructor() {
    // Every call in flight listens on both (and removes its listener when it ends): no leak.
    setMaxListeners(0, this.draining.signal, this.closing.signal);
  }

  /** Counts one piece of work (a request in flight, after-answer work) until the returned function runs. */
  hold(): () => void {
    this.pending++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.pending--;
      if (this.pending === 0) this.idle?.();
    };
  }

  /** Resolves once no work is held, or after `ms` (false then). */
  async settled(ms: number): Promise<boolean> {
    if (this.pending === 0) return true;
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      timer.unref();
      this.idle = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    this.idle = undefined;
    return ok;
  }

  get held(): number {
    return this.pending;
  }
}

/**
 * The HTTP side of a service, on fastify: Prometheus metrics at `/metrics`, plain health at
 * `/healthz` (live) and `/readyz` (ready), the same under Triton's `/v2/health/live|ready`
 * (health answers 200 when true, 503 when false), and the service's {@link HttpRoutes}. A GET
 * route answers HEAD too; a method a path has no route for answers 405 with `Allow`; an unknown
 * path 404. Errors are JSON `{"error": "..."}`: an MlmeshError thrown by a route answers with
 * its code's HTTP status ({@link httpStatusOf}), a body that is not valid JSON 400, one over
 * the body limit 413, an unexpected error 500 (logged). Every answer is counted in
 * `http_server_requests_total` and timed in `http_server_request_duration_seconds`, by method,
 * route (the pattern, so unknown paths cannot grow the label set) and status.
 *
 * The stop: {@link stopRoutes} makes the service's routes answer 503 and waits for those in
 * flight; `drain()` then stops taking connections, closes idle keep-alive ones and lets requests
 * in flight finish; `close()` ends every connection at once.
 */
export class HttpServer {
  /** The bound port. */
  readonly port: number;
  private closed: Promise<void> | undefined;

  private constructor(
    /** The fastify instance (for tests: `inject`). */
    readonly app: FastifyInstance,
    port: number,
    private readonly state: RouteState,
    private readonly log: Logger,
  ) {
    this.port = port;
  }

  /** Registers the routes, binds and starts serving. @throws the listen error (e.g. EADDRINUSE), or what `routes` throws. */
  static async create(opts: HttpServerOptions): Promise<HttpServer> {
    const live = opts.live ?? (() => true);
    const certificates = opts.tls ? new FileCertificates(opts.tls) : undefined;
    const app = Fastify({
      ...(certificates && opts.tls
        ? { https: { cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile), ...(opts.tls.caFile ? { ca: readFileSync(opts.tls.caFile), requestCert: true, rejectUnauthorized: false } : {}) } }
        : {}),
      logger: false,
      bodyLimit: opts.bodyLimitBytes ?? DEFAULT_HTTP_BODY_LIMIT_BYTES,
      // Idle keep-alive connections close with the server; busy ones once their answer is out.
      forceCloseConnections: 'idle',
      routerOptions: { ignoreTrailingSlash: true },
      rewriteUrl: (req) => routableUrl(req.url ?? '/'),
    });
    const log = opts.logger.child({ component: 'http' });
    if (certificates) {
      // New connections get the files in force; the ones open keep theirs.
      const latest: { cert?: Buffer; key?: Buffer; ca?: Buffer } = {};
      const server = app.server as unknown as HttpsServer;
      const apply = (): void => {
        try {
          server.setSecureContext({ ...latest });
        } catch (e: unknown) {
          log.warn({ err: errorMessage(e) }, 'HTTPS certificates not reloaded: keeping the ones in force');
        }
      };
      certificates.addIdentityCertificateListener((u) => {
        if (!u) return;
        latest.cert = u.certificate;
        latest.key = u.privateKey;
        apply();
      });
      if (opts.tls?.caFile) {
        certificates.addCaCertificateListener((u) => {
          if (!u) return;
          latest.ca = u.caCertificate;
          apply();
        });
      }
      app.addHook('onClose', (_app, done) => {
        certificates.close();
        done();
      });
    }
    const state = new RouteState();
    attachSignals(app.server, { draining: state.draining.signal, closing: state.closing.signal, logger: opts.logger, hold: () => state.hold() });

    const requests = new Counter({
      name: 'http_server_requests_total',
      help: 'HTTP requests answered, by method, route and status.',
      labelNames: ['method', 'route', 'status'],
      registers: [opts.registry],
    });
    const seconds = new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Time from receiving an HTTP request to sending its answer, in seconds, by method and route.',
      labelNames: ['method', 'route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [opts.registry],
    });
    app.addHook('onResponse', (req, reply, done) => {
      const route = req.routeOptions.url ?? '(no route)';
      requests.inc({ method: req.method, route, status: String(reply.statusCode) });
      seconds.observe({ method: req.method, route }, reply.elapsedTime / 1000);
      done();
    });

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
    if (opts.routes) {
      const routes = opts.routes;
      await app.register(async (scope) => {
        // The service's requests are counted, so a drain can wait for them, and refused once it has begun.
        scope.addHook('onRequest', (_req, reply, done) => {
          if (state.refusing) {
            sendError(reply.header('connection', 'close'), 503, 'the service is shutting down');
            return;
          }
          const release = state.hold();
          reply.raw.once('close', release);
          done();
        });
        const authorizer = opts.authorizer;
        if (authorizer) {
          // Before the body is read: a refusal says nothing of what the request names.
          scope.addHook('onRequest', (req, reply, done) => {
            const config = req.routeOptions.config as { role?: Role } | undefined;
            const needed = config?.role ?? defaultRouteRole(req.method);
            const what = `${req.method} ${req.routeOptions.url ?? req.url}`;
            const header = req.headers.authorization;
            const creds = { authorization: typeof header === 'string' ? header : undefined, certificateCn: certificateCn(req) };
            let identity: Identity | undefined;
            const audit = (outcome: string): void => {
              if (needed !== 'admin') return;
              let who = identity;
              if (!who) {
                try {
                  who = authorizer.identify(creds);
                } catch {
                  // The token was refused: the audit line says a token was tried, not whose.
                  who = { name: 'unknown token', via: 'token', role: undefined };
                }
              }
              authorizer.audit(opts.logger, { identity: who, service: 'http', method: what, outcome, requestId: String(req.id), target: auditTarget(req.params) });
            };
            try {
              identity = authorizer.authorize(creds, what, needed);
            } catch (e: unknown) {
              audit(CODE_NAMES.get(isMlmeshError(e) ? e.code : Code.INTERNAL) ?? 'UNKNOWN');
              sendError(reply, httpStatusOf(e), errorAnswer(e, httpStatusOf(e)));
              return;
            }
            if (needed === 'admin') reply.raw.once('finish', () => audit(String(reply.statusCode)));
            done();
          });
        }
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
    return new HttpServer(app, (app.server.address() as AddressInfo).port, state, log);
  }

  /**
   * The first step of a graceful stop, for the service's routes only (metrics and health go on
   * answering): from now on they answer 503 (and their calls' `draining` signal aborts), and
   * this resolves once those in flight are answered and their after-answer work has run, or
   * after `graceMs`: then their calls are cancelled (their signals abort) and it resolves.
   */
  async stopRoutes(graceMs: number): Promise<void> {
    this.state.refusing = true;
    this.state.draining.abort(new CancelledError('server draining'));
    if (await this.state.settled(graceMs)) return;
    this.log.warn({ inflight: this.state.held }, 'shutdown grace period over: cancelling HTTP requests in flight');
    this.state.closing.abort(new CancelledError('server shutting down'));
  }

  /** Stops accepting, closes idle keep-alive connections, and resolves once the requests in flight are answered. Idempotent. */
  drain(): Promise<void> {
    this.closed ??= this.app.close();
    return this.closed;
  }

  /** Ends every connection now, a request in flight included (its call is cancelled). Idempotent. */
  async close(): Promise<void> {
    this.state.refusing = true;
    this.state.draining.abort(new CancelledError('server closing'));
    this.state.closing.abort(new CancelledError('server shutting down'));
    const closed = this.drain();
    this.app.server.closeAllConnections();
    await closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drain();
  }
}
