/**
 * Triton's `config.pbtxt` (protobuf text format of `inference.ModelConfig`) read into the shape
 * of mlmesh's config.json, so an existing Triton model repository loads unchanged. The text is
 * checked against the fields of protos/inference/model_config.proto (names, types, enum values,
 * repeated or not); fields of Triton's ModelConfig that mlmesh does not map are listed in
 * {@link TRITON_IGNORED_FIELDS} and reported back (the load logs one warning naming them all); a
 * field neither knows (a typo) is an error naming its line and column, as Triton's own parser
 * would refuse it.
 */
import protobuf from 'protobufjs';
import { protoPath } from '../../shared/protos/index.js';
import { TextFormatError } from './errors.js';
import { parseTextFormat } from './text-format.js';
import type { TextField, TextMessage, TextScalar } from './text-format.js';

/** The .proto (relative to protos/) declaring what mlmesh reads of Triton's ModelConfig. */
export const MODEL_CONFIG_PROTO = 'inference/model_config.proto';

/**
 * Fields of Triton's messages that mlmesh reads but does not act on, by message: a config using
 * them loads, with a warning naming each one. (Field names as in Triton's model_config.proto.)
 */
export const TRITON_IGNORED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'inference.ModelConfig': [
    'runtime',
    'batch_input',
    'batch_output',
    'sequence_batching',
    'ensemble_scheduling',
    'cc_model_filenames',
    'metric_tags',
    'model_warmup',
    'model_operations',
    'model_transaction_policy',
    'model_repository_agents',
    'response_cache',
    'model_metrics',
  ],
  'inference.ModelInput': ['is_shape_tensor', 'allow_ragged_batch', 'optional', 'is_non_linear_format_io'],
  'inference.ModelOutput': ['label_filename', 'is_shape_tensor', 'is_non_linear_format_io'],
  'inference.ModelInstanceGroup': ['rate_limiter', 'secondary_devices', 'profile', 'passive', 'host_policy'],
  'inference.ModelOptimizationPolicy': ['graph', 'priority', 'cuda', 'input_pinned_memory', 'output_pinned_memory', 'gather_kernel_buffer_threshold', 'eager_batching'],
  'inference.ModelDynamicBatching': ['preserve_ordering', 'priority_levels', 'default_priority_level', 'priority_queue_policy'],
};

/** The config.json-shaped object a config.pbtxt maps to, and what of it mlmesh ignores. */
export interface TritonConfig {
  /** For parseModelConfig: the same keys as config.json. */
  config: Record<string, unknown>;
  /** Paths of the fields mlmesh ignores, e.g. `output[0].label_filename`, each with why when it matters. */
  ignored: string[];
}

let modelConfig: protobuf.Type | undefined;

function modelConfigType(): protobuf.Type {
  if (!modelConfig) {
    const root = new protobuf.Root().loadSync(protoPath(MODEL_CONFIG_PROTO), { keepCase: true });
    root.resolveAll();
    modelConfig = root.lookupType('inference.ModelConfig');
  }
  return modelConfig;
}

type Plain = string | number | boolean | PlainMessage | Plain[];
interface PlainMessage {
  [field: string]: Plain;
}

const INT_RANGES: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

class Reader {
  readonly ignored: string[] = [];
  constructor(private readonly source: string) {}

  fail(at: { line: number; col: number }, msg: string): never {
    throw new TextFormatError(this.source, at.line, at.col, msg);
  }

  message(type: protobuf.Type, m: TextMessage, path: string): PlainMessage {
    const out: PlainMessage = {};
    const seen = new Map<string, TextField>();
    for (const f of m.fields) {
      const field = type.fields[f.name];
      const where = path === '' ? f.name : `${path}.${f.name}`;
      if (!field) {
        if (TRITON_IGNORED_FIELDS[type.fullName.replace(/^\./, '')]?.includes(f.name)) {
          if (!this.ignored.includes(where)) this.ignored.push(where);
          continue;
        }
        this.fail(f.at, `${type.name} has no field '${f.name}'${path ? ` (in ${path})` : ''}`);
      }
      if (field instanceof protobuf.MapField) {
        const entries = (out[f.name] ??= {}) as PlainMessage;
        const [key, value] = this.mapEntry(field, f, where);
        entries[key] = value;
        continue;
      }
      if (!field.repeated) {
        const before = seen.get(f.name);
        if (before) this.fail(f.at, `field '${where}' is given twice (first at line ${before.at.line}, column ${before.at.col}); it is not repeated`);
        seen.set(f.name, f);
        out[f.name] = this.value(field, f, where);
      } else {
        const list = (out[f.name] ??= []) as Plain[];
        list.push(this.value(field, f, `${where}[${list.length}]`));
      }
    }
    // A oneof holds one of its fields (version_policy { latest {…} all {} } is not a policy).
    for (const oneof of type.oneofsArray) {
      const set = oneof.fieldsArray.filter((x) => x.name in out);
      if (set.length > 1) this.fail(m.at, `${path || type.name}: only one of ${oneof.fieldsArray.map((x) => x.name).join(', ')} may be set, got ${set.map((x) => x.name).join(' and ')}`);
    }
    return out;
  }

  private mapEntry(field: protobuf.MapField, f: TextField, where: string): [string, Plain] {
    if (f.value.kind !== 'message') this.fail(f.at, `map field '${where}' takes entries { key: … value: … }`);
    let key: string | undefined;
    let value: Plain | undefined;
    for (const e of f.value.fields) {
      if (e.name === 'key') key = String(this.scalar(field.keyType, undefined, e, `${where}.key`));
      else if (e.name === 'value') value = this.typed(field.type, field.resolvedType, e, `${where}[${key ?? '?'}]`);
      else this.fail(e.at, `a map entry of '${where}' has only 'key' and 'value', not '${e.name}'`);
    }
    if (key === undefined) this.fail(f.at, `a map entry of '${where}' has no key`);
    return [key, value ?? (field.resolvedType instanceof protobuf.Type ? {} : '')];
  }

  private value(field: protobuf.Field, f: TextField, where: string): Plain {
    return this.typed(field.type, field.resolvedType, f, where);
  }

  private typed(typeName: string, resolved: protobuf.ReflectionObject | null, f: TextField, where: string): Plain {
    if (resolved instanceof protobuf.Type) {
      if (f.value.kind !== 'message') this.fail(f.at, `field '${where}' is a message (${resolved.name}): write ${f.name} { … }`);
      return this.message(resolved, f.value, where);
    }
    if (f.value.kind === 'message') this.fail(f.at, `field '${where}' takes a value (${resolved instanceof protobuf.Enum ? resolved.name : typeName}), not a message`);
    return this.scalar(typeName, resolved instanceof protobuf.Enum ? resolved : undefined, { ...f, value: f.value }, where);
  }

  private scalar(typeName: string, enumType: protobuf.Enum | undefined, f: TextField, where: string): string | number | boolean {
    const v = f.value as TextScalar;
    if (enumType) {
      if (v.kind === 'identifier' && v.text in enumType.values) return v.text;
      if (v.kind === 'number' && /^-?\d+$/.test(v.text)) {
        const name = enumType.valuesById[Number(v.text)];
        if (name !== undefined) return name;
      }
      return this.fail(v.at, `field '${where}': ${show(v)} is not a ${enumType.name} (one of ${Object.keys(enumType.values).join(', ')})`);
    }
    switch (typeName) {
      case 'string':
        if (v.kind !== 'string') this.fail(v.at, `field '${where}' is a string: write it in quotes, got ${show(v)}`);
        return v.value;
      case 'bool':
        if (v.kind === 'identifier' && /^(true|t|True)$/.test(v.text)) return true;
        if (v.kind === 'identifier' && /^(false|f|False)$/.test(v.text)) return false;
        if (v.kind === 'number' && (v.text === '1' || v.text === '0')) return v.text === '1';
        return this.fail(v.at, `field '${where}' is a bool (true or false), got ${show(v)}`);
      case 'float':
      case 'double': {
        if (v.kind === 'identifier' && /^-?(inf|infinity|nan)$/i.test(v.text)) return v.text.toLowerCase().includes('nan') ? NaN : v.text.startsWith('-') ? -Infinity : Infinity;
        if (v.kind !== 'number') this.fail(v.at, `field '${where}' is a number, got ${show(v)}`);
        return Number(v.text.replace(/[fF]$/, ''));
      }
      default: {
        const range = INT_RANGES[typeName];
        if (!range) return this.fail(v.at, `field '${where}' has type ${typeName}, which this reader does not know`);
        if (v.kind !== 'number' || /[.eEfF]/.test(v.text.replace(/^-?0[xX]/, ''))) this.fail(v.at, `field '${where}' is an integer (${typeName}), got ${show(v)}`);
        const neg = v.text.startsWith('-');
        const digits = neg ? v.text.slice(1) : v.text;
        const n = (neg ? -1 : 1) * (/^0[xX]/.test(digits) ? parseInt(digits.slice(2), 16) : /^0[0-7]+$/.test(digits) ? parseInt(digits, 8) : Number(digits));
        if (!Number.isSafeInteger(n) || n < range[0] || n > range[1]) this.fail(v.at, `field '${where}': ${v.text} is out of range for ${typeName}`);
        return n;
      }
    }
  }
}

function show(v: TextScalar): string {
  return v.kind === 'string' ? JSON.stringify(v.value) : `'${v.text}'`;
}

type Obj = Record<string, unknown>;
/** A scalar read from the tree as text (the reader gives strings, numbers and booleans only). */
const plainText = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

/** A ModelInput/ModelOutput as config.json has it, noting what is dropped. */
function tensor(t: Obj, path: string, ignored: string[]): Obj {
  const out: Obj = { name: t['name'], data_type: t['data_type'] ?? 'TYPE_INVALID', dims: t['dims'] ?? [] };
  if (t['format'] !== undefined && t['format'] !== 'FORMAT_NONE') ignored.push(`${path}.format (${plainText(t['format'])}: tensors are passed as they are)`);
  const reshape = t['reshape'] as Obj | undefined;
  if (reshape) {
    // mlmesh does not reshape: the tensor is served with the model's own shape, the reshape's.
    out['dims'] = reshape['shape'] ?? [];
    ignored.push(`${path}.reshape (served with the model's shape [${(out['dims'] as number[]).join(', ')}] instead of dims [${((t['dims'] as number[] | undefined) ?? []).join(', ')}])`);
  }
  return out;
}

/** Triton's accelerator names → onnxruntime execution providers mlmesh knows. */
const ACCELERATORS: Record<string, string> = { tensorrt: 'tensorrt', cuda: 'cuda' };

/**
 * Reads a config.pbtxt into config.json's shape (for {@link parseModelConfig}, which then checks
 * the values as it checks config.json) and the list of ignored fields.
 * @throws TextFormatError naming the line and column of a syntax error, an unknown field, a
 *   value of the wrong type or an unknown enum value.
 */
export function readTritonConfig(text: string, source: string): TritonConfig {
  const reader = new Reader(source);
  const tree = parseTextFormat(text, source);
  const m = reader.message(modelConfigType(), tree, '') as Obj;
  const ignored = reader.ignored;
  const c: Obj = {};
  for (const k of ['name', 'platform', 'backend', 'max_batch_size'] as const) if (m[k] !== undefined) c[k] = m[k];
  if (m['input'] !== undefined) c['input'] = list(m['input']).map((t, i) => tensor(t, `input[${i}]`, ignored));
  if (m['output'] !== undefined) c['output'] = list(m['output']).map((t, i) => tensor(t, `output[${i}]`, ignored));
  const db = m['dynamic_batching'] as Obj | undefined;
  if (db) {
    const out: Obj = {};
    if (db['preferred_batch_size'] !== undefined) out['preferred_batch_size'] = db['preferred_batch_size'];
    if (db['max_queue_delay_microseconds'] !== undefined) out['max_queue_delay_microseconds'] = db['max_queue_delay_microseconds'];
    const q = db['default_queue_policy'] as Obj | undefined;
    if (q) {
      if (q['max_queue_size'] !== undefined) out['max_queue_size'] = q['max_queue_size'];
      if (q['default_timeout_microseconds'] !== undefined) out['default_queue_timeout_microseconds'] = q['default_timeout_microseconds'];
      if (q['timeout_action'] === 'DELAY') ignored.push('dynamic_batching.default_queue_policy.timeout_action (DELAY: a request past its queue timeout is always refused, as REJECT)');
      if (q['allow_timeout_override'] !== undefined) ignored.push('dynamic_batching.default_queue_policy.allow_timeout_override');
    }
    c['dynamic_batching'] = out;
  }
  const groups = list(m['instance_group']);
  if (groups.length > 0) c['instance_group'] = groups.map((g) => ({ ...(g['count'] !== undefined ? { count: g['count'] } : {}), ...(g['kind'] !== undefined ? { kind: g['kind'] } : {}), ...(g['name'] !== undefined ? { name: g['name'] } : {}), ...(g['gpus'] !== undefined ? { gpus: g['gpus'] } : {}) }));
  if (m['version_policy'] !== undefined) c['version_policy'] = m['version_policy'];
  const providers: string[] = [];
  const accel = ((m['optimization'] as Obj | undefined)?.['execution_accelerators'] ?? {}) as Obj;
  list(accel['gpu_execution_accelerator']).forEach((a, i) => {
    const name = plainText(a['name'] ?? '');
    const ep = ACCELERATORS[name.toLowerCase()];
    if (ep) providers.push(ep);
    else ignored.push(`optimization.execution_accelerators.gpu_execution_accelerator[${i}] ('${name}': onnxruntime providers are tensorrt and cuda)`);
    if (a['parameters'] !== undefined && Object.keys(a['parameters'] as Obj).length > 0) ignored.push(`optimization.execution_accelerators.gpu_execution_accelerator[${i}].parameters`);
  });
  list(accel['cpu_execution_accelerator']).forEach((a, i) => ignored.push(`optimization.execution_accelerators.cpu_execution_accelerator[${i}] ('${plainText(a['name'] ?? '')}': served on onnxruntime's CPU provider)`));
  // KIND_GPU instances run on CUDA in Triton's onnxruntime backend; CPU stays the fallback.
  if (providers.length > 0 || groups.some((g) => g['kind'] === 'KIND_GPU')) c['execution_providers'] = [...new Set([...providers, 'cuda', 'cpu'])];
  const params = (m['parameters'] ?? {}) as Record<string, Obj>;
  for (const [key, p] of Object.entries(params)) {
    const v = p['string_value'];
    if (key === 'intra_op_thread_count' && typeof v === 'string' && /^\d+$/.test(v.trim())) c['intra_op_threads'] = Number(v);
    else ignored.push(`parameters[${key}]`);
  }
  const file = m['default_model_filename'];
  if (file !== undefined && file !== '' && file !== 'model.onnx') {
    // Not a field to skip: the version would be read from a file that is not the model.
    const at = tree.fields.find((f) => f.name === 'default_model_filename')?.at ?? tree.at;
    throw new TextFormatError(source, at.line, at.col, `default_model_filename is '${plainText(file)}': mlmesh loads <version>/model.onnx; rename the file to model.onnx and remove the field`);
  }
  return { config: c, ignored };
}
