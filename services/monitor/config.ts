import { enumOption, intOption, listOption, loadConfig, MESH_ENV, numberOption, stringOption } from '../../shared/config/index.js';
import { hostOptions } from '../../shared/host/index.js';
import { natsClientOptions } from '../../shared/nats/index.js';
import type { ConfigOf, ConfigSources } from '../../shared/config/index.js';

/** Detectors the monitor can run on a window. */
export const DETECTORS = ['ks', 'chi2', 'mmd', 'bbsd', 'confidence', 'predicted_class', 'c2st', 'cvm', 'ad', 'cosine'] as const;
/** A detector name. */
export type DetectorName = (typeof DETECTORS)[number];
/** Detectors run when none are configured (c2st, cvm, ad and cosine are opt-in: added to the family, they change its Holm correction and false-alarm figures). */
export const DEFAULT_DETECTORS: readonly DetectorName[] = ['ks', 'chi2', 'mmd', 'bbsd', 'confidence', 'predicted_class'];

/**
 * The drift monitor's options (config file section `monitor`). These are the defaults for every
 * model; a model's `config.json` may override the window, detector and decision settings in its
 * `monitoring` section (docs/monitor.md).
 */
export const MONITOR_OPTIONS = {
  ...hostOptions('monitor', { grpcPort: 8031, httpPort: 8032, grpcServes: 'mlmesh.monitor.v1.MonitorService', httpServes: 'the drift pages (/, /models/<model>)', inflightNote: 'calls (report streams end at once)' }),
  natsUrl: stringOption({ env: MESH_ENV.natsUrl, default: 'nats://127.0.0.1:4222', allowEmpty: false, doc: 'NATS server(s) carrying prediction logs and feedback; drift reports and retrain requests are published there.' }),
  ...natsClientOptions('monitor'),
  modelRepository: stringOption({ env: 'MLMESH_MONITOR_MODEL_REPOSITORY', deprecatedEnv: ['MLMESH_MODEL_REPOSITORY'], default: 'examples/models', allowEmpty: false, doc: 'Model repository holding each version\'s drift reference (`<model>/<version>/reference/`) and `monitoring` config.' }),
  stateDir: stringOption({ env: 'MLMESH_MONITOR_STATE_DIR', default: 'var/monitor', allowEmpty: false, doc: 'Folder of the monitor\'s durable state: open windows, applied stream sequence, reports, the feedback join (one monitor per folder, or several with leaseBucket: one of them active).' }),
  durableName: stringOption({ env: 'MLMESH_MONITOR_DURABLE_NAME', deprecatedEnv: ['MLMESH_MONITOR_DURABLE'], default: 'mlmesh-monitor', allowEmpty: false, doc: 'Name of the durable JetStream consumers (predictions and feedback); replicas sharing it would split the stream, so run one monitor per name (or several with leaseBucket: one of them active).' }),
  leaseBucket: stringOption({ env: 'MLMESH_MONITOR_LEASE_BUCKET', default: '', doc: 'NATS KV bucket of the active-replica lease (key `monitor.<durableName>`): set, several monitors may share one state folder (on one host: docs/monitor.md, Standby replicas) and durable name; the one holding the lease consumes and commits, the others stand by (not ready) and take over once it expires. Empty: off, one monitor per state folder.' }),
  leaseTtlMs: intOption({ env: 'MLMESH_MONITOR_LEASE_TTL_MS', default: 10_000, min: 1000, max: 600_000, doc: 'How long the lease lasts unrenewed, ms (renewed every third of it): a standby takes over this long after the active monitor dies; the active one stops committing a tenth of it (at most 1 s) before its lease would expire.' }),
  windowRows: intOption({ env: 'MLMESH_MONITOR_WINDOW_ROWS', default: 500, min: 2, doc: 'A window closes when it holds this many rows; a multi-row log that does not fit is split between two windows, so a count-closed window holds exactly this many.' }),
  windowSeconds: intOption({ env: 'MLMESH_MONITOR_WINDOW_SECONDS', default: 600, min: 0, doc: 'A window also closes, in event time, when a log stamped this many seconds after its first row arrives, or once its first row is this old by the clock and the stream is caught up (if it has minWindowRows); 0: count-based only.' }),
  minWindowRows: intOption({ env: 'MLMESH_MONITOR_MIN_WINDOW_ROWS', default: 50, min: 2, doc: 'Fewest rows a time-closed window needs; younger or smaller windows keep filling.' }),
  alpha: numberOption({ env: 'MLMESH_MONITOR_ALPHA', default: 0.05, min: 0, max: 1, exclusiveMin: true, exclusiveMax: true, doc: 'Significance level: a detector flags drift when its corrected p-value is below it.' }),
  correction: enumOption({ env: 'MLMESH_MONITOR_CORRECTION', default: 'bonferroni', values: ['bonferroni', 'bh', 'none'], doc: 'Multiple-testing correction over features (ks, chi2) and output classes (bbsd).' }),
  detectors: listOption({ env: 'MLMESH_MONITOR_DETECTORS', default: DEFAULT_DETECTORS, pattern: /^(ks|chi2|mmd|bbsd|confidence|predicted_class|c2st|cvm|ad|cosine)$/, doc: 'Detectors run on every window (ks, chi2, mmd, bbsd, confidence, predicted_class, and the opt-in c2st, cvm, ad, cosine); the window\'s decision over them follows detectorCorrection.' }),
  detectorCorrection: enumOption({ env: 'MLMESH_MONITOR_DETECTOR_CORRECTION', default: 'holm', values: ['holm', 'none'], doc: 'How a window\'s decision combines its detectors: holm (Holm step-down over the detectors\' p-values, so a clean window is drifted with probability ≤ alpha) or none (drifted when any detector\'s own p-value is below alpha).' }),
  kernel: enumOption({ env: 'MLMESH_MONITOR_KERNEL', default: 'gaussian', values: ['gaussian', 'laplacian', 'rational_quadratic'], doc: 'MMD kernel.' }),
  permutations: intOption({ env: 'MLMESH_MONITOR_PERMUTATIONS', default: 1000, min: 1, doc: 'MMD permutations N (p = (k+1)/(N+1)).' }),
  mmdMaxRows: intOption({ env: 'MLMESH_MONITOR_MMD_MAX_ROWS', default: 1000, min: 2, max: 5000, doc: 'MMD uses at most this many rows of the reference and of the window (fixed seeded subsamples) to bound its (n+m)² kernel matrix.' }),
  c2stFolds: intOption({ env: 'MLMESH_MONITOR_C2ST_FOLDS', default: 5, min: 2, max: 20, doc: 'Classifier two-sample test (c2st): folds k of its stratified cross-validation (every row scored by a model fitted on the other folds).' }),
  c2stC: numberOption({ env: 'MLMESH_MONITOR_C2ST_C', default: 1, min: 0, exclusiveMin: true, doc: 'c2st: inverse L2 strength C of its logistic regression (scikit-learn\'s C; smaller regularises more).' }),
  c2stTest: enumOption({ env: 'MLMESH_MONITOR_C2ST_TEST', default: 'binomial', values: ['binomial', 'permutation'], doc: 'c2st p-value: binomial (per fold, a one-sided binomial test of its held-out accuracy against chance ½; Bonferroni over the folds) or permutation (out-of-fold AUC; labels shuffled and the whole cross-validation redone c2stPermutations times).' }),
  c2stPermutations: intOption({ env: 'MLMESH_MONITOR_C2ST_PERMUTATIONS', default: 100, min: 1, max: 10_000, doc: 'c2st permutations N when c2stTest is permutation (p = (k+1)/(N+1); costs N + 1 cross-validations). A window whose c2st work, cross-validations × c2stFolds × 2m × (columns + 1)², exceeds 2e9 has c2st skipped with that figure in the report (TwoSampleTest refuses it).' }),
  c2stMaxRows: intOption({ env: 'MLMESH_MONITOR_C2ST_MAX_ROWS', default: 1000, min: 2, max: 10_000, doc: 'c2st uses m = min(reference, window, this) rows of each sample (seeded subsamples, so the classes are balanced).' }),
  c2stTopFeatures: intOption({ env: 'MLMESH_MONITOR_C2ST_TOP_FEATURES', default: 10, min: 0, max: 1000, doc: 'c2st reports this many features that separate the samples most (largest standardised logistic coefficients).' }),
  rankPermutations: intOption({ env: 'MLMESH_MONITOR_RANK_PERMUTATIONS', default: 2000, min: 1, max: 100_000, doc: 'cvm and ad: a feature whose scipy-style p-value is below 0.01 gets a permutation p-value with this many splits instead (p = (k+1)/(N+1); with tied values the asymptotic tails are too small).' }),
  detectorWorkers: intOption({ env: 'MLMESH_MONITOR_DETECTOR_WORKERS', default: 1, min: 1, max: 64, doc: 'Worker threads running the detectors of closing windows (and TwoSampleTest) off the event loop.' }),
  consecutiveWindows: intOption({ env: 'MLMESH_MONITOR_CONSECUTIVE_WINDOWS', default: 3, min: 1, doc: 'Drifted windows in a row that trigger a RetrainRequest.' }),
  cooldownSeconds: intOption({ env: 'MLMESH_MONITOR_COOLDOWN_SECONDS', default: 3600, min: 0, doc: 'At most one RetrainRequest per model within this many seconds.' }),
  labelQueueRows: intOption({ env: 'MLMESH_MONITOR_LABEL_QUEUE_ROWS', default: 20, min: 0, doc: 'Rows of each closing window set aside for people to label (the labelling queue, GetLabelQueue / `mlmesh feedback export`); only rows with a request id in the feedback join qualify; 0 turns the queue off.' }),
  labelQueueStrategy: enumOption({ env: 'MLMESH_MONITOR_LABEL_QUEUE_STRATEGY', default: 'stratified_uncertainty', values: ['stratified_uncertainty', 'stratified', 'uncertainty', 'random'], doc: 'How the labelling queue samples a window: stratified_uncertainty (the least-confident rows, then the rest stratified by predicted class), stratified (by predicted class), uncertainty (least confident only) or random.' }),
  labelQueueUncertainShare: numberOption({ env: 'MLMESH_MONITOR_LABEL_QUEUE_UNCERTAIN_SHARE', default: 0.5, min: 0, max: 1, doc: 'Share of the stratified_uncertainty sample given to the least-confident rows (rounded down).' }),
  accuracyThreshold: numberOption({ env: 'MLMESH_MONITOR_ACCURACY_THRESHOLD', default: 0, min: 0, max: 1, doc: 'Quality alert (QualityAlert event, mlmesh_monitor_quality_alerts_total) when a window\'s live accuracy is below this with 95% confidence (Wilson upper bound below it), once it has qualityMinLabels labels; 0: off.' }),
  maeThreshold: numberOption({ env: 'MLMESH_MONITOR_MAE_THRESHOLD', default: 0, min: 0, doc: 'Quality alert for regressors when a window\'s MAE from numeric feedback is above this, once it has qualityMinLabels targets; 0: off.' }),
  qualityMinLabels: intOption({ env: 'MLMESH_MONITOR_QUALITY_MIN_LABELS', default: 30, min: 1, doc: 'Labels (or numeric targets) a window needs before a quality alert can fire for it.' }),
  maxSegments: intOption({ env: 'MLMESH_MONITOR_MAX_SEGMENTS', default: 20, min: 2, max: 1000, doc: 'Segments reported per model (segment_parameter / segment_feature): the most frequent ones, the rest pooled as "(other)".' }),
  pageProjection: enumOption({ env: 'MLMESH_MONITOR_PAGE_PROJECTION', default: 'pca', values: ['pca', 'umap'], doc: 'Projection of the drift page\'s embedding plots, besides PCA: pca (only PCA) or umap (umap-js, fitted on ≤ 200 reference + 200 window rows in a worker thread, cached per window).' }),
  windowMaxBytes: intOption({ env: 'MLMESH_MONITOR_WINDOW_MAX_BYTES', default: 256 * 1024 * 1024, min: 1024, doc: 'Most bytes one open window may take (window_rows × (input + output columns) × 4, float32), in memory and in its segment on disk; a model whose full window would be larger has its logs skipped (counted as too_large) until its window_rows or this is changed. A model config can lower it (monitoring.max_window_bytes).' }),
  feedbackRetentionRows: intOption({ env: 'MLMESH_MONITOR_FEEDBACK_RETENTION_ROWS', deprecatedEnv: ['MLMESH_MONITOR_FEEDBACK_ROWS'], default: 100_000, min: 0, doc: 'Prediction rows kept in the durable feedback join (stateDir/feedback.sqlite, about 190 bytes each; the oldest predictions are dropped whole); feedback for an older one counts as unjoined; 0 turns the join off.' }),
} as const;

/** Resolved monitor options. */
export type MonitorConfig = ConfigOf<typeof MONITOR_OPTIONS>;

/**
 * Resolves the monitor options from defaults, the config file (`MLMESH_CONFIG`, section
 * `monitor`), the environment and `overrides`.
 * @throws ConfigError naming the bad option.
 */
export function resolveMonitorConfig(sources: Omit<ConfigSources<typeof MONITOR_OPTIONS>, 'section'> = {}): MonitorConfig {
  return loadConfig(MONITOR_OPTIONS, { ...sources, section: 'monitor' });
}
