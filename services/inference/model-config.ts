import { clip } from '../../shared/errors/index.js';
import { isDatatype } from '../../shared/tensors/index.js';
import type { Datatype } from '../../shared/tensors/index.js';
import { ModelLoadError } from './errors.js';
import type { TensorMeta } from './worker-protocol.js';

/** An input or output declared in config.json (dims exclude the batch dimension when batching). */
export interface TensorConfig {
  name: string;
  datatype: Datatype;
  /** -1 for a variable dimension. */
  dims: number[];
}

/** Which versions of a model are served. */
export type VersionPolicy =
  | { kind: 'latest'; numVersions: number }
  | { kind: 'all' }
  | { kind: 'specific'; versions: number[] };

/** A served model version's configuration: validated, completed from the ONNX file, every field set. */
export interface ModelConfig {
  name: string;
  platform: 'onnxruntime_onnx';
  /** 0: the model does not batch (shapes are full shapes); >0: the largest batch (dimension 0). */
  maxBatchSize: number;
  /** Declared inputs; empty means "take them from the ONNX file". */
  inputs: TensorConfig[];
  /** Declared outputs; empty means "take them from the ONNX file". */
  outputs: TensorConfig[];
  dynamicBatching: {
    /** How long the oldest request may wait for a batch to fill, in µs (0: send what is queued). */
    maxQueueDelayUs: number;
    /** Batch sizes to send as soon as they are reached. */
    preferredBatchSizes: number[];
    /** Requests that may wait; one more is refused with RESOURCE_EXHAUSTED (0: unbounded). */
    maxQueueSize: number;
    /** Longest a request may wait in the queue, in µs (0: only its own deadline). */
    defaultQueueTimeoutUs: number;
  };
  /** Session workers (each with its own onnxruntime session). */
  instanceCount: number;
  /** Execution providers in order of preference; CPU is always the last resort. */
  executionProviders: string[];
  /** onnxruntime intra-op threads per instance (0: onnxruntime's default). */
  intraOpThreads: number;
  versionPolicy: VersionPolicy;
  /** What goes to the prediction log (NATS) for this model. */
  predictionLog: {
    /** Fraction of predictions logged, 0..1. */
    sampleRate: number;
    /** Log input tensors; false for sensitive features (outputs are still logged). */
    logInputs: boolean;
  };
}

/**
 * A config as read from config.json (or the load RPC's `config`), before the ONNX file is seen:
 * `maxBatchSize` is undefined when the config leaves `max_batch_size` out, and is then chosen at
 * load by {@link completeModelConfig}.
 */
export type ParsedModelConfig = Omit<ModelConfig, 'maxBatchSize'> & { maxBatchSize: number | undefined };

/** Defaults for fields config.json leaves out (Triton's, where it has one). */
export const DEFAULT_MODEL_CONFIG = {
  /**
   * `max_batch_size` of a config that leaves it out, for a model whose inputs and outputs all
   * have a dynamic first dimension (the service option `defaultMaxBatchSize` overrides it).
   * Triton's auto-complete does the same with its `default-max-batch-size` (4 there); 64 here so
   * that requests of up to 64 rows keep working without a config.
   */
  autoMaxBatchSize: 64,
  maxQueueDelayUs: 0,
  maxQueueSize: 1024,
  defaultQueueTimeoutUs: 0,
  instanceCount: 1,
  executionProviders: ['cpu'],
  intraOpThreads: 1,
  versionPolicy: { kind: 'latest', numVersions: 1 },
} as const;

type Json = Record<string, unknown>;

/** A config value for a message: JSON, clipped (a config may come from a client). */
function show(v: unknown): string {
  return clip(JSON.stringify(v));
}

class Reader {
  constructor(private readonly where: string) {}
  fail(path: string, msg: string): never {
    // A config can come from a client (the load RPC's `config`): its keys and values are clipped.
    throw new ModelLoadError(`${this.where}: ${clip(path)}: ${clip(msg, 600)}`);
  }
  obj(v: unknown, path: string, known?: readonly string[]): Json {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'must be an object');
    if (known) {
      for (const k of Object.keys(v)) if (!known.includes(k)) this.fail(`${path}.${k}`, `unknown field (known: ${known.join(', ')})`);
    }
    return v as Json;
  }
  int(v: unknown, path: string, min: number, dflt?: number): number {
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) this.fail(path, `must be an integer >= ${min}, got ${show(v)}`);
    return v;
  }
  intList(v: unknown, path: string, min: number): number[] {
    if (v === undefined) return [];
    if (!Array.isArray(v)) this.fail(path, 'must be a list of integers');
    return v.map((x, i) => this.int(x, `${path}[${i}]`, min));
  }
  str(v: unknown, path: string): string {
    if (typeof v !== 'string' || v === '') this.fail(path, `must be a non-empty string, got ${show(v)}`);
    return v;
  }
}

const KNOWN_KEYS = new Set([
  'name',
  'platform',
  'backend',
  'max_batch_size',
  'input',
  'output',
  'dynamic_batching',
  'instance_group',
  'execution_providers',
  'intra_op_threads',
  'version_policy',
  'prediction_log',
  // Read by the drift monitor (services/monitor/model-monitoring.ts), which validates it.
  'monitoring',
  // Read by the rollout controller (services/rollout/plan.ts), which validates it.
  'rollout',
  // Read by the retrainer (services/retrainer/settings.ts), which validates it.
  'retraining',
]);

function datatypeOf(r: Reader, v: unknown, path: string): Datatype {
  const s = r.str(v, path);
  const dt = s.startsWith('TYPE_') ? s.slice(5) : s;
  if (!isDatatype(dt)) r.fail(path, `unsupported data type ${clip(s)} (supported: TYPE_BOOL, TYPE_UINT8…64, TYPE_INT8…64, TYPE_FP16, TYPE_FP32, TYPE_FP64)`);
  return dt;
}

function tensors(r: Reader, v: unknown, path: string): TensorConfig[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) r.fail(path, 'must be a list');
  return v.map((t, i) => {
    const o = r.obj(t, `${path}[${i}]`, ['name', 'data_type', 'dims']);
    return {
      name: r.str(o['name'], `${path}[${i}].name`),
      datatype: datatypeOf(r, o['data_type'], `${path}[${i}].data_type`),
      dims: r.intList(o['dims'], `${path}[${i}].dims`, -1),
    };
  });
}

function versionPolicy(r: Reader, v: unknown): VersionPolicy {
  if (v === undefined) return DEFAULT_MODEL_CONFIG.versionPolicy;
  const o = r.obj(v, 'version_policy');
  const keys = Object.keys(o);
  if (keys.length !== 1) r.fail('version_policy', 'must have exactly one of latest, all, specific');
  if ('latest' in o) return { kind: 'latest', numVersions: r.int(r.obj(o['latest'], 'version_policy.latest', ['num_versions'])['num_versions'], 'version_policy.latest.num_versions', 1) };
  if ('all' in o) return { kind: 'all' };
  if ('specific' in o) {
    const versions = r.intList(r.obj(o['specific'], 'version_policy.specific', ['versions'])['versions'], 'version_policy.specific.versions', 1);
    if (versions.length === 0) r.fail('version_policy.specific.versions', 'must list at least one version');
    return { kind: 'specific', versions };
  }
  return r.fail('version_policy', `unknown policy ${clip(keys[0])}`);
}

/**
 * Validates a model's config.json (already parsed). `dirName` is the model's folder name, which
 * `name` must match when given.
 * @throws ModelLoadError naming the field (e.g. `dynamic_batching.max_queue_delay_microseconds`).
 */
export function parseModelConfig(raw: unknown, dirName: string): ParsedModelConfig {
  const r: Reader = new Reader(`config of model '${dirName}'`);
  const o = r.obj(raw, '(top level)');
  for (const k of Object.keys(o)) if (!KNOWN_KEYS.has(k)) r.fail(k, 'unknown field');
  if (o.monitoring !== undefined) r.obj(o.monitoring, 'monitoring');
  if (o['rollout'] !== undefined) r.obj(o['rollout'], 'rollout');
  if (o['retraining'] !== undefined) r.obj(o['retraining'], 'retraining');
  if (o['name'] !== undefined && o['name'] !== dirName) r.fail('name', `'${clip(typeof o['name'] === 'string' ? o['name'] : JSON.stringify(o['name']))}' does not match the folder name '${dirName}'`);
  const platform = o['platform'] ?? o['backend'] ?? 'onnxruntime_onnx';
  if (platform !== 'onnxruntime_onnx' && platform !== 'onnxruntime') r.fail('platform', `unsupported platform ${show(platform)} (only onnxruntime_onnx)`);
  const maxBatchSize = o['max_batch_size'] === undefined ? undefined : r.int(o['max_batch_size'], 'max_batch_size', 0);
  const db =
    o['dynamic_batching'] === undefined
      ? {}
      : r.obj(o['dynamic_batching'], 'dynamic_batching', ['max_queue_delay_microseconds', 'preferred_batch_size', 'max_queue_size', 'default_queue_timeout_microseconds']);
  const preferred = r.intList(db['preferred_batch_size'], 'dynamic_batching.preferred_batch_size', 1);
  if (maxBatchSize !== undefined) {
    for (const p of preferred) if (p > maxBatchSize) r.fail('dynamic_batching.preferred_batch_size', `${p} is larger than max_batch_size ${maxBatchSize}`);
  }
  const groups = o['instance_group'] === undefined ? [] : o['instance_group'];
  if (!Array.isArray(groups)) r.fail('instance_group', 'must be a list');
  let instanceCount = 0;
  groups.forEach((g, i) => {
    const go = r.obj(g, `instance_group[${i}]`, ['count', 'kind', 'name', 'gpus']);
    instanceCount += r.int(go['count'], `instance_group[${i}].count`, 1, 1);
    const kind = go['kind'] ?? 'KIND_CPU';
    if (kind !== 'KIND_CPU' && kind !== 'KIND_GPU' && kind !== 'KIND_AUTO') r.fail(`instance_group[${i}].kind`, `unknown kind ${show(kind)}`);
  });
  if (instanceCount === 0) instanceCount = DEFAULT_MODEL_CONFIG.instanceCount;
  const eps = o['execution_providers'] === undefined ? [...DEFAULT_MODEL_CONFIG.executionProviders] : o['execution_providers'];
  if (!Array.isArray(eps) || eps.length === 0) r.fail('execution_providers', 'must be a non-empty list such as ["cuda", "cpu"]');
  const inputs = tensors(r, o['input'], 'input');
  const outputs = tensors(r, o['output'], 'output');
  for (const [list, field] of [[inputs, 'input'], [outputs, 'output']] as const) {
    const seen = new Set<string>();
    for (const t of list) {
      if (seen.has(t.name)) r.fail(field, `'${t.name}' is declared twice`);
      seen.add(t.name);
    }
  }
  const pl = o['prediction_log'] === undefined ? {} : r.obj(o['prediction_log'], 'prediction_log', ['sample_rate', 'log_inputs']);
  const sampleRate = pl['sample_rate'] ?? 1;
  if (typeof sampleRate !== 'number' || !(sampleRate >= 0 && sampleRate <= 1)) r.fail('prediction_log.sample_rate', `must be a number from 0 to 1, got ${show(sampleRate)}`);
  const logInputs = pl['log_inputs'] ?? true;
  if (typeof logInputs !== 'boolean') r.fail('prediction_log.log_inputs', `must be true or false, got ${show(logInputs)}`);
  return {
    name: dirName,
    platform: 'onnxruntime_onnx',
    predictionLog: { sampleRate, logInputs },
    maxBatchSize,
    inputs,
    outputs,
    dynamicBatching: {
      maxQueueDelayUs: r.int(db['max_queue_delay_microseconds'], 'dynamic_batching.max_queue_delay_microseconds', 0, DEFAULT_MODEL_CONFIG.maxQueueDelayUs),
      preferredBatchSizes: [...preferred].sort((a, b) => a - b),
      maxQueueSize: r.int(db['max_queue_size'], 'dynamic_batching.max_queue_size', 0, DEFAULT_MODEL_CONFIG.maxQueueSize),
      defaultQueueTimeoutUs: r.int(db['default_queue_timeout_microseconds'], 'dynamic_batching.default_queue_timeout_microseconds', 0, DEFAULT_MODEL_CONFIG.defaultQueueTimeoutUs),
    },
    instanceCount,
    executionProviders: eps.map((e, i) => r.str(e, `execution_providers[${i}]`).toLowerCase()),
    intraOpThreads: r.int(o['intra_op_threads'], 'intra_op_threads', 0, DEFAULT_MODEL_CONFIG.intraOpThreads),
    versionPolicy: versionPolicy(r, o['version_policy']),
  };
}

/** True when a tensor's first dimension is dynamic (-1): it can be the batch dimension. */
function batchable(m: TensorMeta | undefined): boolean {
  return m !== undefined && m.shape.length > 0 && m.shape[0] === -1;
}

/**
 * Completes a parsed config with what the ONNX file says (Triton's auto-complete). Only
 * `max_batch_size` needs it: when the config leaves it out, the model batches with
 * `max(defaultMaxBatchSize, largest preferred_batch_size)` if every input and every served output
 * has a dynamic first dimension and the config's dims (if any) leave that dimension out;
 * otherwise it does not batch (0). Inputs and outputs the config leaves out come from the ONNX
 * file later, in the signature.
 * @returns the completed config and, when max_batch_size was chosen here, why.
 */
export function completeModelConfig(
  parsed: ParsedModelConfig,
  inputs: readonly TensorMeta[],
  outputs: readonly TensorMeta[],
  defaultMaxBatchSize: number,
): { config: ModelConfig; auto: string | undefined } {
  if (parsed.maxBatchSize !== undefined) return { config: { ...parsed, maxBatchSize: parsed.maxBatchSize }, auto: undefined };
  const served = parsed.outputs.length > 0 ? outputs.filter((m) => parsed.outputs.some((d) => d.name === m.name)) : outputs;
  const tensors = [...inputs, ...served];
  const declared = [...parsed.inputs, ...parsed.outputs];
  const byName = new Map(tensors.map((m) => [m.name, m]));
  // Dims of full rank in the config mean full shapes: the author did not mean a batch dimension.
  const fullDims = declared.some((d) => byName.get(d.name)?.shape.length === d.dims.length);
  let maxBatchSize = 0;
  let auto: string;
  if (defaultMaxBatchSize === 0) {
    auto = 'max_batch_size 0 (not batching): defaultMaxBatchSize is 0';
  } else if (tensors.length === 0 || !tensors.every(batchable)) {
    const fixed = tensors.find((m) => !batchable(m));
    auto = `max_batch_size 0 (not batching): ${fixed ? `'${fixed.name}' has no dynamic first dimension [${fixed.shape.join(', ')}]` : 'no tensors'}`;
  } else if (fullDims) {
    auto = 'max_batch_size 0 (not batching): the config gives full-rank dims';
  } else {
    maxBatchSize = Math.max(defaultMaxBatchSize, ...parsed.dynamicBatching.preferredBatchSizes);
    auto = `max_batch_size ${maxBatchSize} (every input and output has a dynamic first dimension)`;
  }
  return { config: { ...parsed, maxBatchSize }, auto: `config has no max_batch_size: ${auto}` };
}

/** The versions a policy serves, out of those on disk (sorted ascending). */
export function selectVersions(policy: VersionPolicy, available: readonly number[]): number[] {
  const sorted = [...available].sort((a, b) => a - b);
  switch (policy.kind) {
    case 'all':
      return sorted;
    case 'latest':
      return sorted.slice(-policy.numVersions);
    case 'specific':
      return sorted.filter((v) => policy.versions.includes(v));
  }
}
