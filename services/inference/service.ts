import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { endianness } from 'node:os';
import type { Registry } from 'prom-client';
import { ConfigError, projectRoot } from '../../shared/config/index.js';
import { errorMessage } from '../../shared/errors/index.js';
import { GrpcServer, loadProtos, serviceDefinition } from '../../shared/grpc/index.js';
import { createLogger } from '../../shared/logging/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { MetricsServer, createRegistry } from '../../shared/metrics/index.js';
import type { HttpAnswer } from '../../shared/metrics/index.js';
import { resolveInferenceConfig } from './config.js';
import type { InferenceConfig } from './config.js';
import { InferenceMetrics } from './metrics.js';
import { ModelManager } from './model-manager.js';
import { ModelRepository } from './repository.js';
import { RepositoryPoller } from './repository-poller.js';
import { PredictionLogger } from './prediction-log.js';
import { DurablePublisher, connectInBackground, ensureStreams } from '../../shared/nats/index.js';
import type { BackgroundConnection } from '../../shared/nats/index.js';
import { inferenceHandlers } from './server.js';

/** Fully-qualified name of the Open Inference Protocol service. */
export const INFERENCE_SERVICE = 'inference.GRPCInferenceService';

/** Options for {@link InferenceService.create}. */
export interface InferenceServiceOptions {
  /** Option values set in code; the rest come from file and environment (see INFERENCE_OPTIONS). */
  overrides?: Partial<InferenceConfig>;
  /** Environment to read options from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default a pino logger at `logLevel` */
  logger?: Logger;
  /** @default a fresh registry with process metrics */
  registry?: Registry;
}

/** How often gRPC health is re-derived from model health, in ms. */
const HEALTH_REFRESH_MS = 1000;

/** Lifecycle of the service. */
export type InferenceServiceState = 'starting' | 'serving' | 'draining' | 'closed';

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // Only used for ServerMetadata: a missing package.json is not worth failing over.
    return '0.0.0';
  }
}

/**
 * The inference service: a model repository served over the Open Inference Protocol (gRPC),
 * with health, reflection, Prometheus metrics and graceful drain.
 */
export class InferenceService {
  private stateValue: InferenceServiceState = 'starting';
  private startupDone = false;
  private startupModels: string[] = [];
  private healthTimer: NodeJS.Timeout | undefined;
  private poller: RepositoryPoller | undefined;
  /** Prediction-log publisher (when NATS is configured). */
  publisher: DurablePublisher | undefined;
  /** Turns answered predictions into PredictionLog events for {@link publisher} (when NATS is configured). */
  predictionLog: PredictionLogger | undefined;
  private nats: BackgroundConnection | undefined;
  private drained: Promise<void> | undefined;

  private constructor(
    readonly config: InferenceConfig,
    readonly logger: Logger,
    readonly registry: Registry,
    readonly repo: ModelRepository,
    readonly manager: ModelManager,
    readonly metrics: InferenceMetrics,
    private grpcServer: GrpcServer | undefined,
    private metricsServer: MetricsServer | undefined,
  ) {}

  /**
   * Resolves options, binds the gRPC and HTTP servers, then loads the startup models. Health
   * turns SERVING once they are loaded; a model that fails to load is logged and reported by
   * RepositoryIndex, and the server still starts.
   * @throws ConfigError for a bad option; the bind error when a port is taken.
   */
  static async create(opts: InferenceServiceOptions = {}): Promise<InferenceService> {
    const config = resolveInferenceConfig({ env: opts.env ?? process.env, overrides: opts.overrides ?? {} });
    if (config.streamMaxAgeS > 0 && config.duplicateWindowS > config.streamMaxAgeS) {
      throw new ConfigError('duplicateWindowS (env MLMESH_DUPLICATE_WINDOW_S)', `must not exceed streamMaxAgeS (${config.streamMaxAgeS} s): JetStream refuses such a stream`);
    }
    const logger = opts.logger ?? createLogger({ service: 'inference', level: config.logLevel });
    if (endianness() !== 'LE') throw new Error('mlmesh needs a little-endian host: tensors travel as little-endian bytes');
    const registry = opts.registry ?? createRegistry({ service: 'inference' });
    const repo = new ModelRepository(resolve(config.modelRepository));
    // A repository that does not exist is a configuration error, not an empty server.
    await repo.checkRoot();
    const metrics = new InferenceMetrics(registry);
    const manager = new ModelManager(repo, metrics, logger, config.defaultMaxBatchSize);
    const svc = new InferenceService(config, logger, registry, repo, manager, metrics, undefined, undefined);
    let publisher: DurablePublisher | undefined;
    let predictionLog: PredictionLogger | undefined;
    if (config.natsUrl) {
      publisher = DurablePublisher.create({
        name: 'predictions',
        spoolDir: resolve(config.spoolDir),
        spoolMaxBytes: config.spoolMaxBytes,
        fsync: config.spoolFsync,
        fsyncIntervalMs: config.spoolFsyncIntervalMs,
        queueMax: config.publishQueueMax,
        publishTimeoutMs: config.publishTimeoutMs,
        logger: logger.child({ component: 'prediction-log' }),
        registry,
      });
      predictionLog = new PredictionLogger(publisher, packageVersion(), registry);
    }
    svc.publisher = publisher;
    svc.predictionLog = predictionLog;
    const pkg = loadProtos(['inference/grpc_service.proto']);
    svc.grpcServer = await GrpcServer.create({
      host: config.host,
      port: config.grpcPort,
      packageDefinition: pkg,
      logger,
      registry,
      maxReceiveMessageBytes: config.maxMessageBytes,
      maxSendMessageBytes: config.maxMessageBytes,
      drainDelayMs: config.drainDelayMs,
      shutdownGraceMs: config.shutdownGraceMs,
      services: [
        {
          name: INFERENCE_SERVICE,
          definition: serviceDefinition(pkg, INFERENCE_SERVICE),
          handlers: inferenceHandlers({
            serverName: 'mlmesh',
            serverVersion: packageVersion(),
            manager,
            repo,
            metrics,
            ready: () => svc.ready,
            onRepositoryChange: () => svc.refreshHealth(),
            ...(predictionLog ? { predictionLog } : {}),
          }),
          requestIdOf: (method, req) => (method === 'ModelInfer' ? (req as { id?: string }).id : undefined),
        },
      ],
    });
    if (config.httpPort >= 0) {
      try {
        svc.metricsServer = await MetricsServer.create({
          host: config.host,
          port: config.httpPort,
          registry,
          logger,
          ready: () => svc.ready,
          route: (path) => svc.httpRoute(path),
        });
      } catch (e: unknown) {
        svc.grpcServer.close();
        throw e;
      }
    }
    if (publisher) {
      const pub = publisher;
      const limits = { maxAgeMs: config.streamMaxAgeS * 1000, maxBytes: config.streamMaxBytes, duplicateWindowMs: config.duplicateWindowS * 1000 };
      svc.nats = connectInBackground({
        servers: config.natsUrl,
        name: `mlmesh-inference-${process.pid}`,
        logger,
        onConnect: async (nc) => {
          await ensureStreams(await nc.jetstreamManager(), ['predictions', 'feedback', 'events'], limits);
          pub.setJetStream(nc.jetstream());
        },
        onStatus: (type, nc) => {
          if (type === 'disconnect') pub.setConnected(false);
          if (type === 'reconnect') {
            // The server may have come back without its store: provision again, then replay.
            nc.jetstreamManager()
              .then((jsm) => ensureStreams(jsm, ['predictions', 'feedback', 'events'], limits))
              .catch((e: unknown) => logger.warn({ err: errorMessage(e) }, 'NATS: provisioning streams after a reconnect failed'))
              .finally(() => pub.setConnected(true));
          }
        },
      });
    }
    svc.stateValue = 'serving';
    await svc.loadStartupModels();
    if (config.repositoryPollMs > 0) {
      svc.poller = new RepositoryPoller(repo, manager, logger, config.repositoryPollMs);
      await svc.poller.start();
    }
    return svc;
  }

  /** Current state. */
  get state(): InferenceServiceState {
    return this.stateValue;
  }

  /** The bound gRPC port. */
  get grpcPort(): number {
    return this.grpcServer?.port ?? -1;
  }

  /** The bound HTTP (metrics, health) port, or -1 when disabled. */
  get httpPort(): number {
    return this.metricsServer?.port ?? -1;
  }

  /** `host:port` of the gRPC server, for clients. */
  get address(): string {
    return `${this.config.host === '0.0.0.0' ? '127.0.0.1' : this.config.host}:${this.grpcPort}`;
  }

  /**
   * Serving, the startup loads are done and, with `strictReadiness`, every startup model and
   * every loaded model can serve.
   */
  get ready(): boolean {
    if (this.stateValue !== 'serving' || !this.startupDone) return false;
    if (!this.config.strictReadiness) return true;
    return this.notReadyModels().length === 0;
  }

  /** Startup or loaded models that keep {@link ready} false under strictReadiness. */
  private notReadyModels(): string[] {
    const models = new Set([...this.startupModels, ...this.manager.loadedModels()]);
    return [...models].filter((m) => {
      const versions = this.manager.servedVersions(m);
      return versions.length === 0 || versions.some((v) => v.unavailableReason !== undefined);
    });
  }

  private async loadStartupModels(): Promise<void> {
    const list = this.config.startupModels;
    const scan = await this.repo.scan();
    for (const s of scan.skipped) this.logger.warn({ folder: s.name, reason: s.reason, repository: this.repo.root }, 'model repository: folder skipped');
    const wanted = list.includes('*') ? scan.models : list.filter((m) => m !== 'none');
    this.startupModels = wanted;
    await Promise.all(
      wanted.map(async (name) => {
        try {
          await this.manager.load(name);
        } catch (e: unknown) {
          this.logger.error({ model: name, reason: errorMessage(e) }, 'startup model failed to load');
        }
      }),
    );
    this.startupDone = true;
    this.refreshHealth();
    // Instance health can change without a call (a worker dies and cannot restart): re-check.
    this.healthTimer = setInterval(() => this.refreshHealth(), HEALTH_REFRESH_MS);
    this.healthTimer.unref();
    const where = { models: this.manager.loadedModels(), address: this.address, httpPort: this.httpPort };
    if (this.ready) this.logger.info(where, 'inference service ready');
    else this.logger.warn({ ...where, notReady: this.notReadyModels() }, 'inference service started but not ready (strictReadiness): some startup models cannot serve');
  }

  /** Sets gRPC health from {@link ready}. Called after loads, unloads and every second. */
  refreshHealth(): void {
    this.grpcServer?.setServing(this.ready);
  }

  /** Triton's per-model HTTP readiness: `/v2/models/<name>[/versions/<v>]/ready`. */
  private httpRoute(path: string): HttpAnswer | undefined {
    const m = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?\/ready$/.exec(path);
    if (!m) return undefined;
    let ok = false;
    try {
      ok = this.manager.resolve(decodeURIComponent(m[1] ?? ''), decodeURIComponent(m[2] ?? '')).unavailableReason === undefined;
    } catch {
      // Unknown model or version: not ready.
      ok = false;
    }
    return { status: ok ? 200 : 503, body: ok ? 'ready\n' : 'not ready\n' };
  }

  /**
   * Graceful stop: health turns NOT_SERVING, in-flight calls finish (see drainDelayMs and
   * shutdownGraceMs), every model drains its queue, workers stop, logs flush. Idempotent.
   */
  drain(): Promise<void> {
    this.drained ??= (async () => {
      this.stateValue = 'draining';
      if (this.healthTimer) clearInterval(this.healthTimer);
      await this.poller?.stop();
      await this.grpcServer?.drain();
      await this.manager.drainAll();
      // Every prediction is answered: flush their logs (to NATS or to the spool), then disconnect.
      await this.publisher?.drain();
      await this.nats?.close();
      await this.metricsServer?.close();
      this.stateValue = 'closed';
      this.logger.info('inference service stopped');
      this.logger.flush();
    })();
    return this.drained;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drain();
  }
}
