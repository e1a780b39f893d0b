import { endianness } from 'node:os';
import type { Registry } from 'prom-client';
import * as grpc from '@grpc/grpc-js';
import { Authorizer } from '../auth/index.js';
import { ConfigError, loadConfig, requireReadableFiles } from '../config/index.js';
import type { ConfigOf, DeprecatedVariable, OptionSpecs } from '../config/index.js';
import { errorMessage } from '../errors/index.js';
import { GrpcServer, loadProtos, serviceDefinition } from '../grpc/index.js';
import { createLogger } from '../logging/index.js';
import type { Logger } from '../logging/index.js';
import { HttpServer } from '../http/index.js';
import type { HttpRoutes } from '../http/index.js';
import { createRegistry } from '../metrics/index.js';
import { checkNatsClientOptions, connectInBackground, describeNatsAuth, hasNatsClientOptions, natsConnectOptions } from '../nats/index.js';
import type { BackgroundConnection } from '../nats/index.js';
import type { NatsConnection } from 'nats';
import { channelCredentials } from '../tls/index.js';
import type { FileCertificates } from '../tls/index.js';
import type { HostedGrpcService } from './handlers.js';
import type { HostConfig, HostOptionSpecs } from './options.js';

/** Lifecycle of a {@link ServiceHost}: binding and starting, serving, draining, stopped. */
export type ServiceHostState = 'starting' | 'serving' | 'draining' | 'closed';

/** The resolved options of a service on the host: its own and the host's. */
export type HostedConfig<S extends OptionSpecs> = ConfigOf<S> & HostConfig;

/** How often gRPC health is re-derived from the service's `serving()`, in ms. */
export const HEALTH_REFRESH_MS = 1000;

/**
 * The resources' drains must be done by drainDelayMs + shutdownGraceMs + this many ms after the
 * stop began (a close(): this many ms after it); the ones left then are closed, in ms.
 */
export const RESOURCE_STOP_BUDGET_MS = 2000;
/** How long a resource's close() (after its drain ran out of time) or the HTTP server's drain may still take, in ms. */
const RESOURCE_CLOSE_MS = 1000;

/** Whether `p` settles before `deadline` (epoch ms); a rejection is rethrown. */
async function withinBudget(p: Promise<void> | void | undefined, deadline: number): Promise<boolean> {
  if (!(p instanceof Promise)) return true;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => {
    timer = setTimeout(() => r(false), Math.max(0, deadline - Date.now()));
    timer.unref();
  });
  try {
    return await Promise.race([p.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Checks the TLS and authorization options together.
 * @throws ConfigError naming the option.
 */
function checkSecurityOptions(c: HostConfig): void {
  requireReadableFiles(c, ['tlsCertFile', 'tlsKeyFile', 'tlsCaFile']);
  if (c.tlsCertFile !== '' && c.tlsKeyFile === '') throw new ConfigError('tlsKeyFile', 'must be set with tlsCertFile');
  if (c.tlsKeyFile !== '' && c.tlsCertFile === '') throw new ConfigError('tlsCertFile', 'must be set with tlsKeyFile');
  if (c.tlsCaFile !== '' && c.tlsCertFile === '') throw new ConfigError('tlsCertFile', 'must be set with tlsCaFile (mutual TLS needs the server\'s own certificate)');
  if (c.authCertRoles.length > 0 && c.tlsCaFile === '') throw new ConfigError('authCertRoles', 'needs tlsCaFile: client certificates are only asked for under mutual TLS');
  if (c.authRequired && c.authTokens.length === 0 && c.authCertRoles.length === 0) throw new ConfigError('authRequired', 'is on but neither authTokens nor authCertRoles names anyone: every call would be refused');
}

/**
 * Something the service owns that must stop with it: a batcher, a publisher, a NATS
 * connection, a store. Drained (or closed) in the reverse order of {@link ServiceHost.use}.
 */
export interface HostResource {
  /** For logs, e.g. `prediction-log publisher`. */
  name: string;
  /** Graceful stop, after the gRPC server has drained. @default close */
  drain?: () => Promise<void> | void;
  /** Hard stop. @default drain */
  close?: () => Promise<void> | void;
}

/** What a service gives the host once its domain resources exist (see {@link ServiceHostOptions.setup}). */
export interface ServiceSetup<T> {
  /** The service object {@link ServiceHost.create} resolves with. */
  service: T;
  /** The gRPC services to serve (made with `defineService`). */
  services: readonly HostedGrpcService[];
  /** Readiness for `/readyz` and `/v2/health/ready` (and gRPC health unless `serving` is given). @default always */
  ready?: () => boolean;
  /** gRPC health (SERVING when true). @default ready */
  serving?: () => boolean;
  /**
   * The service's routes on the host's HTTP port (pages, a JSON API, POST endpoints): called
   * with a fastify instance (an encapsulated context of the host's) before the port listens.
   * A route may throw an MlmeshError: it answers `{"error": "..."}` with the code's HTTP status.
   * They answer 503 once a drain has stopped taking calls, and the drain waits for those in
   * flight. Not called when `httpPort` is -1.
   */
  routes?: HttpRoutes;
  /** Runs once both servers are bound (startup loads, connecting to NATS); the host is serving after it. */
  start?: () => Promise<void> | void;
  /** Fields of the `<name> service ready` log line. */
  describe?: () => Record<string, unknown>;
}

/** What the caller of a service's `create()` may pass in (tests, tools), for options `C`. */
export interface HostedServiceOptions<C> {
  /** Option values set in code; the rest come from file and environment. */
  overrides?: Partial<C>;
  /** Environment to read options from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default a pino logger at `logLevel` */
  logger?: Logger;
  /** @default a fresh registry with process metrics */
  registry?: Registry;
}

/** Options for {@link ServiceHost.create}. */
export interface ServiceHostOptions<S extends OptionSpecs & HostOptionSpecs, T> extends HostedServiceOptions<ConfigOf<S>> {
  /** The service's name: `service` on every log line and metric, its config-file section. */
  name: string;
  /** Its option specs (with {@link hostOptions} among them). */
  options: S;
  /** The .proto files it serves, relative to `protos/`. */
  protos: readonly string[];
  /**
   * Checks across options that one option alone cannot say. @throws ConfigError
   */
  validate?: (config: HostedConfig<S>) => void;
  /**
   * Builds the service's resources (registering each with `host.use()` as it is made) and
   * returns its handlers. Runs before anything is bound; if it or a later step throws, what it
   * registered is closed.
   */
  setup: (host: ServiceHost<HostedConfig<S>>) => Promise<ServiceSetup<T>> | ServiceSetup<T>;
}

/**
 * The one bootstrap of every mlmesh service: resolved config, logger, metrics registry, the gRPC
 * server (health, reflection, message limits, request ids, deadlines), the HTTP server
 * (`/metrics`, health, readiness, the service's routes), health that follows the service's
 * readiness, and the stop.
 *
 * `drain()` stops in this order: health NOT_SERVING → `drainDelayMs` of still taking calls →
 * new calls refused (gRPC; the service's HTTP routes answer 503) → in-flight calls and HTTP
 * requests finish (gRPC calls cancelled after `shutdownGraceMs`) and their after-answer work
 * runs → the service's resources in the reverse order of `use()` → the HTTP server (metrics go
 * on and readiness answers 503 until then; idle keep-alive connections are closed, busy ones
 * once answered) → logs flushed. `close()` is the hard stop: calls cancelled, every HTTP
 * connection ended, resources closed, servers shut.
 */
export class ServiceHost<C extends HostConfig = HostConfig> {
  private stateValue: ServiceHostState = 'starting';
  private readonly resources: HostResource[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private grpc: GrpcServer | undefined;
  private http: HttpServer | undefined;
  private setupValue: Omit<ServiceSetup<unknown>, 'service'> | undefined;
  private stopped: Promise<void> | undefined;
  private clientCerts: { credentials: grpc.ChannelCredentials; certificates: FileCertificates } | undefined;

  private constructor(
    /** The service's name. */
    readonly name: string,
    /** Its resolved options. */
    readonly config: C,
    readonly logger: Logger,
    readonly registry: Registry,
  ) {}

  /**
   * Resolves the options (logging one warning per former variable name that is set), makes the
   * logger and registry, runs `setup`, binds the gRPC and HTTP servers, runs `start`, and turns
   * health on as the service's readiness says. Resolves with the setup's `service`.
   * @throws ConfigError for a bad option; whatever `setup` or `start` throws; the bind error
   *   when a port is taken. Nothing is left open then.
   */
  static async create<S extends OptionSpecs & HostOptionSpecs, T>(opts: ServiceHostOptions<S, T>): Promise<T> {
    const deprecated: DeprecatedVariable[] = [];
    // S includes HostOptionSpecs, so its resolved config has the host's fields (TypeScript cannot
    // see through the conditional type of a generic S).
    const config = loadConfig(opts.options, { env: opts.env ?? process.env, overrides: opts.overrides ?? {}, section: opts.name, onDeprecated: (d) => deprecated.push(d) }) as HostedConfig<S>;
    checkSecurityOptions(config);
    // A service whose options spread natsClientOptions: contradictory credentials stop it here.
    if (hasNatsClientOptions(config)) checkNatsClientOptions(config);
    opts.validate?.(config);
    const logger = opts.logger ?? createLogger({ service: opts.name, level: config.logLevel });
    for (const d of deprecated) {
      logger.warn(
        { variable: d.variable, replacement: d.replacement, option: d.option },
        d.ignored ? `${d.variable} is a former name of ${d.replacement}, which is set too and wins: unset ${d.variable}` : `${d.variable} is a former name: set ${d.replacement} instead`,
      );
    }
    if (endianness() !== 'LE') throw new Error('mlmesh needs a little-endian host: tensors travel as little-endian bytes');
    const registry = opts.registry ?? createRegistry({ service: opts.name });
    const host = new ServiceHost<HostedConfig<S>>(opts.name, config, logger, registry);
    try {
      const setup = await opts.setup(host);
      await host.start(opts.protos, setup);
      return setup.service;
    } catch (e: unknown) {
      await host.close().catch((err: unknown) => logger.error({ err: errorMessage(err) }, 'closing after a failed start failed'));
      throw e;
    }
  }

  private async start(protos: readonly string[], setup: ServiceSetup<unknown>): Promise<void> {
    this.setupValue = setup;
    const c = this.config;
    const pkg = loadProtos(protos);
    this.grpc = await GrpcServer.create({
      host: c.host,
      port: c.grpcPort,
      packageDefinition: pkg,
      logger: this.logger,
      registry: this.registry,
      maxReceiveMessageBytes: c.maxMessageBytes,
      maxSendMessageBytes: c.maxMessageBytes,
      drainDelayMs: c.drainDelayMs,
      shutdownGraceMs: c.shutdownGraceMs,
      maxConnectionAgeMs: c.grpcMaxConnectionAgeMs,
      resetBurst: c.grpcResetBurst,
      services: setup.services.map((s) => ({ name: s.name, definition: serviceDefinition(pkg, s.name), handlers: s.handlers, ...(s.requestIdOf ? { requestIdOf: s.requestIdOf } : {}), ...(s.fastUnary ? { fastUnary: s.fastUnary } : {}) })),
      fastUnary: c.grpcFastUnary,
      flowWindowBytes: c.grpcFlowWindowBytes,
      ...(c.tlsCertFile !== '' ? { tls: { certFile: c.tlsCertFile, keyFile: c.tlsKeyFile, caFile: c.tlsCaFile, requireClientCert: c.tlsClientCerts === 'require', reloadIntervalMs: c.tlsReloadMs } } : {}),
      authorizer: new Authorizer({ required: c.authRequired, tokens: c.authTokens, certRoles: c.authCertRoles }),
    });
    if (c.httpPort >= 0) {
      this.http = await HttpServer.create({
        ...(c.tlsCertFile !== '' ? { tls: { certFile: c.tlsCertFile, keyFile: c.tlsKeyFile, ...(c.tlsCaFile !== '' ? { caFile: c.tlsCaFile } : {}), reloadIntervalMs: c.tlsReloadMs } } : {}),
        ...(c.authRequired ? { authorizer: this.grpc.authorizerInUse } : {}),
        host: c.host,
        port: c.httpPort,
        registry: this.registry,
        logger: this.logger,
        ready: () => this.ready,
        bodyLimitBytes: c.httpMaxBodyBytes,
        ...(setup.routes ? { routes: setup.routes } : {}),
      });
    }
    await setup.start?.();
    if (this.stateValue !== 'starting') return;
    this.stateValue = 'serving';
    this.refreshHealth();
    this.every(HEALTH_REFRESH_MS, () => this.refreshHealth());
    const where = { address: this.address, httpPort: this.httpPort, ...setup.describe?.() };
    if (this.ready) this.logger.info(where, `${this.name} service ready`);
    else this.logger.warn(where, `${this.name} service started but not ready`);
  }

  /** Current state. */
  get state(): ServiceHostState {
    return this.stateValue;
  }

  /** The bound gRPC port (-1 before binding). */
  get grpcPort(): number {
    return this.grpc?.port ?? -1;
  }

  /** The bound HTTP port, or -1 when disabled (or before binding). */
  get httpPort(): number {
    return this.http?.port ?? -1;
  }

  /** `host:port` of the gRPC server, for clients (127.0.0.1 when bound to every address). */
  get address(): string {
    return `${this.config.host === '0.0.0.0' ? '127.0.0.1' : this.config.host}:${this.grpcPort}`;
  }

  /** Serving and the service says it is ready. */
  get ready(): boolean {
    return this.stateValue === 'serving' && (this.setupValue?.ready?.() ?? true);
  }

  /** Sets gRPC health from the service's `serving()` (or readiness) now; the host also does it every second. */
  refreshHealth(): void {
    if (this.stateValue !== 'serving') return;
    const serving = this.setupValue?.serving ?? this.setupValue?.ready ?? (() => true);
    this.grpc?.setServing(serving());
  }

  /**
   * Channel credentials for this service's calls to other mesh services: with `tlsCaFile` set,
   * TLS verified against it, presenting `tlsCertFile` (mutual TLS; re-read when the files
   * change); otherwise plaintext. Made once, on first use; closed with the service.
   * @throws Error when the files cannot be read.
   */
  clientCredentials(): grpc.ChannelCredentials {
    const c = this.config;
    if (c.tlsCaFile === '') return grpc.credentials.createInsecure();
    if (!this.clientCerts) {
      this.clientCerts = channelCredentials({
        caFile: c.tlsCaFile,
        ...(c.tlsCertFile !== '' ? { certFile: c.tlsCertFile, keyFile: c.tlsKeyFile } : {}),
        reloadIntervalMs: c.tlsReloadMs,
        onReload: (e) => {
          if (e.type === 'refused') this.logger.warn({ files: e.files, err: e.error.message }, 'client TLS certificates not reloaded: keeping the ones in force');
        },
      });
      const certs = this.clientCerts.certificates;
      this.use({ name: 'client TLS certificates', close: () => certs.close() });
    }
    return this.clientCerts.credentials;
  }

  /** Registers a resource to drain and close with the service (reverse order of registration). */
  use(resource: HostResource): void {
    this.resources.push(resource);
  }

  /**
   * Runs `fn` every `ms` until the drain starts (unref'ed: it keeps no process alive). A
   * rejection is logged; the next tick runs anyway.
   */
  every(ms: number, fn: () => void | Promise<void>, what = 'periodic task'): void {
    const timer = setInterval(() => {
      // Safe to leave unawaited: a failure is logged here and the next tick runs regardless.
      void (async () => fn())().catch((e: unknown) => this.logger.warn({ err: errorMessage(e) }, `${what} failed`));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  /**
   * Connects to NATS in the background (NATS may be down at start: it retries, then keeps
   * reconnecting) and registers the connection as a resource, closed (whether NATS is up or
   * not) after the resources registered later. A service whose options spread
   * `natsClientOptions` connects with those credentials and TLS settings, and with its own
   * inbox prefix (`_INBOX_<service>`).
   */
  connectNats(servers: string, handlers: { onConnect: (nc: NatsConnection) => Promise<void>; onStatus?: (type: string, nc: NatsConnection) => void }): BackgroundConnection {
    const c = this.config;
    const connectOptions = hasNatsClientOptions(c) ? natsConnectOptions(c, this.name) : undefined;
    if (hasNatsClientOptions(c)) this.logger.info({ servers, ...describeNatsAuth(c) }, 'NATS: connecting');
    const conn = connectInBackground({ servers, name: `mlmesh-${this.name}-${process.pid}`, logger: this.logger, ...(connectOptions ? { connectOptions } : {}), ...handlers });
    this.use({ name: 'NATS connection', close: () => conn.close() });
    return conn;
  }

  /** Graceful stop in the order documented on the class. Idempotent: every caller gets the same promise. */
  drain(): Promise<void> {
    this.stopped ??= this.stop('drain');
    return this.stopped;
  }

  /** Hard stop: in-flight calls cancelled, resources closed, servers shut. A drain under way is cut short. */
  close(): Promise<void> {
    this.grpc?.close();
    const http = this.http?.close();
    this.stopped ??= this.stop('close');
    return http ? Promise.all([this.stopped, http]).then(() => undefined) : this.stopped;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drain();
  }

  private async stop(how: 'drain' | 'close'): Promise<void> {
    const started = Date.now();
    this.stateValue = 'draining';
    for (const t of this.timers) clearInterval(t);
    const failures: unknown[] = [];
    if (how === 'drain') {
      // The HTTP routes stop with the gRPC calls (metrics and health go on until the end).
      const delay = this.config.drainDelayMs;
      await Promise.all([
        this.grpc?.drain(),
        (async () => {
          if (delay > 0) await new Promise<void>((r) => setTimeout(r, delay).unref());
          await this.http?.stopRoutes(this.config.shutdownGraceMs);
        })(),
      ]);
    } else this.grpc?.close();
    // The resources share one budget: a drain that hangs (a consumer loop that never returns, a
    // worker that never answers) is given up on and the resource closed, so the process still
    // exits within the time its supervisor allows (drainDelayMs + shutdownGraceMs + 5 s in `mlmesh up`).
    const deadline = how === 'drain' ? started + this.config.drainDelayMs + this.config.shutdownGraceMs + RESOURCE_STOP_BUDGET_MS : Date.now() + RESOURCE_STOP_BUDGET_MS;
    for (const r of [...this.resources].reverse()) {
      const step = how === 'drain' ? (r.drain ?? r.close) : (r.close ?? r.drain);
      try {
        if (!(await withinBudget(step?.(), deadline))) {
          this.logger.warn({ resource: r.name, afterMs: Date.now() - started }, `${how} of ${r.name} did not finish in time: closing it`);
          if (how === 'drain' && r.close && r.close !== step) await withinBudget(r.close(), Date.now() + RESOURCE_CLOSE_MS);
        }
      } catch (e: unknown) {
        // One resource failing to stop must not keep the others open: log, go on, fail at the end.
        this.logger.error({ err: errorMessage(e), resource: r.name }, `${how} of ${r.name} failed`);
        failures.push(e);
      }
    }
    if (how === 'drain') {
      if (!(await withinBudget(this.http?.drain(), Math.max(deadline, Date.now() + RESOURCE_CLOSE_MS)))) {
        this.logger.warn('HTTP server did not drain in time: closing its connections');
        await this.http?.close();
      }
    } else await this.http?.close();
    this.stateValue = 'closed';
    this.logger.info(`${this.name} service stopped`);
    this.logger.flush();
    if (failures.length > 0) throw new AggregateError(failures, `${this.name}: ${failures.length} resource(s) failed to ${how}`);
  }
}
