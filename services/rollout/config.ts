import { intOption, listOption, loadConfig, MESH_ENV, stringOption } from '../../shared/config/index.js';
import { hostOptions } from '../../shared/host/index.js';
import { natsClientOptions } from '../../shared/nats/index.js';
import type { ConfigOf, ConfigSources } from '../../shared/config/index.js';

/**
 * The rollout service's options: name in the config file (section `rollout`), environment
 * variable (`MLMESH_ROLLOUT_<OPTION>`), default. The README's table is generated from these
 * (`npm run docs:config`).
 */
export const ROLLOUT_OPTIONS = {
  ...hostOptions('rollout', { grpcPort: 8051, httpPort: 8052, grpcServes: 'mlmesh.rollout.v1.RolloutService', httpServes: 'metrics and health only' }),
  natsUrl: stringOption({ env: MESH_ENV.natsUrl, default: 'nats://127.0.0.1:4222', allowEmpty: false, doc: 'NATS server(s): the rollout state (KV mlmesh_rollouts), the routes (KV mlmesh_routes), prediction logs, feedback and drift reports are read there and ModelEvents published.' }),
  ...natsClientOptions('rollout'),
  modelRepository: stringOption({ env: 'MLMESH_ROLLOUT_MODEL_REPOSITORY', default: 'examples/models', allowEmpty: false, doc: "The inference service's model repository, read for each model's config.json `rollout` section (plan defaults) and for the config sent when a version is unloaded." }),
  inferenceAddresses: listOption({ env: 'MLMESH_ROLLOUT_INFERENCE_ADDRESSES', default: ['127.0.0.1:8001'], doc: 'gRPC targets of the inference replicas: the candidate is checked there at start, and rolled-back or retired versions are unloaded on each (RepositoryModelLoad with a version_policy without them).' }),
  inferenceMetricsUrls: listOption({ env: 'MLMESH_ROLLOUT_INFERENCE_METRICS_URLS', default: ['http://127.0.0.1:8002/metrics'], doc: "Prometheus endpoints of the inference replicas: the error rate of each version in a step is the delta of their per-version request counters since the step's start." }),
  tickMs: intOption({ env: 'MLMESH_ROLLOUT_TICK_MS', default: 1000, min: 50, doc: 'How often the controller analyses each active rollout and acts, in ms.' }),
  leaseMs: intOption({ env: 'MLMESH_ROLLOUT_LEASE_MS', default: 10_000, min: 500, doc: 'Lease of the acting controller (key lease.controller in KV mlmesh_rollouts), renewed every tick: another replica acts only once it expired, in ms.' }),
  stateHistory: intOption({ env: 'MLMESH_ROLLOUT_STATE_HISTORY', default: 5, min: 1, max: 64, doc: 'Values kept per key when the KV bucket mlmesh_rollouts is created.' }),
  maxTrackedRequests: intOption({ env: 'MLMESH_ROLLOUT_MAX_TRACKED_REQUESTS', default: 200_000, min: 1000, doc: 'Most predictions of a step remembered by request id for joining feedback and shadow copies; older ones are forgotten (their labels then do not count).' }),
  callTimeoutMs: intOption({ env: 'MLMESH_ROLLOUT_CALL_TIMEOUT_MS', default: 5000, min: 1, doc: 'Deadline of each call to inference (model checks, unloads) and of each metrics scrape, in ms.' }),
} as const;

/** Resolved rollout options: every field set. */
export type RolloutConfig = ConfigOf<typeof ROLLOUT_OPTIONS>;

/**
 * Resolves the rollout service's options from defaults, the config file (`MLMESH_CONFIG`,
 * section `rollout`), the environment and `overrides`.
 * @throws ConfigError naming the bad option.
 */
export function resolveRolloutConfig(sources: Omit<ConfigSources<typeof ROLLOUT_OPTIONS>, 'section'> = {}): RolloutConfig {
  return loadConfig(ROLLOUT_OPTIONS, { ...sources, section: 'rollout' });
}
