import { intOption, loadConfig, stringOption } from '../../shared/config/index.js';
import { hostOptions } from '../../shared/host/index.js';
import type { ConfigOf, ConfigSources } from '../../shared/config/index.js';

/**
 * The gateway's options: name in the config file (section `gateway`), environment variable
 * (`MLMESH_GATEWAY_<OPTION>`), default. The README's table is generated from these
 * (`npm run docs:config`).
 */
export const GATEWAY_OPTIONS = {
  ...hostOptions('gateway', { grpcPort: 8041, httpPort: 8042, grpcServes: 'mlmesh.gateway.v1.GatewayService', httpServes: 'the JSON API (POST /v1/deployments/<name>/predict, GET /version, GET /health)' }),
  deploymentsDir: stringOption({ env: 'MLMESH_GATEWAY_DEPLOYMENTS_DIR', default: 'examples/deployments', allowEmpty: false, doc: 'Folder of the deployment files (`<name>.yaml`, docs/gateway.md), relative to the working directory; while it does not exist no deployment is served (a warning says so).' }),
  featuresAddress: stringOption({ env: 'MLMESH_GATEWAY_FEATURES_ADDRESS', default: '127.0.0.1:8021', allowEmpty: false, doc: 'gRPC target of the feature service (host:port, or dns:///name:port to spread calls over every address it resolves to).' }),
  preprocessAddress: stringOption({ env: 'MLMESH_GATEWAY_PREPROCESS_ADDRESS', default: '127.0.0.1:8011', allowEmpty: false, doc: 'gRPC target of the preprocess service.' }),
  inferenceAddress: stringOption({ env: 'MLMESH_GATEWAY_INFERENCE_ADDRESS', default: '127.0.0.1:8001', allowEmpty: false, doc: 'gRPC target of the inference service.' }),
  reloadMs: intOption({ env: 'MLMESH_GATEWAY_RELOAD_MS', default: 2000, min: 0, doc: 'Re-read the deployments folder every this many ms (changed files are loaded, refused ones retried; SIGHUP reloads at once); 0: only at start and on SIGHUP.' }),
  bindTimeoutMs: intOption({ env: 'MLMESH_GATEWAY_BIND_TIMEOUT_MS', default: 5000, min: 1, doc: 'Deadline of each call a deployment load makes to check the pipeline, features and model, in ms.' }),
  maxRows: intOption({ env: 'MLMESH_GATEWAY_MAX_ROWS', default: 1024, min: 1, doc: 'Most rows one Predict may carry; more get INVALID_ARGUMENT.' }),
  maxFields: intOption({ env: 'MLMESH_GATEWAY_MAX_FIELDS', default: 256, min: 1, doc: 'Most fields one row may carry; more get INVALID_ARGUMENT.' }),
  defaultTimeoutMs: intOption({ env: 'MLMESH_GATEWAY_DEFAULT_TIMEOUT_MS', default: 5000, min: 1, doc: "Deadline of a Predict whose caller set none, in ms (each hop also stops at the deployment's timeouts_ms)." }),
  cacheMaxBytes: intOption({ env: 'MLMESH_GATEWAY_CACHE_MAX_BYTES', default: 64 * 1024 * 1024, min: 0, doc: 'Bound of the response cache (keys and output rows), in bytes, shared by the deployments with cache.enabled; 0 turns the cache off.' }),
  servingCheckMs: intOption({ env: 'MLMESH_GATEWAY_SERVING_CHECK_MS', default: 0, min: 0, doc: "How old the gateway's knowledge of a model's serving version may be when it serves a cached answer, in ms; older, it asks inference (ModelMetadata) first. Every ModelInfer answer refreshes it. 0 (default): ask before every cache read, so no answer of a version that stopped serving is returned; more saves that round trip but leaves a window of this length after a switch the gateway has not seen." }),
  retryAttempts: intOption({ env: 'MLMESH_GATEWAY_RETRY_ATTEMPTS', default: 3, min: 1, max: 5, doc: 'Attempts per backend call on UNAVAILABLE, the first included (1: no retry); within the call’s deadline.' }),
  keepaliveMs: intOption({ env: 'MLMESH_GATEWAY_KEEPALIVE_MS', default: 30_000, min: 0, doc: 'HTTP/2 keepalive ping interval on the backend channels, in ms (an unanswered ping drops the connection after 10 s); 0: off.' }),
} as const;

/** Resolved gateway options: every field set. */
export type GatewayConfig = ConfigOf<typeof GATEWAY_OPTIONS>;

/**
 * Resolves the gateway's options from defaults, the config file (`MLMESH_CONFIG`, section
 * `gateway`), the environment and `overrides`.
 * @throws ConfigError naming the bad option.
 */
export function resolveGatewayConfig(sources: Omit<ConfigSources<typeof GATEWAY_OPTIONS>, 'section'> = {}): GatewayConfig {
  return loadConfig(GATEWAY_OPTIONS, { ...sources, section: 'gateway' });
}
