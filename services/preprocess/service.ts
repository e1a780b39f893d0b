import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { projectRoot } from '../../shared/config/index.js';
import type { PreprocessServiceHandlers } from '../../shared/generated/mlmesh/preprocess/v1/PreprocessService.js';
import { HostedService, ServiceHost, defineService } from '../../shared/host/index.js';
import type { HostedServiceOptions, ServiceHostState } from '../../shared/host/index.js';
import { PREPROCESS_OPTIONS } from './config.js';
import type { PreprocessConfig } from './config.js';
import { PreprocessMetrics } from './metrics.js';
import { preprocessHandlers } from './server.js';
import { ArtifactStore } from './store.js';

/** Fully-qualified name of the gRPC service. */
export const PREPROCESS_SERVICE = 'mlmesh.preprocess.v1.PreprocessService';
/** The .proto it serves, relative to `protos/`. */
export const PREPROCESS_PROTO = 'mlmesh/preprocess/v1/preprocess.proto';

/** Options for {@link PreprocessService.create}: overrides (see PREPROCESS_OPTIONS), env, logger, registry. */
export type PreprocessServiceOptions = HostedServiceOptions<PreprocessConfig>;

/** Lifecycle of the service (the host's). */
export type PreprocessServiceState = ServiceHostState;

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
 * metrics and graceful drain (on the service host; a fit still running at the end of the grace
 * period is cancelled between batches). Stateless apart from that folder, which replicas may share.
 */
export class PreprocessService extends HostedService<PreprocessConfig> {
  private constructor(
    host: ServiceHost<PreprocessConfig>,
    readonly store: ArtifactStore,
  ) {
    super(host);
  }

  /**
   * Resolves options and binds the gRPC and HTTP servers; ready at once (pipelines are loaded
   * on first use).
   * @throws ConfigError for a bad option; the bind error when a port is taken.
   */
  static create(opts: PreprocessServiceOptions = {}): Promise<PreprocessService> {
    return ServiceHost.create({
      ...opts,
      name: 'preprocess',
      options: PREPROCESS_OPTIONS,
      protos: [PREPROCESS_PROTO],
      setup: (host) => {
        const { config } = host;
        const store = new ArtifactStore(resolve(config.artifactDir), config.cacheSize);
        const handlers = preprocessHandlers({
          store,
          metrics: new PreprocessMetrics(host.registry),
          maxBatchRecords: config.maxBatchRecords,
          maxConcurrentFits: config.maxConcurrentFits,
          dataDir: config.dataDir,
          producedBy: `${producerName()} (service)`,
        });
        return {
          service: new PreprocessService(host, store),
          services: [defineService<PreprocessServiceHandlers>(PREPROCESS_SERVICE, handlers)],
          describe: () => ({ artifactDir: store.dir }),
        };
      },
    });
  }
}
