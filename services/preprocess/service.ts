import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { endianness } from 'node:os';
import type { Registry } from 'prom-client';
import { projectRoot } from '../../shared/config/index.js';
import { GrpcServer, loadProtos, serviceDefinition } from '../../shared/grpc/index.js';
import { createLogger } from '../../shared/logging/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { MetricsServer, createRegistry } from '../../shared/metrics/index.js';
import { resolvePreprocessConfig } from './config.js';
import type { PreprocessConfig } from './config.js';
import { PreprocessMetrics } from './metrics.js';
import { preprocessHandlers } from './server.js';
import { ArtifactStore } from './store.js';

/** Fully-qualified name of the gRPC service. */
export const PREPROCESS_SERVICE = 'mlmesh.preprocess.v1.PreprocessService';
/** The .proto it serves, relative to `protos/`. */
export const PREPROCESS_PROTO = 'mlmesh/preprocess/v1/preprocess.proto';

/** Options for {@link PreprocessService.create}. */
export interface PreprocessServiceOptions {
  /** Option values set in code; the rest come from file and environment (see PREPROCESS_OPTIONS). */
  overrides?: Partial<PreprocessConfig>;
  /** Environment to read options from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default a pino logger at `logLevel` */
  logger?: Logger;
  /** @default a fresh registry with process metrics */
  registry?: Registry;
}

/** Lifecycle of the service. */
export type PreprocessServiceState = 'serving' | 'draining' | 'closed';

/** `mlmesh-preprocess <package version>`, recorded in the provenance of the artifacts it fits. */
export function producerName(): string {
  let version = '0.0.0';
  try {
    version = (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // Provenance only: a missing package.json is not worth failing over.
  }
  return `mlmesh-preprocess ${version}`;
}

/**
 * The preprocess service: fitted pipelines over gRPC (Transform, Fit, GetPipeline,
 * ListPipelines) from a content-addressed artifact folder, with health, reflection, Prometheus
 * metrics and graceful drain. Stateless apart from that folder, which replicas may share.
 */
export class PreprocessService {
  private stateValue: PreprocessServiceState = 'serving';
  private drained: Promise<void> | undefined;

  private constructor(
    readonly config: PreprocessConfig,
    readonly logger: Logger,
    readonly registry: Registry,
    readonly store: ArtifactStore,
    private readonly grpcServer: GrpcServer,
    private readonly metricsServer: MetricsServer | undefined,
  ) {}

  /**
   * Resolves options and binds the gRPC and HTTP servers; ready at once (pipelines are loaded
   * on first use).
   * @throws ConfigError for a bad option; the bind error when a port is taken.
   */
  static async create(opts: PreprocessServiceOptions = {}): Promise<PreprocessService> {
    const config = resolvePreprocessConfig({ env: opts.env ?? process.env, overrides: opts.overrides ?? {} });
    if (endianness() !== 'LE') throw new Error('mlmesh needs a little-endian host: tensors travel as little-endian bytes');
    const logger = opts.logger ?? createLogger({ service: 'preprocess', level: config.logLevel });
    const registry = opts.registry ?? createRegistry({ service: 'preprocess' });
    const store = new ArtifactStore(resolve(config.artifactDir), config.cacheSize);
    const metrics = new PreprocessMetrics(registry);
    const pkg = loadProtos([PREPROCESS_PROTO]);
    const grpcServer = await GrpcServer.create({
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
          name: PREPROCESS_SERVICE,
          definition: serviceDefinition(pkg, PREPROCESS_SERVICE),
          handlers: preprocessHandlers({
            store,
            metrics,
            maxBatchRecords: config.maxBatchRecords,
            maxConcurrentFits: config.maxConcurrentFits,
            dataDir: config.dataDir,
            producedBy: `${producerName()} (service)`,
          }),
        },
      ],
    });
    let metricsServer: MetricsServer | undefined;
    // Filled in once the service exists: readiness asked before that is false.
    const made: { svc?: PreprocessService } = {};
    if (config.httpPort >= 0) {
      try {
        metricsServer = await MetricsServer.create({ host: config.host, port: config.httpPort, registry, logger, ready: () => made.svc?.ready ?? false });
      } catch (e: unknown) {
        grpcServer.close();
        throw e;
      }
    }
    const svc = (made.svc = new PreprocessService(config, logger, registry, store, grpcServer, metricsServer));
    grpcServer.setServing(true);
    logger.info({ address: svc.address, httpPort: svc.httpPort, artifactDir: store.dir }, 'preprocess service ready');
    return svc;
  }

  /** Current state. */
  get state(): PreprocessServiceState {
    return this.stateValue;
  }

  /** Serving (not draining or closed). */
  get ready(): boolean {
    return this.stateValue === 'serving';
  }

  /** The bound gRPC port. */
  get grpcPort(): number {
    return this.grpcServer.port;
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
   * Graceful stop: health turns NOT_SERVING, in-flight calls finish (see drainDelayMs and
   * shutdownGraceMs; a fit still running then is cancelled between batches), logs flush.
   * Idempotent.
   */
  drain(): Promise<void> {
    this.drained ??= (async () => {
      this.stateValue = 'draining';
      await this.grpcServer.drain();
      await this.metricsServer?.close();
      this.stateValue = 'closed';
      this.logger.info('preprocess service stopped');
      this.logger.flush();
    })();
    return this.drained;
  }

  /** Hard stop: cancels in-flight calls and closes every connection. */
  close(): void {
    this.stateValue = 'closed';
    this.grpcServer.close();
    void this.metricsServer?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drain();
  }
}
