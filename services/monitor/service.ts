/**
 * The drift monitor as a service: durable JetStream consumers feed the engine; gRPC
 * (mlmesh.monitor.v1.MonitorService, health, reflection) and HTTP (drift pages, /metrics,
 * health) serve its results; SIGTERM drains it (consumers finish their batch and ack, streams
 * of reports end, workers stop).
 */
import { resolve } from 'node:path';
import type { JetStreamClient, NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { UnavailableError, errorMessage } from '../../shared/errors/index.js';
import { GrpcServer, loadProtos, serviceDefinition } from '../../shared/grpc/index.js';
import { createLogger } from '../../shared/logging/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { MetricsServer, createRegistry } from '../../shared/metrics/index.js';
import type { HttpAnswer } from '../../shared/metrics/index.js';
import { connectInBackground, ensureStreams } from '../../shared/nats/index.js';
import type { BackgroundConnection } from '../../shared/nats/index.js';
import { resolveMonitorConfig } from './config.js';
import type { MonitorConfig } from './config.js';
import { CONSUMED, ensureConsumer, runConsumer } from './consumer.js';
import { MonitorEngine } from './engine.js';
import { MonitorMetrics } from './metrics.js';
import { DetectorPool } from './detector-pool.js';
import { indexPage, modelPage } from './page.js';
import { monitorHandlers } from './server.js';
import { StateStore } from './state-store.js';

/** Fully-qualified name of the monitor's gRPC service. */
export const MONITOR_SERVICE = 'mlmesh.monitor.v1.MonitorService';

/** Limits for streams the monitor creates when they are missing (existing ones are left as they are). */
const DEFAULT_STREAM_LIMITS = { maxAgeMs: 7 * 24 * 3600 * 1000, maxBytes: -1, duplicateWindowMs: 3600 * 1000 } as const;
/** How often time-based windows are checked, ms. */
const TICK_MS = 1000;
/** TwoSampleTest jobs waiting for the ad-hoc worker before new ones get RESOURCE_EXHAUSTED. */
const ADHOC_QUEUE_MAX = 4;
/** How long an event publish waits for its JetStream ack, ms. */
const PUBLISH_TIMEOUT_MS = 5000;

/** Options for {@link MonitorService.create}. */
export interface MonitorServiceOptions {
  overrides?: Partial<MonitorConfig>;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  registry?: Registry;
}

/** Lifecycle of the monitor. */
export type MonitorServiceState = 'serving' | 'draining' | 'closed';

/** The drift monitor service. */
export class MonitorService {
  private stateValue: MonitorServiceState = 'serving';
  private grpcServer: GrpcServer | undefined;
  private metricsServer: MetricsServer | undefined;
  private nats: BackgroundConnection | undefined;
  private js: JetStreamClient | undefined;
  private consumersReady = false;
  private readonly stop = new AbortController();
  private loops: Array<Promise<void>> = [];
  private tickTimer: NodeJS.Timeout | undefined;
  private drained: Promise<void> | undefined;
  /** Worker for TwoSampleTest, apart from the windows' pool. */
  private adhoc: DetectorPool | undefined;

  private constructor(
    readonly config: MonitorConfig,
    readonly logger: Logger,
    readonly registry: Registry,
    readonly engine: MonitorEngine,
    private readonly pool: DetectorPool,
  ) {}

  /**
   * Resolves options, loads the durable state, binds gRPC and HTTP, then connects to NATS in the
   * background (ready once the consumers exist).
   * @throws ConfigError for a bad option; Error when the state folder holds a corrupt window file.
   */
  static async create(opts: MonitorServiceOptions = {}): Promise<MonitorService> {
    const config = resolveMonitorConfig({ env: opts.env ?? process.env, overrides: opts.overrides ?? {} });
    const resolved = { ...config, modelRepository: resolve(config.modelRepository), stateDir: resolve(config.stateDir) };
    const logger = opts.logger ?? createLogger({ service: 'monitor', level: config.logLevel });
    const registry = opts.registry ?? createRegistry({ service: 'monitor' });
    const metrics = new MonitorMetrics(registry);
    const pool = new DetectorPool(config.detectorWorkers);
    // Filled in once the service exists (publishing starts after that).
    const made: { svc?: MonitorService } = {};
    const publish = async (subject: string, data: Uint8Array, msgId: string): Promise<void> => {
      const js = made.svc?.js;
      if (!js) throw new UnavailableError('NATS is not connected: cannot publish');
      await js.publish(subject, data, { msgID: msgId, timeout: PUBLISH_TIMEOUT_MS });
    };
    const engine = new MonitorEngine(resolved, new StateStore(resolved.stateDir), publish, (r, w, s) => pool.run(r, w, s), logger, metrics);
    try {
      await engine.load();
    } catch (e: unknown) {
      engine.close();
      await pool.close();
      throw e;
    }
    const svc = (made.svc = new MonitorService(resolved, logger, registry, engine, pool));
    const pkg = loadProtos(['mlmesh/monitor/v1/monitor.proto']);
    const self = svc;
    const adhoc = new DetectorPool(1, ADHOC_QUEUE_MAX);
    self.adhoc = adhoc;
    const { handlers, streamHandlers } = monitorHandlers(engine, resolved, (r, w, s) => adhoc.run(r, w, s));
    self.grpcServer = await GrpcServer.create({
      host: config.host,
      port: config.grpcPort,
      packageDefinition: pkg,
      logger,
      registry,
      services: [{ name: MONITOR_SERVICE, definition: serviceDefinition(pkg, MONITOR_SERVICE), handlers, streamHandlers }],
    });
    self.grpcServer.setServing(true);
    if (config.httpPort >= 0) {
      try {
        self.metricsServer = await MetricsServer.create({ host: config.host, port: config.httpPort, registry, logger, ready: () => self.ready, route: (p) => self.httpRoute(p) });
      } catch (e: unknown) {
        self.grpcServer.close();
        await pool.close();
        await adhoc.close();
        engine.close();
        throw e;
      }
    }
    self.nats = connectInBackground({
      servers: config.natsUrl,
      name: `mlmesh-monitor-${process.pid}`,
      logger,
      onConnect: async (nc) => self.onConnect(nc),
    });
    self.tickTimer = setInterval(() => {
      engine.tick().catch((e: unknown) => logger.warn({ err: errorMessage(e) }, 'window tick failed'));
    }, TICK_MS);
    self.tickTimer.unref();
    return self;
  }

  private async onConnect(nc: NatsConnection): Promise<void> {
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, ['predictions', 'feedback', 'events'], DEFAULT_STREAM_LIMITS, { createOnly: true });
    await ensureConsumer(nc, CONSUMED.feedback.stream, `${this.config.durableName}-feedback`, CONSUMED.feedback.filter);
    this.js = nc.jetstream();
    if (this.loops.length === 0) {
      const log = this.logger.child({ component: 'consumer' });
      this.loops = [
        runConsumer({
          nc,
          stream: CONSUMED.predictions.stream,
          durable: this.config.durableName,
          filterSubject: CONSUMED.predictions.filter,
          apply: (b, info) => this.engine.applyPredictions(b, info),
          onIdle: () => this.engine.markCaughtUp(),
          log,
          signal: this.stop.signal,
          resumeAfter: () => this.engine.lastStoredSequence,
          onReady: () => {
            this.consumersReady = true;
          },
        }),
        runConsumer({ nc, stream: CONSUMED.feedback.stream, durable: `${this.config.durableName}-feedback`, filterSubject: CONSUMED.feedback.filter, apply: (b) => this.engine.applyFeedback(b), log, signal: this.stop.signal }),
      ];
    }
  }

  /** Ready: serving, NATS connected and the consumers created. */
  get ready(): boolean {
    return this.stateValue === 'serving' && this.consumersReady;
  }

  get state(): MonitorServiceState {
    return this.stateValue;
  }

  get grpcPort(): number {
    return this.grpcServer?.port ?? -1;
  }

  get httpPort(): number {
    return this.metricsServer?.port ?? -1;
  }

  private httpRoute(path: string): HttpAnswer | undefined {
    if (path === '/') return indexPage(this.engine);
    const m = /^\/models\/([^/]+)\/?$/.exec(path);
    if (m) return modelPage(this.engine, decodeURIComponent(m[1] as string));
    return undefined;
  }

  /** Graceful stop: consumers finish their batch, gRPC drains (report streams end), workers stop, NATS drains. Idempotent. */
  drain(): Promise<void> {
    this.drained ??= (async () => {
      this.stateValue = 'draining';
      if (this.tickTimer) clearInterval(this.tickTimer);
      this.stop.abort();
      await Promise.allSettled(this.loops);
      // Let a window test in flight finish before the workers go.
      await this.engine.serial(async () => undefined);
      await this.grpcServer?.drain();
      await this.metricsServer?.close();
      await this.pool.close();
      await this.adhoc?.close();
      this.engine.close();
      await this.nats?.close();
      this.stateValue = 'closed';
      this.logger.info('monitor stopped');
      this.logger.flush();
    })();
    return this.drained;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drain();
  }
}
