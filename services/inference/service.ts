import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, projectRoot } from '../../shared/config/index.js';
import { errorMessage } from '../../shared/errors/index.js';
import type { GRPCInferenceServiceHandlers } from '../../shared/generated/inference/GRPCInferenceService.js';
import { HostedService, ServiceHost, defineService } from '../../shared/host/index.js';
import type { HostedServiceOptions, ServiceHostState, ServiceSetup } from '../../shared/host/index.js';
import type { Logger } from '../../shared/logging/index.js';
import type { NatsConnection } from 'nats';
import { AsyncJetStreamPublisher, DurablePublisher, ensureStreams, natsInboxPrefix } from '../../shared/nats/index.js';
import { INFERENCE_OPTIONS } from './config.js';
import type { InferenceConfig } from './config.js';
import { InferenceMetrics } from './metrics.js';
import { ModelManager } from './model-manager.js';
import { ModelRepository } from './repository.js';
import { RepositoryPoller } from './repository-poller.js';
import { PredictionLogger } from './prediction-log.js';
import { RouteTable } from './route-table.js';
import { RouteWatcher } from './route-watcher.js';
import { ShadowRunner } from './shadow.js';
import { inferenceHandlers } from './server.js';
import { inferenceHttpRoutes } from './http-api.js';

/** Fully-qualified name of the Open Inference Protocol service. */
export const INFERENCE_SERVICE = 'inference.GRPCInferenceService';
/** The .proto it serves, relative to `protos/`. */
export const INFERENCE_PROTO = 'inference/grpc_service.proto';

/** Options for {@link InferenceService.create}: overrides (see INFERENCE_OPTIONS), env, logger, registry. */
export type InferenceServiceOptions = HostedServiceOptions<InferenceConfig>;

/** Lifecycle of the service (the host's). */
export type InferenceServiceState = ServiceHostState;

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // Only used for ServerMetadata: a missing package.json is not worth failing over.
    return '0.0.0';
  }
}

/** JetStream refuses a stream whose duplicate window is longer than its retention. */
function checkStreamLimits(config: InferenceConfig): void {
  if (config.streamMaxAgeS > 0 && config.duplicateWindowS > config.streamMaxAgeS) {
    throw new ConfigError('duplicateWindowS (env MLMESH_INFERENCE_DUPLICATE_WINDOW_S)', `must not exceed streamMaxAgeS (${config.streamMaxAgeS} s): JetStream refuses such a stream`);
  }
}

/**
 * The prediction log: a durable publisher (spooling to disk while NATS is away) fed by a
 * PredictionLogger, and the background NATS connection that provisions the streams and hands
 * the publisher its JetStream client. Registered so that the publisher drains before the
 * connection closes.
 */
function predictionLogging(host: ServiceHost<InferenceConfig>, onConnected: (nc: NatsConnection) => void, onReconnected: () => void): { publisher: DurablePublisher; predictionLog: PredictionLogger } {
  const { config, logger, registry } = host;
  const publisher = DurablePublisher.create({
    name: 'predictions',
    spoolDir: resolve(config.spoolDir),
    spoolMaxBytes: config.spoolMaxBytes,
    fsync: config.spoolFsync,
    fsyncIntervalMs: config.spoolFsyncIntervalMs,
    queueMax: config.publishQueueMax,
    publishTimeoutMs: config.publishTimeoutMs,
    durability: config.publishDurability,
    logger: logger.child({ component: 'prediction-log' }),
    registry,
  });
  const limits = { maxAgeMs: config.streamMaxAgeS * 1000, maxBytes: config.streamMaxBytes, duplicateWindowMs: config.duplicateWindowS * 1000 };
  const streams = ['predictions', 'feedback', 'events'] as const;
  host.connectNats(config.natsUrl, {
    onConnect: async (nc) => {
      await ensureStreams(await nc.jetstreamManager(), streams, limits);
      // Acks awaited in bulk under one inbox, not a nats.js request per log (async-publish.ts).
      publisher.setJetStream(new AsyncJetStreamPublisher(nc, natsInboxPrefix('inference')));
      onConnected(nc);
    },
    onStatus: (type, nc) => {
      if (type === 'disconnect') publisher.setConnected(false);
      if (type === 'reconnect') {
        // The server may have come back without its store: provision again, then replay.
        nc.jetstreamManager()
          .then((jsm) => ensureStreams(jsm, streams, limits))
          .catch((e: unknown) => logger.warn({ err: errorMessage(e) }, 'NATS: provisioning streams after a reconnect failed'))
          .finally(() => publisher.setConnected(true));
        onReconnected();
      }
    },
  });
  // Every prediction is answered before this runs: flush their logs (to NATS or to the spool).
  host.use({ name: 'prediction-log publisher', drain: () => publisher.drain() });
  return { publisher, predictionLog: new PredictionLogger(publisher, packageVersion(), registry) };
}

/**
 * The inference service: a model repository served over the Open Inference Protocol (gRPC),
 * with health, reflection, Prometheus metrics and graceful drain (on the service host).
 */
export class InferenceService extends HostedService<InferenceConfig> {
  private startupModels: string[] = [];

  private constructor(
    host: ServiceHost<InferenceConfig>,
    readonly repo: ModelRepository,
    readonly manager: ModelManager,
    readonly metrics: InferenceMetrics,
    /** Prediction-log publisher (when NATS is configured). */
    readonly publisher: DurablePublisher | undefined,
    /** Turns answered predictions into PredictionLog events for {@link publisher} (when NATS is configured). */
    readonly predictionLog: PredictionLogger | undefined,
    /** The routes in force (when routing is on: NATS configured and option `routing`). */
    readonly routes: RouteTable | undefined,
    /** Shadow copies of routed requests (when routing is on). */
    readonly shadows: ShadowRunner | undefined,
  ) {
    super(host);
  }

  /**
   * Resolves options, reads which startup models the repository holds, binds the gRPC and HTTP
   * servers, then loads the startup models. Health (gRPC and /readyz) says NOT_SERVING until
   * they are loaded; meanwhile a request for one of them is answered UNAVAILABLE "is loading"
   * (retryable), and one for any other model NOT_FOUND as usual. A model that fails to load is
   * logged and reported by RepositoryIndex, and the server still starts.
   * @throws ConfigError for a bad option or a missing repository; the bind error when a port is taken.
   */
  static create(opts: InferenceServiceOptions = {}): Promise<InferenceService> {
    return ServiceHost.create({ ...opts, name: 'inference', options: INFERENCE_OPTIONS, protos: [INFERENCE_PROTO], validate: checkStreamLimits, setup: (host) => InferenceService.setup(host) });
  }

  private static async setup(host: ServiceHost<InferenceConfig>): Promise<ServiceSetup<InferenceService>> {
    const { config, logger, registry } = host;
    const repo = new ModelRepository(resolve(config.modelRepository));
    // A repository that does not exist is a configuration error, not an empty server.
    await repo.checkRoot();
    const metrics = new InferenceMetrics(registry);
    const manager = new ModelManager(repo, metrics, logger, config.defaultMaxBatchSize);
    // The startup models are known before the port takes calls: a call for one of them that
    // arrives while it loads is answered UNAVAILABLE "is loading" (retried by clients), not
    // NOT_FOUND "is not loaded", while health says NOT_SERVING until the loads are done.
    const startupModels = await InferenceService.readStartupList(repo, config.startupModels, logger);
    manager.expectLoads(startupModels);
    // Routing needs the routes in NATS KV: with NATS configured, on unless turned off.
    const routing = config.natsUrl && config.routing ? new RouteTable({ manager, logger: logger.child({ component: 'routes' }), registry, onRefused: (r) => watcher?.publishRefusal(r) }) : undefined;
    const watcher = routing ? new RouteWatcher(routing, logger.child({ component: 'routes' }), packageVersion()) : undefined;
    if (routing) manager.onServedChange((model) => routing.recheck(model));
    const log = config.natsUrl ? predictionLogging(host, (nc) => watcher?.attach(nc), () => watcher?.rewatch()) : undefined;
    // Drained before the publisher: every queued and running request is answered (and logged) first.
    host.use({ name: 'models', drain: () => manager.drainAll() });
    const shadows = routing ? new ShadowRunner({ manager, predictionLog: log?.predictionLog, logger: logger.child({ component: 'shadow' }), registry, maxInFlight: config.shadowMaxInFlight, timeoutMs: config.shadowTimeoutMs, maxRequestBatches: config.maxRequestBatches }) : undefined;
    // Drained before the models (reverse order): running copies finish and are logged, new ones are dropped.
    if (shadows) host.use({ name: 'shadow copies', drain: () => shadows.drain() });
    if (watcher && routing) {
      host.use({
        name: 'route watcher',
        drain: async () => {
          routing.freeze();
          await watcher.drain();
        },
      });
    }
    const svc = new InferenceService(host, repo, manager, metrics, log?.publisher, log?.predictionLog, routing, shadows);
    svc.startupModels = startupModels;
    const handlers = inferenceHandlers({
      serverName: 'mlmesh',
      serverVersion: packageVersion(),
      manager,
      repo,
      metrics,
      maxRequestBatches: config.maxRequestBatches,
      ready: () => svc.ready,
      onRepositoryChange: () => svc.refreshHealth(),
      ...(log ? { predictionLog: log.predictionLog } : {}),
      ...(routing && shadows ? { routes: routing, shadows } : {}),
    });
    return {
      service: svc,
      services: [defineService<GRPCInferenceServiceHandlers>(INFERENCE_SERVICE, handlers, { requestIdOf: (method, req) => (method === 'ModelInfer' ? (req as { id?: string }).id : undefined), fastUnary: ['ModelInfer'] })],
      ready: () => svc.modelsReady(),
      // The Open Inference Protocol's HTTP/REST binding, on the same handlers as gRPC.
      routes: inferenceHttpRoutes({ handlers }),
      start: () => svc.start(),
      describe: () => ({ models: manager.loadedModels(), ...(svc.modelsReady() ? {} : { notReady: svc.notReadyModels(), reason: 'strictReadiness: some startup models cannot serve' }) }),
    };
  }

  /** After binding: the startup loads, then the repository poller. */
  private async start(): Promise<void> {
    await this.loadStartupModels();
    if (this.config.repositoryPollMs > 0) {
      const poller = new RepositoryPoller(this.repo, this.manager, this.logger, this.config.repositoryPollMs);
      this.host.use({ name: 'repository poller', drain: () => poller.stop() });
      await poller.start();
    }
  }

  /** With `strictReadiness`, every startup model and every loaded model can serve. */
  private modelsReady(): boolean {
    return !this.config.strictReadiness || this.notReadyModels().length === 0;
  }

  /** Startup or loaded models that keep readiness false under strictReadiness. */
  private notReadyModels(): string[] {
    const models = new Set([...this.startupModels, ...this.manager.loadedModels()]);
    return [...models].filter((m) => {
      const versions = this.manager.servedVersions(m);
      return versions.length === 0 || versions.some((v) => v.unavailableReason !== undefined);
    });
  }

  /** The models `startupModels` names (`*`: every model folder the repository holds), logging the folders skipped. */
  private static async readStartupList(repo: ModelRepository, list: readonly string[], logger: Logger): Promise<string[]> {
    const scan = await repo.scan();
    for (const s of scan.skipped) logger.warn({ folder: s.name, reason: s.reason, repository: repo.root }, 'model repository: folder skipped');
    return list.includes('*') ? scan.models : list.filter((m) => m !== 'none');
  }

  /** Loads the startup models (announced to the manager in setup); a failure is logged, the others still load. */
  private async loadStartupModels(): Promise<void> {
    await Promise.all(
      this.startupModels.map(async (name) => {
        try {
          await this.manager.load(name);
        } catch (e: unknown) {
          this.logger.error({ model: name, reason: errorMessage(e) }, 'startup model failed to load');
        }
      }),
    );
  }

  /**
   * Sets gRPC health from readiness now (after loads and unloads); the host also re-derives it
   * every second, since instance health can change without a call (a worker dies and cannot
   * restart).
   */
  refreshHealth(): void {
    this.host.refreshHealth();
  }
}
