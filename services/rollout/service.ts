import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection } from 'nats';
import { projectRoot } from '../../shared/config/index.js';
import type { RolloutServiceHandlers } from '../../shared/generated/mlmesh/rollout/v1/RolloutService.js';
import { HostedService, ServiceHost, defineService } from '../../shared/host/index.js';
import type { HostedServiceOptions, ServiceHostState } from '../../shared/host/index.js';
import { ensureStreams } from '../../shared/nats/index.js';
import type { ActionDeps } from './actions.js';
import { ROLLOUT_OPTIONS } from './config.js';
import type { RolloutConfig } from './config.js';
import { Controller } from './controller.js';
import { RolloutMetrics } from './metrics.js';
import { rolloutHandlers } from './server.js';
import { InferenceUnloader } from './unloader.js';

/** Fully-qualified name of the gRPC service. */
export const ROLLOUT_SERVICE = 'mlmesh.rollout.v1.RolloutService';
/** The .proto it serves, relative to `protos/`. */
export const ROLLOUT_PROTO = 'mlmesh/rollout/v1/rollout.proto';

/** Limits of the streams when this service is the first to create them (it only creates, never updates). */
const STREAM_LIMITS = { maxAgeMs: 7 * 24 * 3600 * 1000, maxBytes: -1, duplicateWindowMs: 3600 * 1000 } as const;

/** Options for {@link RolloutService.create}: overrides (see ROLLOUT_OPTIONS), env, logger, registry. */
export type RolloutServiceOptions = HostedServiceOptions<RolloutConfig>;

/** Lifecycle of the service (the host's). */
export type RolloutServiceState = ServiceHostState;

/** `mlmesh-rollout <package version>`. */
export function rolloutVersion(): string {
  let version = '0.0.0';
  try {
    version = (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // Only in ModelEvents' producer_version: a missing package.json is not worth failing over.
  }
  return `mlmesh-rollout ${version}`;
}

/**
 * The rollout service: canary rollouts of model versions (docs/rollout.md) — the controller
 * (controller.ts) and `mlmesh.rollout.v1.RolloutService` on the service host. Its state is in
 * NATS KV (mlmesh_rollouts), so replicas share it; one of them acts at a time (a lease).
 * Ready once NATS is connected.
 */
export class RolloutService extends HostedService<RolloutConfig> {
  private constructor(
    host: ServiceHost<RolloutConfig>,
    /** The controller. */
    readonly controller: Controller,
  ) {
    super(host);
  }

  /**
   * Resolves options, binds the servers, connects to NATS in the background and ticks the
   * controller every tickMs.
   * @throws ConfigError for a bad option; the bind error when a port is taken.
   */
  static create(opts: RolloutServiceOptions = {}): Promise<RolloutService> {
    return ServiceHost.create({
      ...opts,
      name: 'rollout',
      options: ROLLOUT_OPTIONS,
      protos: [ROLLOUT_PROTO],
      setup: (host) => {
        const { config } = host;
        const metrics = new RolloutMetrics(host.registry);
        const unloader = new InferenceUnloader(config.inferenceAddresses, config.modelRepository, config.callTimeoutMs, host.logger, host.clientCredentials());
        host.use({ name: 'inference channels', close: () => unloader.close() });
        const controller = new Controller({
          logger: host.logger,
          metrics,
          unloader,
          inferenceMetricsUrls: config.inferenceMetricsUrls,
          leaseMs: config.leaseMs,
          stateHistory: config.stateHistory,
          maxTrackedRequests: config.maxTrackedRequests,
          callTimeoutMs: config.callTimeoutMs,
          producerVersion: rolloutVersion(),
        });
        const deps: ActionDeps = { controller, unloader, modelRepository: config.modelRepository, applyWaitMs: Math.max(3000, 3 * config.tickMs) };
        const service = new RolloutService(host, controller);
        return {
          service,
          services: [defineService<RolloutServiceHandlers>(ROLLOUT_SERVICE, rolloutHandlers(deps))],
          ready: () => controller.natsUp,
          start: () => {
            host.connectNats(config.natsUrl, {
              onConnect: async (nc: NatsConnection) => {
                await ensureStreams(await nc.jetstreamManager(), ['predictions', 'feedback', 'events'], STREAM_LIMITS, { createOnly: true });
                await controller.attach(nc);
                await controller.tick();
              },
              onStatus: (type) => controller.onStatus(type),
            });
            // Registered after the connection, so it stops (and gives the lease up) before NATS closes.
            host.use({ name: 'controller', drain: () => controller.close() });
            host.every(config.tickMs, () => controller.tick(), 'rollout tick');
          },
          describe: () => ({ natsUrl: config.natsUrl, inference: config.inferenceAddresses.join(','), owner: controller.owner }),
        };
      },
    });
  }
}
