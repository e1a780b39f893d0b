/**
 * The drift monitor as a service: durable JetStream consumers feed the engine; gRPC
 * (mlmesh.monitor.v1.MonitorService, health, reflection) and HTTP (drift pages, /metrics,
 * health) serve its results, on the service host. On SIGTERM, after the gRPC drain (report
 * streams end) the consumers finish their batch and ack, a window test in flight finishes, then
 * the NATS connection, the workers and the state close.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { JetStreamClient, NatsConnection } from 'nats';
import { UnavailableError } from '../../shared/errors/index.js';
import type { MonitorServiceHandlers } from '../../shared/generated/mlmesh/monitor/v1/MonitorService.js';
import { HostedService, ServiceHost, defineService } from '../../shared/host/index.js';
import type { HostedServiceOptions, ServiceHostState, ServiceSetup } from '../../shared/host/index.js';
import { sendAnswer, sendError } from '../../shared/http/index.js';
import type { FastifyInstance } from '../../shared/http/index.js';
import { ensureStreams, Lease } from '../../shared/nats/index.js';
import { MONITOR_OPTIONS } from './config.js';
import type { MonitorConfig } from './config.js';
import { CONSUMED, ensureConsumer, runConsumer } from './consumer.js';
import { MonitorEngine } from './engine.js';
import { MonitorMetrics } from './metrics.js';
import { DetectorPool } from './detector-pool.js';
import { configureOnlineInWorker } from './online-config-worker.js';
import { readModelEvents } from './model-events.js';
import { indexPage, modelPage } from './page.js';
import { UmapProjector } from './projection.js';
import { monitorHandlers } from './server.js';
import { StateStore } from './state-store.js';

/** Fully-qualified name of the monitor's gRPC service. */
export const MONITOR_SERVICE = 'mlmesh.monitor.v1.MonitorService';
/** The .proto it serves, relative to `protos/`. */
export const MONITOR_PROTO = 'mlmesh/monitor/v1/monitor.proto';

/** Limits for streams the monitor creates when they are missing (existing ones are left as they are). */
const DEFAULT_STREAM_LIMITS = { maxAgeMs: 7 * 24 * 3600 * 1000, maxBytes: -1, duplicateWindowMs: 3600 * 1000 } as const;
/** How often time-based windows are checked, ms. */
const TICK_MS = 1000;
/** TwoSampleTest jobs waiting for the ad-hoc worker before new ones get RESOURCE_EXHAUSTED. */
const ADHOC_QUEUE_MAX = 4;
/** How long an event publish waits for its JetStream ack, ms. */
const PUBLISH_TIMEOUT_MS = 5000;

/** Options for {@link MonitorService.create}: overrides (see MONITOR_OPTIONS), env, logger, registry. */
export type MonitorServiceOptions = HostedServiceOptions<MonitorConfig>;

/** Lifecycle of the monitor (the host's). */
export type MonitorServiceState = ServiceHostState;

/** The drift monitor service. */
export class MonitorService extends HostedService<MonitorConfig> {
  private js: JetStreamClient | undefined;
  /** The NATS connection once made (the drift page reads ModelEvents with it). */
  private nc: NatsConnection | undefined;
  private consumersReady = false;
  private readonly stop = new AbortController();
  private loops: Array<Promise<void>> = [];
  /** The active-replica lease (leaseBucket set), once NATS is connected. */
  private lease: Lease | undefined;
  /** Ends the consumers of the current term as active replica (lease lost). */
  private term: AbortController | undefined;
  /** Term changes in order: a new term starts after the old one's consumers have stopped. */
  private terms: Promise<void> = Promise.resolve();

  private constructor(
    host: ServiceHost<MonitorConfig>,
    readonly engine: MonitorEngine,
    private readonly projector: UmapProjector,
  ) {
    super(host);
  }

  /**
   * Resolves options, loads the durable state, binds gRPC and HTTP, then connects to NATS in the
   * background (ready once the consumers exist).
   * @throws ConfigError for a bad option; Error when the state folder holds a corrupt window file.
   */
  static create(opts: MonitorServiceOptions = {}): Promise<MonitorService> {
    return ServiceHost.create({ ...opts, name: 'monitor', options: MONITOR_OPTIONS, protos: [MONITOR_PROTO], setup: (host) => MonitorService.setup(host) });
  }

  private static async setup(host: ServiceHost<MonitorConfig>): Promise<ServiceSetup<MonitorService>> {
    const { config, logger, registry } = host;
    const resolved = { ...config, modelRepository: resolve(config.modelRepository), stateDir: resolve(config.stateDir) };
    const pool = new DetectorPool(config.detectorWorkers);
    host.use({ name: 'detector workers', close: () => pool.close() });
    // Filled in once the service exists (publishing starts after that).
    const made: { svc?: MonitorService } = {};
    const publish = async (subject: string, data: Uint8Array, msgId: string): Promise<void> => {
      const js = made.svc?.js;
      if (!js) throw new UnavailableError('NATS is not connected: cannot publish');
      await js.publish(subject, data, { msgID: msgId, timeout: PUBLISH_TIMEOUT_MS });
    };
    const engine = new MonitorEngine(resolved, new StateStore(resolved.stateDir), publish, (r, w, s) => pool.run(r, w, s), logger, new MonitorMetrics(registry), Date.now, configureOnlineInWorker);
    host.use({ name: 'monitor engine', close: () => engine.close() });
    await engine.load();
    // TwoSampleTest runs on its own worker, apart from the windows' pool.
    const adhoc = new DetectorPool(1, ADHOC_QUEUE_MAX);
    host.use({ name: 'ad-hoc detector worker', close: () => adhoc.close() });
    // The drift page's UMAP runs in a worker of its own, started at the first page that needs it.
    const projector = new UmapProjector();
    host.use({ name: 'projection worker', close: () => projector.close() });
    const svc = (made.svc = new MonitorService(host, engine, projector));
    return {
      service: svc,
      services: [defineService<MonitorServiceHandlers>(MONITOR_SERVICE, monitorHandlers(engine, resolved, (r, w, s) => adhoc.run(r, w, s)))],
      // The gRPC API answers from the durable state without NATS: health is SERVING at once,
      // readiness waits for the consumers.
      serving: () => true,
      // With a lease, only the active replica is ready (a standby's state is not current).
      ready: () => svc.consumersReady && (svc.config.leaseBucket === '' || svc.lease?.held === true),
      routes: (app) => svc.routes(app),
      start: () => svc.start(),
    };
  }

  /** After binding: NATS in the background, the consumers once connected, the window clock. */
  private start(): void {
    this.host.connectNats(this.config.natsUrl, { onConnect: (nc) => this.onConnect(nc) });
    // Registered after the connection, so drained before it closes.
    this.host.use({
      name: 'consumers',
      drain: async () => {
        this.stop.abort();
        await this.terms;
        await Promise.allSettled(this.loops);
        // Let a window test in flight finish before the workers go.
        await this.engine.serial(async () => undefined);
        // Then give the lease up: a standby takes over at its next attempt, not after the TTL.
        await this.lease?.stop();
      },
    });
    this.host.every(TICK_MS, () => this.engine.tick(), 'window tick');
  }

  private async onConnect(nc: NatsConnection): Promise<void> {
    const jsm = await nc.jetstreamManager();
    await ensureStreams(jsm, ['predictions', 'feedback', 'events'], DEFAULT_STREAM_LIMITS, { createOnly: true });
    await ensureConsumer(nc, CONSUMED.feedback.stream, `${this.config.durableName}-feedback`, CONSUMED.feedback.filter);
    this.js = nc.jetstream();
    this.nc = nc;
    if (this.config.leaseBucket !== '') {
      if (this.lease) return;
      // Until this replica holds the lease, nothing it does may commit state or ack.
      const held = (): boolean => this.lease?.held === true;
      this.engine.setFence(held);
      this.lease = await Lease.open(nc, {
        bucket: this.config.leaseBucket,
        key: `monitor.${this.config.durableName}`,
        owner: `${hostname()}-${process.pid}`,
        ttlMs: this.config.leaseTtlMs,
        logger: this.logger.child({ component: 'lease' }),
        onAcquired: () => this.nextTerm(() => this.activate(nc, held)),
        onLost: () => this.nextTerm(async () => this.endTerm()),
      });
      return;
    }
    if (this.loops.length === 0) this.startConsumers(nc, this.stop.signal);
  }

  private nextTerm(step: () => Promise<void>): void {
    this.terms = this.terms.then(step).catch((e: unknown) => this.logger.error({ err: e }, 'monitor: changing the active term failed'));
  }

  /** This replica took the lease: reload the state the previous holder left, then consume. */
  private async activate(nc: NatsConnection, held: () => boolean): Promise<void> {
    await this.endTerm();
    if (this.stop.signal.aborted || !held()) return;
    await this.engine.serial(() => this.engine.load());
    if (!held()) return;
    this.term = new AbortController();
    this.startConsumers(nc, AbortSignal.any([this.stop.signal, this.term.signal]), held);
    this.logger.info({ resumeAfter: this.engine.lastStoredSequence }, 'monitor active: state reloaded, consuming');
  }

  /** Stops the consumers of the current term and waits for them (their batch in flight is fenced). */
  private async endTerm(): Promise<void> {
    this.term?.abort();
    this.term = undefined;
    await Promise.allSettled(this.loops);
    this.loops = [];
    this.consumersReady = false;
  }

  /** Starts the predictions and feedback consumer loops; `mayAck` fences them (the lease). */
  private startConsumers(nc: NatsConnection, signal: AbortSignal, mayAck?: () => boolean): void {
    const log = this.logger.child({ component: 'consumer' });
    const fence = mayAck ? { mayAck } : {};
    this.loops = [
        runConsumer({
          nc,
          stream: CONSUMED.predictions.stream,
          durable: this.config.durableName,
          filterSubject: CONSUMED.predictions.filter,
          apply: (b, info) => this.engine.applyPredictions(b, info),
          onIdle: () => this.engine.markCaughtUp(),
          log,
          signal,
          ...fence,
          resumeAfter: () => this.engine.lastStoredSequence,
          onReady: () => {
            this.consumersReady = true;
          },
        }),
        runConsumer({ nc, stream: CONSUMED.feedback.stream, durable: `${this.config.durableName}-feedback`, filterSubject: CONSUMED.feedback.filter, apply: (b) => this.engine.applyFeedback(b), log, signal, ...fence }),
    ];
  }

  private routes(app: FastifyInstance): void {
    app.get('/', (_req, reply) => sendAnswer(reply, indexPage(this.engine)));
    app.get<{ Params: { model: string } }>('/models/:model', async (req, reply) => {
      const page = await modelPage(this.engine, req.params.model, this.projector, (model, sinceMs) => (this.nc ? readModelEvents(this.nc, model, sinceMs) : Promise.resolve({ markers: [], undecodable: 0, unavailable: 'not connected to NATS' })));
      return page ? sendAnswer(reply, page) : sendError(reply, 404, `no drift page for model ${JSON.stringify(req.params.model)}: the monitor has seen no prediction of it`);
    });
  }
}
