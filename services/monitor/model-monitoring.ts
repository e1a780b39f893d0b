/**
 * The `monitoring` section of a model's config.json: what to watch and how. Every field is
 * optional; unset window/detector/decision fields take the monitor's options.
 *
 *   "monitoring": {
 *     "input": "input",                    // tensor the input detectors watch (default: the first input)
 *     "input_from": "inputs",              // "inputs" | "outputs": `input` names an output (an embedding)
 *     "output": "probabilities",           // output for bbsd/confidence/predicted_class (default: the first)
 *     "output_kind": "probabilities",      // "probabilities" | "logits" (softmaxed first) | "regression" (predicted values) | "none"
 *     "feature_names": ["px0", …],         // one per input column (default f0, f1, …)
 *     "categorical_features": ["region"],  // tested with chi2 instead of ks
 *     "window_rows": 500, "window_seconds": 600, "min_window_rows": 50,
 *     "alpha": 0.05, "correction": "bonferroni", "detectors": ["ks", "mmd", "bbsd"],
 *     "detector_correction": "holm",           // the window's decision over its detectors
 *     "kernel": "gaussian", "permutations": 1000,
 *     "mmd_kernels": ["gaussian", "laplacian", "rational_quadratic"], // MMD per kernel: `kernel`'s votes, the others are shown only
 *     "consecutive_windows": 3, "cooldown_seconds": 3600,
 *     "cusum_ert_windows": 200, "cusum_k": 0.5, // sequential detection (stats/sequential.ts); 0: off
 *     "online": {"detector": "mmd", "ert": 500, "window_size": 20}, // per-row detector (online-detector.ts); absent: off
 *     "retrain_trigger": "consecutive",    // or "cusum" (needs cusum_ert_windows > 0), or "online" (needs online)
 *     "max_window_bytes": 268435456,       // bound of the open window (float32 rows), at most the monitor's windowMaxBytes
 *     "label_queue_rows": 20, "label_queue_strategy": "stratified_uncertainty", "label_queue_uncertain_share": 0.5,
 *     "accuracy_threshold": 0.9, "mae_threshold": 0, "quality_min_labels": 30,
 *     "segment_parameter": "region",       // or "segment_feature": "<feature name>": per-segment metrics
 *     "projection": "umap"                 // the drift page's embedding plots besides PCA
 *   }
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../shared/errors/index.js';
import type { Correction, Kernel } from './stats/index.js';
import type { DetectorCorrection } from './detectors.js';
import { KERNELS } from './stats/index.js';
import { DETECTORS } from './config.js';
import { LABEL_QUEUE_STRATEGIES } from './label-queue.js';
import { parseOnline } from './online-detector.js';
import type { OnlineSettings } from './online-detector.js';
import type { LabelQueueStrategy } from './label-queue.js';
import type { DetectorName, MonitorConfig } from './config.js';

/** Effective monitoring settings of one model. */
export interface ModelMonitoring {
  input: string | undefined;
  /**
   * Where `input` is looked up: the model's inputs (default) or its outputs — drift on any named
   * tensor, e.g. a penultimate-layer embedding exported as a second output. The reference's
   * inputs.npy then holds that tensor's rows.
   */
  inputFrom?: 'inputs' | 'outputs' | undefined;
  output: string | undefined;
  /** regression: the outputs are predicted values (bbsd tests each; confidence and predicted_class are skipped). */
  outputKind: 'probabilities' | 'logits' | 'regression' | 'none';
  featureNames: string[] | undefined;
  categorical: string[];
  windowRows: number;
  windowSeconds: number;
  minWindowRows: number;
  alpha: number;
  correction: Correction;
  detectors: DetectorName[];
  detectorCorrection: DetectorCorrection;
  kernel: Kernel;
  /**
   * Kernels MMD runs with on every window (`mmd_kernels`; default: just `kernel`). The entry with
   * `kernel` is `mmd` and counts in the window's decision; each other kernel k gives an entry
   * `mmd_<k>` that is shown only (`details.shown_only` 1: not in the Holm family, never
   * `drifted`). Optional so that settings built in code need not name it; parseMonitoring sets it.
   */
  mmdKernels?: Kernel[];
  permutations: number;
  consecutiveWindows: number;
  cooldownSeconds: number;
  /**
   * Sequential detection over the windows' p-values (a CUSUM, stats/sequential.ts): the expected
   * run time between false alarms in windows (0 or unset: off) and the CUSUM's reference value k.
   */
  cusumErtWindows?: number;
  cusumK?: number;
  /** Most bytes the open window may take (float32 rows; the monitor's windowMaxBytes, or lower). */
  maxWindowBytes?: number;
  /** The per-row online detector (online-detector.ts); undefined: off. */
  online?: OnlineSettings | undefined;
  /** What publishes a RetrainRequest: K drifted windows in a row (default), a CUSUM alarm, or an online detector's alarm. */
  retrainTrigger?: 'consecutive' | 'cusum' | 'online';
  /**
   * The labelling queue (label-queue.ts). Optional so that settings built in code (TwoSampleTest)
   * need not name them; parseMonitoring always sets them. Unset: no queue.
   */
  labelQueueRows?: number;
  labelQueueStrategy?: LabelQueueStrategy;
  labelQueueUncertainShare?: number;
  /** Quality alerts (quality.ts): 0 or unset turns each off. */
  accuracyThreshold?: number;
  maeThreshold?: number;
  qualityMinLabels?: number;
  /** What defines a row's segment: a request parameter or an input feature (at most one). */
  segmentParameter?: string | undefined;
  segmentFeature?: string | undefined;
  /** The drift page's embedding projection besides PCA (`pca`: none). */
  projection?: 'pca' | 'umap';
  /**
   * Row width (values per row) that the model's config.json declares for the watched input and
   * output tensors (product of `dims`, batch dimension excluded); undefined when there is no
   * config, no such tensor, or a variable (−1) dimension. References must match them.
   */
  inputWidth?: number | undefined;
  outputWidth?: number | undefined;
}

interface TensorDecl {
  name?: unknown;
  dims?: unknown;
}

/**
 * Values per row of the tensor `name` (or the first one) in a Triton-style list of tensor
 * declarations, `dims` without the batch dimension (when `max_batch_size` > 0, the default
 * layout) or with it as the first entry (`max_batch_size` 0); undefined when not fixed.
 */
export function declaredWidth(list: unknown, name: string | undefined, maxBatchSize: unknown): number | undefined {
  if (!Array.isArray(list)) return undefined;
  const t = (name === undefined ? list[0] : list.find((x: TensorDecl) => x?.name === name)) as TensorDecl | undefined;
  if (!t || !Array.isArray(t.dims) || !t.dims.every((d) => typeof d === 'number' && Number.isInteger(d))) return undefined;
  const dims = (typeof maxBatchSize === 'number' && maxBatchSize === 0 ? t.dims.slice(1) : t.dims) as number[];
  if (dims.some((d) => d < 1)) return undefined;
  return dims.reduce((a, b) => a * b, 1);
}

const KEYS = [
  'input', 'input_from', 'output', 'output_kind', 'feature_names', 'categorical_features', 'window_rows', 'window_seconds', 'min_window_rows',
  'alpha', 'correction', 'detectors', 'detector_correction', 'kernel', 'mmd_kernels', 'permutations', 'consecutive_windows', 'cooldown_seconds',
  'cusum_ert_windows', 'cusum_k', 'online', 'retrain_trigger', 'max_window_bytes',
  'label_queue_rows', 'label_queue_strategy', 'label_queue_uncertain_share', 'accuracy_threshold', 'mae_threshold', 'quality_min_labels',
  'segment_parameter', 'segment_feature', 'projection',
] as const;

function fail(where: string, field: string, msg: string): never {
  throw new InvalidArgumentError(`${where}: monitoring.${field}: ${msg}`);
}

function int(where: string, o: Record<string, unknown>, k: string, min: number, dflt: number): number {
  const v = o[k];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(where, k, `must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function strList(where: string, o: Record<string, unknown>, k: string): string[] | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) fail(where, k, 'must be a list of non-empty strings');
  return v as string[];
}

function oneOf<T extends string>(where: string, o: Record<string, unknown>, k: string, values: readonly T[], dflt: T): T {
  const v = o[k];
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) fail(where, k, `must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/**
 * Parses a `monitoring` section (undefined: all defaults).
 * @throws InvalidArgumentError naming the field.
 */
export function parseMonitoring(raw: unknown, defaults: MonitorConfig, where: string): ModelMonitoring {
  const o = (raw ?? {}) as Record<string, unknown>;
  if (typeof o !== 'object' || Array.isArray(o)) fail(where, '', 'must be an object');
  for (const k of Object.keys(o)) if (!(KEYS as readonly string[]).includes(k)) fail(where, k, `unknown field (known: ${KEYS.join(', ')})`);
  const str = (k: string): string | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') fail(where, k, 'must be a non-empty string');
    return v;
  };
  const alpha = o.alpha === undefined ? defaults.alpha : o.alpha;
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) fail(where, 'alpha', `must be a number in (0, 1), got ${JSON.stringify(alpha)}`);
  const detectors = strList(where, o, 'detectors') ?? [...defaults.detectors];
  for (const d of detectors) if (!(DETECTORS as readonly string[]).includes(d)) fail(where, 'detectors', `unknown detector ${JSON.stringify(d)} (known: ${DETECTORS.join(', ')})`);
  const num = (k: string, min: number, max: number, dflt: number): number => {
    const v = o[k] === undefined ? dflt : o[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(where, k, `must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
    return v;
  };
  const kernel = oneOf(where, o, 'kernel', KERNELS, defaults.kernel);
  const mmdKernels = (strList(where, o, 'mmd_kernels') ?? [kernel]) as Kernel[];
  for (const k of mmdKernels) if (!(KERNELS as readonly string[]).includes(k)) fail(where, 'mmd_kernels', `unknown kernel ${JSON.stringify(k)} (known: ${KERNELS.join(', ')})`);
  const dupKernel = mmdKernels.find((k, i) => mmdKernels.indexOf(k) !== i);
  if (dupKernel !== undefined) fail(where, 'mmd_kernels', `${JSON.stringify(dupKernel)} is listed twice`);
  if (!mmdKernels.includes(kernel)) fail(where, 'mmd_kernels', `must include the kernel whose MMD counts in the decision, monitoring.kernel ${JSON.stringify(kernel)} (got ${JSON.stringify(mmdKernels)})`);
  if (mmdKernels.length > 1 && !detectors.includes('mmd')) fail(where, 'mmd_kernels', `lists ${mmdKernels.length} kernels but "mmd" is not in detectors`);
  const segmentParameter = str('segment_parameter');
  const segmentFeature = str('segment_feature');
  if (segmentParameter !== undefined && segmentFeature !== undefined) fail(where, 'segment_feature', 'give segment_parameter or segment_feature, not both');
  const featureNames = strList(where, o, 'feature_names');
  if (segmentFeature !== undefined && featureNames && !featureNames.includes(segmentFeature)) fail(where, 'segment_feature', `${JSON.stringify(segmentFeature)} is not in feature_names`);
  if (segmentFeature !== undefined && !featureNames && !/^f\d+$/.test(segmentFeature)) fail(where, 'segment_feature', `${JSON.stringify(segmentFeature)}: without feature_names, name a column as f<index>`);
  const categorical = strList(where, o, 'categorical_features') ?? [];
  if (featureNames) for (const c of categorical) if (!featureNames.includes(c)) fail(where, 'categorical_features', `${JSON.stringify(c)} is not in feature_names`);
  const inputFrom = oneOf(where, o, 'input_from', ['inputs', 'outputs'] as const, 'inputs');
  if (inputFrom === 'outputs' && o.input === undefined) fail(where, 'input_from', '"outputs" needs monitoring.input to name the output tensor to watch');
  const cusumErtWindows = int(where, o, 'cusum_ert_windows', 0, 0);
  if (cusumErtWindows === 1) fail(where, 'cusum_ert_windows', 'must be 0 (off) or at least 2 windows, got 1');
  const retrainTrigger = oneOf(where, o, 'retrain_trigger', ['consecutive', 'cusum', 'online'] as const, 'consecutive');
  if (retrainTrigger === 'cusum' && cusumErtWindows === 0) fail(where, 'retrain_trigger', '"cusum" needs monitoring.cusum_ert_windows (the expected windows between false alarms, >= 2)');
  const online = parseOnline(o.online, where);
  if (retrainTrigger === 'online' && !online) fail(where, 'retrain_trigger', '"online" needs monitoring.online (the per-row detector and its ert)');
  if (online?.features && featureNames) for (const f of online.features) if (!featureNames.includes(f)) fail(where, 'online.features', `${JSON.stringify(f)} is not in feature_names`);
  if (online?.features && !featureNames) for (const f of online.features) if (!/^f\d+$/.test(f)) fail(where, 'online.features', `${JSON.stringify(f)}: without feature_names, name a column as f<index>`);
  return {
    input: str('input'),
    inputFrom,
    output: str('output'),
    outputKind: oneOf(where, o, 'output_kind', ['probabilities', 'logits', 'regression', 'none'] as const, 'probabilities'),
    featureNames,
    categorical,
    windowRows: int(where, o, 'window_rows', 2, defaults.windowRows),
    windowSeconds: int(where, o, 'window_seconds', 0, defaults.windowSeconds),
    minWindowRows: int(where, o, 'min_window_rows', 2, defaults.minWindowRows),
    alpha,
    correction: oneOf(where, o, 'correction', ['bonferroni', 'bh', 'none'] as const, defaults.correction),
    detectors: detectors as DetectorName[],
    detectorCorrection: oneOf(where, o, 'detector_correction', ['holm', 'none'] as const, defaults.detectorCorrection),
    kernel,
    mmdKernels,
    permutations: int(where, o, 'permutations', 1, defaults.permutations),
    consecutiveWindows: int(where, o, 'consecutive_windows', 1, defaults.consecutiveWindows),
    cooldownSeconds: int(where, o, 'cooldown_seconds', 0, defaults.cooldownSeconds),
    cusumErtWindows,
    cusumK: num('cusum_k', 0, 10, 0.5),
    online,
    retrainTrigger,
    maxWindowBytes: Math.min(int(where, o, 'max_window_bytes', 1024, defaults.windowMaxBytes), defaults.windowMaxBytes),
    labelQueueRows: int(where, o, 'label_queue_rows', 0, defaults.labelQueueRows),
    labelQueueStrategy: oneOf(where, o, 'label_queue_strategy', LABEL_QUEUE_STRATEGIES, defaults.labelQueueStrategy),
    labelQueueUncertainShare: num('label_queue_uncertain_share', 0, 1, defaults.labelQueueUncertainShare),
    accuracyThreshold: num('accuracy_threshold', 0, 1, defaults.accuracyThreshold),
    maeThreshold: num('mae_threshold', 0, Number.MAX_VALUE, defaults.maeThreshold),
    qualityMinLabels: int(where, o, 'quality_min_labels', 1, defaults.qualityMinLabels),
    segmentParameter,
    segmentFeature,
    projection: oneOf(where, o, 'projection', ['pca', 'umap'] as const, defaults.pageProjection),
  };
}

/**
 * Reads `<repo>/<model>/config.json` and parses its `monitoring` section; a model without a
 * config file (or without the section) is monitored with the defaults.
 * @throws InvalidArgumentError when the file is not JSON or the section is malformed.
 */
export async function loadModelMonitoring(repo: string, model: string, defaults: MonitorConfig): Promise<ModelMonitoring> {
  let text: string;
  try {
    text = await readFile(join(repo, model, 'config.json'), 'utf8');
  } catch {
    // No config file: Triton allows that for ONNX models, and so does the monitor.
    return parseMonitoring(undefined, defaults, `model '${model}'`);
  }
  let cfg: unknown;
  try {
    cfg = JSON.parse(text);
  } catch (e: unknown) {
    throw new InvalidArgumentError(`model '${model}': config.json is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const c = (cfg ?? {}) as { monitoring?: unknown; input?: unknown; output?: unknown; max_batch_size?: unknown };
  const mon = parseMonitoring(c.monitoring, defaults, `model '${model}'`);
  mon.inputWidth = declaredWidth(mon.inputFrom === 'outputs' ? c.output : c.input, mon.input, c.max_batch_size);
  mon.outputWidth = mon.outputKind === 'none' ? undefined : declaredWidth(c.output, mon.output, c.max_batch_size);
  return mon;
}
