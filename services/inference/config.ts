import { boolOption, enumOption, intOption, listOption, loadConfig, MESH_ENV, stringOption } from '../../shared/config/index.js';
import { hostOptions } from '../../shared/host/index.js';
import { natsClientOptions } from '../../shared/nats/index.js';
import type { ConfigOf, ConfigSources } from '../../shared/config/index.js';
import { MODEL_NAME } from './repository.js';

/**
 * The inference service's options: name in the config file (section `inference`), environment
 * variable (`MLMESH_INFERENCE_<OPTION>`; the former names still work, with a warning), default.
 * The README's table is generated from these (`npm run docs:config`).
 */
export const INFERENCE_OPTIONS = {
  ...hostOptions(
    'inference',
    { grpcPort: 8001, httpPort: 8002, grpcServes: 'Open Inference Protocol', httpServes: 'the Open Inference Protocol HTTP/REST binding (GET /v2, /v2/models/<name>[/versions/<v>][/ready], POST …/infer)' },
    { maxMessageBytes: ['MLMESH_MAX_MESSAGE_BYTES'], drainDelayMs: ['MLMESH_DRAIN_DELAY_MS'], shutdownGraceMs: ['MLMESH_SHUTDOWN_GRACE_MS'] },
  ),
  modelRepository: stringOption({ env: 'MLMESH_INFERENCE_MODEL_REPOSITORY', deprecatedEnv: ['MLMESH_MODEL_REPOSITORY'], default: 'examples/models', doc: 'Model repository folder (Triton layout), relative to the working directory; the service refuses to start when it is missing or not a readable folder.', allowEmpty: false }),
  startupModels: listOption({ env: 'MLMESH_INFERENCE_STARTUP_MODELS', deprecatedEnv: ['MLMESH_STARTUP_MODELS'], default: ['*'], pattern: new RegExp(`^\\*$|${MODEL_NAME.source}`), doc: 'Models to load at start: `*` for every model in the repository, a list of names (in the environment `a,b` or `["a","b"]`), or `none`.' }),
  defaultMaxBatchSize: intOption({
    env: 'MLMESH_INFERENCE_DEFAULT_MAX_BATCH_SIZE', deprecatedEnv: ['MLMESH_DEFAULT_MAX_BATCH_SIZE'],
    default: 64,
    min: 0,
    doc: "`max_batch_size` of a model whose config.json leaves it out (or has no config.json) and whose inputs and outputs all have a dynamic first dimension (Triton's default-max-batch-size); 0: such models do not batch.",
  }),
  maxRequestBatches: intOption({
    env: 'MLMESH_INFERENCE_MAX_REQUEST_BATCHES',
    default: 16,
    min: 1,
    doc: "Largest ModelInfer request of a batching model, in multiples of its `max_batch_size`: a request over `max_batch_size` rows is split into chunks of at most `max_batch_size` rows, each queued to the dynamic batcher, and the outputs joined in order (docs/inference.md); past this many × `max_batch_size` rows it is refused (INVALID_ARGUMENT). 1: no splitting.",
  }),
  repositoryPollMs: intOption({
    env: 'MLMESH_INFERENCE_REPOSITORY_POLL_MS', deprecatedEnv: ['MLMESH_REPOSITORY_POLL_MS'],
    default: 0,
    min: 0,
    doc: 'Poll the repository every this many ms and reload loaded models whose files changed (new versions, new manifests, config); 0 turns polling off.',
  }),
  strictReadiness: boolOption({
    env: 'MLMESH_INFERENCE_STRICT_READINESS', deprecatedEnv: ['MLMESH_STRICT_READINESS'],
    default: true,
    doc: 'Ready (ServerReady, health SERVING, /v2/health/ready) only while every startup model and every loaded model can serve; false: ready once the startup loads have been attempted.',
  }),
  natsUrl: stringOption({ env: MESH_ENV.natsUrl, default: '', doc: 'NATS server(s) for prediction logs and routes, e.g. nats://127.0.0.1:4222; empty: prediction logging and routing off.' }),
  ...natsClientOptions('inference'),
  routing: boolOption({
    env: 'MLMESH_INFERENCE_ROUTING',
    default: true,
    doc: "Route ModelInfer requests without model_version by the model's route (NATS KV bucket mlmesh_routes, watched by every replica; docs/routing.md); only with natsUrl. false: routes are ignored and the newest version serves.",
  }),
  shadowMaxInFlight: intOption({
    env: 'MLMESH_INFERENCE_SHADOW_MAX_IN_FLIGHT',
    default: 16,
    min: 0,
    doc: 'Shadow copies (a route\'s shadows) running at once on this replica; a copy past it is dropped and counted (mlmesh_inference_shadow_requests_total{outcome="dropped"}), never queued. 0 turns shadow copies off.',
  }),
  shadowTimeoutMs: intOption({
    env: 'MLMESH_INFERENCE_SHADOW_TIMEOUT_MS',
    default: 10_000,
    min: 1,
    doc: 'Deadline of a shadow copy, in ms (it has no caller to give it one); one that passes it counts as failed.',
  }),
  spoolDir: stringOption({ env: 'MLMESH_INFERENCE_SPOOL_DIR', deprecatedEnv: ['MLMESH_SPOOL_DIR'], default: 'var/spool/inference', allowEmpty: false, doc: 'Folder of the on-disk spool for prediction logs NATS has not acknowledged yet (one per replica).' }),
  spoolMaxBytes: intOption({ env: 'MLMESH_INFERENCE_SPOOL_MAX_BYTES', deprecatedEnv: ['MLMESH_SPOOL_MAX_BYTES'], default: 1024 ** 3, min: 1024, doc: 'Spool size cap in bytes; past it new prediction logs are dropped and counted (mlmesh_publisher_dropped_total).' }),
  spoolFsync: enumOption({ env: 'MLMESH_INFERENCE_SPOOL_FSYNC', deprecatedEnv: ['MLMESH_SPOOL_FSYNC'], default: 'interval', values: ['always', 'interval', 'never'], doc: 'Spool writes run in the background (never on the gRPC thread). `always`: each write is fsynced before the next (records arriving meanwhile share the next write and fsync); `interval`: fsync every spoolFsyncIntervalMs (a process crash loses nothing written, a power loss at most that interval); `never`: leave it to the OS.' }),
  spoolFsyncIntervalMs: intOption({ env: 'MLMESH_INFERENCE_SPOOL_FSYNC_INTERVAL_MS', deprecatedEnv: ['MLMESH_SPOOL_FSYNC_INTERVAL_MS'], default: 100, min: 1, doc: 'fsync period of the spool with spoolFsync=interval, in ms.' }),
  publishQueueMax: intOption({ env: 'MLMESH_INFERENCE_PUBLISH_QUEUE_MAX', deprecatedEnv: ['MLMESH_PUBLISH_QUEUE_MAX'], default: 10_000, min: 1, doc: 'Prediction logs waiting in memory for a publish slot; past it they go to the spool.' }),
  publishDurability: enumOption({
    env: 'MLMESH_INFERENCE_PUBLISH_DURABILITY',
    default: 'memory',
    values: ['memory', 'spool'],
    doc: '`memory`: a prediction log is published after the answer, from memory, and spooled only while NATS is slow or down (a SIGKILL loses the logs in memory). `spool`: zero-loss: each log is appended to the spool and fsynced (group commit) before the answer is sent, then published from the spool, so an answered request\'s log survives a SIGKILL; the answer waits for the disk, and a log the spool cannot take (spoolMaxBytes reached, disk error) fails the call (RESOURCE_EXHAUSTED, UNAVAILABLE). docs/prediction-logs.md.',
  }),
  publishTimeoutMs: intOption({ env: 'MLMESH_INFERENCE_PUBLISH_TIMEOUT_MS', deprecatedEnv: ['MLMESH_PUBLISH_TIMEOUT_MS'], default: 2000, min: 1, doc: 'How long a prediction log publish waits for its JetStream ack before it is spooled, in ms.' }),
  streamMaxAgeS: intOption({ env: 'MLMESH_INFERENCE_STREAM_MAX_AGE_S', deprecatedEnv: ['MLMESH_STREAM_MAX_AGE_S'], default: 7 * 24 * 3600, min: 0, doc: 'Retention of the MLMESH_* streams in seconds (0: no limit).' }),
  streamMaxBytes: intOption({ env: 'MLMESH_INFERENCE_STREAM_MAX_BYTES', deprecatedEnv: ['MLMESH_STREAM_MAX_BYTES'], default: -1, min: -1, doc: 'Bytes kept per MLMESH_* stream, oldest dropped first (-1: no limit).' }),
  duplicateWindowS: intOption({ env: 'MLMESH_INFERENCE_DUPLICATE_WINDOW_S', deprecatedEnv: ['MLMESH_DUPLICATE_WINDOW_S'], default: 3600, min: 1, doc: 'JetStream duplicate window in seconds: a record published again with the same Nats-Msg-Id within it is stored once.' }),
} as const;

/** Resolved inference options: every field set. */
export type InferenceConfig = ConfigOf<typeof INFERENCE_OPTIONS>;

/**
 * Resolves the inference options from defaults, the config file (`MLMESH_CONFIG`, section
 * `inference`), the environment and `overrides`.
 * @throws ConfigError naming the bad option.
 */
export function resolveInferenceConfig(sources: Omit<ConfigSources<typeof INFERENCE_OPTIONS>, 'section'> = {}): InferenceConfig {
  return loadConfig(INFERENCE_OPTIONS, { ...sources, section: 'inference' });
}
