import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { projectRoot } from '../../shared/config/index.js';
import type { GatewayServiceHandlers } from '../../shared/generated/mlmesh/gateway/v1/GatewayService.js';
import { HostedService, ServiceHost, defineService } from '../../shared/host/index.js';
import type { HostedServiceOptions, ServiceHostState } from '../../shared/host/index.js';
import { Backends } from './backends.js';
import { ResponseCache, ServingVersions } from './cache.js';
import { GATEWAY_OPTIONS } from './config.js';
import type { GatewayConfig } from './config.js';
import { GatewayMetrics } from './metrics.js';
import { DeploymentRegistry } from './registry.js';
import type { ReloadReport } from './registry.js';
import { gatewayHttpRoutes } from './http-api.js';
import { gatewayHandlers } from './server.js';
import type { HandlerDeps } from './server.js';

/** Fully-qualified name of the gRPC service. */
export const GATEWAY_SERVICE = 'mlmesh.gateway.v1.GatewayService';
/** The .proto it serves, relative to `protos/`. */
export const GATEWAY_PROTO = 'mlmesh/gateway/v1/gateway.proto';

/** Options for {@link GatewayService.create}: overrides (see GATEWAY_OPTIONS), env, logger, registry. */
export type GatewayServiceOptions = HostedServiceOptions<GatewayConfig>;

/** Lifecycle of the service (the host's). */
export type GatewayServiceState = ServiceHostState;

/** `mlmesh-gateway <package version>`. */
export function gatewayVersion(): string {
  let version = '0.0.0';
  try {
    version = (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // Only shown in GetVersion: a missing package.json is not worth failing over.
  }
  return `mlmesh-gateway ${version}`;
}

/**
 * The gateway: deployments (model + pipeline + features, docs/gateway.md) from a folder,
 * served over gRPC (`mlmesh.gateway.v1.GatewayService`: Predict, GetVersion, ListDeployments,
 * GetDeployment) and HTTP/JSON (http-api.ts), with a response cache, on the service host (health, reflection, metrics,
 * drain). Stateless apart from the cache: replicas share nothing.
 */
export class GatewayService extends HostedService<GatewayConfig> {
  private constructor(
    host: ServiceHost<GatewayConfig>,
    /** The deployments serving and the files refused. */
    readonly deployments: DeploymentRegistry,
    /** The response cache. */
    readonly cache: ResponseCache,
    /** What Predict runs with (for the HTTP front). */
    readonly deps: HandlerDeps,
  ) {
    super(host);
  }

  /**
   * Resolves options, binds the servers, loads the deployments folder (a deployment that does
   * not bind is refused and retried every reloadMs; the others serve). Ready once the folder
   * has been read.
   * @throws ConfigError for a bad option; Error when deploymentsDir is a file; the bind error
   *   when a port is taken. A missing folder serves no deployment until it exists.
   */
  static create(opts: GatewayServiceOptions = {}): Promise<GatewayService> {
    return ServiceHost.create({
      ...opts,
      name: 'gateway',
      options: GATEWAY_OPTIONS,
      protos: [GATEWAY_PROTO],
      setup: (host) => {
        const { config } = host;
        const dir = resolve(config.deploymentsDir);
        let notDir = false;
        try {
          notDir = !statSync(dir).isDirectory();
        } catch {
          // Missing is fine (no deployments yet: the registry warns and looks again); a file is not.
        }
        if (notDir) throw new Error(`deploymentsDir (MLMESH_GATEWAY_DEPLOYMENTS_DIR): ${dir} is not a folder`);
        const metrics = new GatewayMetrics(host.registry);
        const backends = new Backends({ featuresAddress: config.featuresAddress, preprocessAddress: config.preprocessAddress, inferenceAddress: config.inferenceAddress, retryAttempts: config.retryAttempts, keepaliveMs: config.keepaliveMs, credentials: host.clientCredentials() });
        host.use({ name: 'backend channels', close: () => backends.close() });
        const registry = new DeploymentRegistry(dir, backends, config.bindTimeoutMs, host.logger, metrics);
        const cache = new ResponseCache(config.cacheMaxBytes, metrics);
        const deps: HandlerDeps = {
          backends,
          cache,
          serving: new ServingVersions(config.servingCheckMs),
          metrics,
          registry,
          maxRows: config.maxRows,
          maxFields: config.maxFields,
          defaultTimeoutMs: config.defaultTimeoutMs,
          serverVersion: gatewayVersion(),
        };
        let loaded = false;
        const service = new GatewayService(host, registry, cache, deps);
        return {
          service,
          services: [defineService<GatewayServiceHandlers>(GATEWAY_SERVICE, gatewayHandlers(deps))],
          ready: () => loaded,
          routes: gatewayHttpRoutes(deps, () => host.ready),
          start: async () => {
            await service.reload();
            loaded = true;
            if (config.reloadMs > 0) host.every(config.reloadMs, async () => void (await service.reload()), 'deployments reload');
          },
          describe: () => ({ deploymentsDir: dir, deployments: registry.list().map((b) => `${b.spec.name}@${b.spec.version}`), refused: registry.refused().length }),
        };
      },
    });
  }

  /** Re-reads the deployments folder now (what reloadMs and SIGHUP do). */
  reload(): Promise<ReloadReport> {
    return this.deployments.reload();
  }
}
