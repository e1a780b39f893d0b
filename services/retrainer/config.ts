import { intOption, listOption, loadConfig, MESH_ENV, stringOption } from '../../shared/config/index.js';
import { hostOptions } from '../../shared/host/index.js';
import { natsClientOptions } from '../../shared/nats/index.js';
import type { ConfigOf, ConfigSources } from '../../shared/config/index.js';

/**
 * The retrainer's options: name in the config file (section `retrainer`), environment variable
 * (`MLMESH_RETRAINER_<OPTION>`), default. The README's table is generated from these
 * (`npm run docs:config`).
 */
export const RETRAINER_OPTIONS = {
  ...hostOptions('retrainer', { grpcPort: 8061, httpPort: 8062, grpcServes: 'mlmesh.retrainer.v1.RetrainerService', httpServes: 'the runs page (/, /runs/<id>)' }),
  natsUrl: stringOption({ env: MESH_ENV.natsUrl, default: 'nats://127.0.0.1:4222', allowEmpty: false, doc: 'NATS server(s): RetrainRequests are consumed there (durable consumer), runs kept in KV mlmesh_retrainer, prediction logs and feedback read for datasets, ModelEvents published.' }),
  ...natsClientOptions('retrainer'),
  modelRepository: stringOption({ env: 'MLMESH_RETRAINER_MODEL_REPOSITORY', default: 'examples/models', allowEmpty: false, doc: "The model repository (read-write): each model's config.json `retraining` section, the champion's files, dataset snapshots under <model>/datasets/, and the new versions it registers." }),
  workDir: stringOption({ env: 'MLMESH_RETRAINER_WORK_DIR', default: 'var/retrainer', allowEmpty: false, doc: 'Where each run keeps its training job output and log (<workDir>/<run id>/).' }),
  inferenceAddresses: listOption({ env: 'MLMESH_RETRAINER_INFERENCE_ADDRESSES', default: ['127.0.0.1:8001'], doc: 'gRPC targets of the inference replicas: a registered candidate is loaded beside the champion on each (RepositoryModelLoad with a version_policy of both), with no traffic.' }),
  rolloutAddress: stringOption({ env: 'MLMESH_RETRAINER_ROLLOUT_ADDRESS', default: '127.0.0.1:8051', allowEmpty: false, doc: "gRPC target of the rollout service: a registered candidate's canary rollout is started there (StartRollout with the model's plan) and followed to its end." }),
  featuresAddress: stringOption({ env: 'MLMESH_RETRAINER_FEATURES_ADDRESS', default: '127.0.0.1:8021', allowEmpty: false, doc: "gRPC target of the feature service: a snapshot's labelled rows logged through a gateway deployment get their point-in-time feature rows there (GetHistoricalFeatures, GetFeatureService). Only called for such rows; with TLS as the other clients (tls* options)." }),
  preprocessAddress: stringOption({ env: 'MLMESH_RETRAINER_PREPROCESS_ADDRESS', default: '127.0.0.1:8011', allowEmpty: false, doc: "gRPC target of the preprocess service: each point-in-time row (with the logged request fields) is transformed there by its deployment's pipeline, to check the logged tensor against it (training/serving skew) or to rebuild the model input of a log without inputs." }),
  deploymentsDir: stringOption({ env: 'MLMESH_RETRAINER_DEPLOYMENTS_DIR', default: 'examples/deployments', allowEmpty: false, doc: "The gateway's deployments folder (`<name>.yaml`, docs/gateway.md), relative to the project root: a logged row's `mlmesh_deployment` (`name@version`) is looked up there for its features, entity field, request fields and pipeline. Rows of a deployment with no file, or whose file now holds another version, are counted and get no point-in-time row." }),
  monitorUrl: stringOption({ env: 'MLMESH_RETRAINER_MONITOR_URL', default: 'http://127.0.0.1:8032', doc: "Base URL of the monitor's drift pages, for links from the runs page to the reports that triggered a run." }),
  consumer: stringOption({ env: 'MLMESH_RETRAINER_CONSUMER', default: 'retrainer', allowEmpty: false, pattern: /^[A-Za-z0-9_-]+$/, doc: 'Name of the durable JetStream consumer of mlmesh.events.retrain.> on MLMESH_EVENTS.' }),
  pollMs: intOption({ env: 'MLMESH_RETRAINER_POLL_MS', default: 1000, min: 50, doc: "How often a run in its rollout stage asks the rollout service for the rollout's state, in ms." }),
  callTimeoutMs: intOption({ env: 'MLMESH_RETRAINER_CALL_TIMEOUT_MS', default: 30_000, min: 1, doc: 'Deadline of each call to inference (loads), the rollout service, the feature service and the preprocess service, in ms.' }),
  rolloutTimeoutMs: intOption({ env: 'MLMESH_RETRAINER_ROLLOUT_TIMEOUT_MS', default: 6 * 3600 * 1000, min: 1000, doc: 'A rollout not ended after this long: the run fails (the rollout itself goes on; the rollout service owns it), in ms.' }),
  stateHistory: intOption({ env: 'MLMESH_RETRAINER_STATE_HISTORY', default: 5, min: 1, max: 64, doc: 'Values kept per key when the KV bucket mlmesh_retrainer is created.' }),
} as const;

/** Resolved retrainer options: every field set. */
export type RetrainerConfig = ConfigOf<typeof RETRAINER_OPTIONS>;

/**
 * Resolves the retrainer's options from defaults, the config file (`MLMESH_CONFIG`, section
 * `retrainer`), the environment and `overrides`.
 * @throws ConfigError naming the bad option.
 */
export function resolveRetrainerConfig(sources: Omit<ConfigSources<typeof RETRAINER_OPTIONS>, 'section'> = {}): RetrainerConfig {
  return loadConfig(RETRAINER_OPTIONS, { ...sources, section: 'retrainer' });
}
