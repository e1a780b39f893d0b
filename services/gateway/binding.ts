/**
 * Binding a deployment to the services it names, at load time (docs/gateway.md "Where each
 * pipeline column comes from"): the pipeline resolves, the model serves, the pipeline's output
 * is the model's input, every pipeline column is filled by one feature or one request field,
 * types agree, the post-processing fits the model's output. A deployment that passes becomes a
 * {@link Binding}, what Predict runs on; one that does not is refused with a BindingError
 * naming the first mismatch.
 */
import { clip, errorMessage } from '../../shared/errors/index.js';
import type { Backends, RequestBudget } from './backends.js';
import { callHop } from './backends.js';
import { BindingError } from './errors.js';
import type { DeploymentSpec, FeatureGroupSpec, FieldType, RequestFieldSpec } from './spec.js';

/** Feature value types of the store. */
export type FeatureValueType = 'FLOAT' | 'INT64' | 'STRING' | 'BOOL' | 'FLOAT_VECTOR' | 'VALUE_TYPE_UNSPECIFIED';

/** A feature group resolved to refs, each with its pipeline column and type. */
export interface BoundGroup {
  readonly spec: FeatureGroupSpec;
  readonly refs: readonly string[];
  readonly columns: readonly string[];
  readonly types: readonly FeatureValueType[];
}

/** Where a pipeline column's value comes from. */
export type ColumnSource = { readonly kind: 'feature'; readonly group: number; readonly index: number; readonly ref: string } | { readonly kind: 'request'; readonly field: RequestFieldSpec };

/** What Predict runs on: a deployment checked against its services. */
export interface Binding {
  readonly spec: DeploymentSpec;
  readonly file: string;
  readonly loadedAt: Date;
  readonly pipeline: { readonly name: string; readonly version: string; readonly sha256: string; readonly featureNames: readonly string[] };
  readonly groups: readonly BoundGroup[];
  /** Pipeline column → its source. */
  readonly sources: ReadonlyMap<string, ColumnSource>;
  readonly model: {
    readonly name: string;
    /** '' = inference chooses. */
    readonly version: string;
    readonly input: string;
    readonly output: string;
    readonly outputDatatype: string;
    /** The output's shape without the batch axis (-1 where dynamic). */
    readonly outputShape: readonly number[];
    /** Versions inference served at load. */
    readonly versionsAtLoad: readonly string[];
  };
  /** Every ref read, in group order. */
  readonly featureVersions: readonly string[];
  /** Every field a row may carry: entity fields, then request fields. */
  readonly fields: readonly string[];
}

/** Schema column of a pipeline artifact, as GetPipeline's artifact_json has it. */
interface SchemaColumn {
  name: string;
  type: 'number' | 'string';
  required: boolean;
  used: boolean;
}

const OUTPUT_TYPES = new Set(['FP32', 'FP64', 'FP16', 'INT32', 'INT64']);

function fits(columnType: 'number' | 'string', t: FeatureValueType | FieldType): boolean {
  if (columnType === 'number') return t === 'FLOAT' || t === 'INT64' || t === 'BOOL' || t === 'double' || t === 'int64' || t === 'bool';
  return t === 'STRING' || t === 'INT64' || t === 'string' || t === 'int64';
}

/**
 * Checks `spec` against the services and builds its binding. Calls GetPipeline, GetFeatureService
 * / GetFeature and ModelMetadata, each within `timeoutMs`.
 * @throws BindingError naming the mismatch, or the service that could not be asked.
 */
export async function bindDeployment(spec: DeploymentSpec, file: string, backends: Backends, timeoutMs: number): Promise<Binding> {
  const fail = (msg: string, cause?: unknown): never => {
    throw new BindingError(`${spec.name}@${spec.version}`, msg, cause === undefined ? undefined : { cause });
  };
  const budget: RequestBudget = { deadlineMs: Date.now() + timeoutMs, signal: new AbortController().signal, requestId: `gateway-load-${spec.name}-${spec.version}` };
  const ask = async <T>(what: string, hop: 'features' | 'preprocess' | 'inference', fn: Parameters<typeof callHop<T>>[4]): Promise<T> => {
    try {
      return await callHop(hop, budget, timeoutMs, backends.address(hop), fn);
    } catch (e: unknown) {
      return fail(`${what}: ${errorMessage(e)}`, e);
    }
  };

  // The pipeline.
  const p = spec.pipeline;
  const got = await ask(`pipeline ${p.text}`, 'preprocess', (o) => backends.preprocess.getPipeline({ pipeline: p.sha256 ? { sha256: p.sha256 } : { name: p.name, version: p.version } }, o));
  const info = got.pipeline;
  if (!info) return fail(`pipeline ${p.text}: GetPipeline answered no pipeline`);
  let schema: SchemaColumn[];
  try {
    schema = (JSON.parse(got.artifact_json) as { input_schema: { columns: SchemaColumn[] } }).input_schema.columns;
  } catch (e: unknown) {
    return fail(`pipeline ${p.text}: its artifact has no readable input_schema`, e);
  }
  const pipelineName = `${info.name}@${info.version}`;

  // Features: refs, types and columns.
  const groups: BoundGroup[] = [];
  for (const [gi, g] of spec.features.entries()) {
    let refs: string[];
    if (g.service !== undefined) {
      const svc = await ask(`features[${gi}].service '${g.service}'`, 'features', (o) => backends.features.getFeatureService({ name: g.service }, o));
      refs = [...(svc.service?.features ?? [])];
      if (refs.length === 0) return fail(`features[${gi}].service '${g.service}' lists no features`);
    } else refs = [...(g.refs ?? [])];
    const types: FeatureValueType[] = [];
    const entities = new Set<string>();
    for (const ref of refs) {
      const def = await ask(`features[${gi}] feature ${ref}`, 'features', (o) => backends.features.getFeature({ feature: ref }, o));
      const t = (def.definition?.value_type ?? 'VALUE_TYPE_UNSPECIFIED');
      if (t === 'FLOAT_VECTOR') return fail(`feature ${ref} is a FLOAT_VECTOR: a pipeline column takes one value`);
      types.push(t);
      entities.add(def.definition?.entity ?? '');
    }
    if (entities.size > 1) return fail(`features[${gi}] mixes entity types (${[...entities].join(', ')}): one group reads one entity (split it into groups)`);
    for (const mapped of Object.keys(g.columns)) if (!refs.includes(mapped)) return fail(`features[${gi}].columns names ${mapped}, which the group does not read (it reads ${refs.join(', ')})`);
    const columns = refs.map((r) => g.columns[r] ?? r.slice(0, r.indexOf('@')));
    groups.push({ spec: g, refs, columns, types });
  }

  // Every pipeline column has one source, of a type it takes.
  const byName = new Map(schema.map((c) => [c.name, c]));
  const sources = new Map<string, ColumnSource>();
  const claim = (column: string, source: ColumnSource, label: string, type: FeatureValueType | FieldType): void => {
    const prev = sources.get(column);
    if (prev) fail(`column '${column}' is filled twice: by ${prev.kind === 'feature' ? `feature ${prev.ref}` : `request field '${prev.field.name}'`} and by ${label} (map one elsewhere with columns:)`);
    const col = byName.get(column);
    if (!col) fail(`${label} fills column '${column}', which pipeline ${pipelineName} does not have (its columns: ${clip(schema.map((c) => c.name).join(', '), 400)})`);
    else if (!fits(col.type, type)) fail(`${label} is ${type} but pipeline ${pipelineName} column '${column}' is ${col.type === 'number' ? 'a number (FLOAT, INT64, BOOL / double, int64, bool)' : 'a string (STRING, INT64 / string, int64)'}`);
    sources.set(column, source);
  };
  for (const [gi, g] of groups.entries()) {
    for (const [i, ref] of g.refs.entries()) claim(g.columns[i] as string, { kind: 'feature', group: gi, index: i, ref }, `feature ${ref}`, g.types[i] as FeatureValueType);
  }
  for (const f of spec.requestFields) claim(f.column, { kind: 'request', field: f }, `request field '${f.name}'`, f.type);
  for (const c of schema) {
    if (c.used && !sources.has(c.name)) fail(`pipeline ${pipelineName} needs column '${c.name}' (${c.type}), which no feature or request field provides`);
  }

  // The model: its input is the pipeline's output.
  const m = spec.model;
  const meta = await ask(`model '${m.name}'`, 'inference', (o) => backends.inference.modelMetadata({ name: m.name, version: m.version }, o));
  if (meta.inputs.length === 0) return fail(`model '${m.name}' has no inputs`);
  const input = m.input === '' ? (meta.inputs.length === 1 ? meta.inputs[0] : undefined) : meta.inputs.find((t) => t.name === m.input);
  if (!input) return fail(m.input === '' ? `model '${m.name}' has ${meta.inputs.length} inputs (${meta.inputs.map((t) => t.name).join(', ')}): name one in model.input` : `model '${m.name}' has no input '${m.input}' (inputs: ${meta.inputs.map((t) => t.name).join(', ')})`);
  if (meta.inputs.length > 1) return fail(`model '${m.name}' has ${meta.inputs.length} inputs (${meta.inputs.map((t) => t.name).join(', ')}): the gateway feeds one, the pipeline's tensor`);
  if (input.datatype !== 'FP32') return fail(`model '${m.name}' input '${input.name}' is ${input.datatype}; the pipeline's tensor is FP32`);
  const dims = input.shape.map(Number).slice(1);
  const width = dims.some((d) => d < 0) ? -1 : dims.reduce((a, b) => a * b, 1);
  const featureNames = info.feature_names;
  if (width !== -1 && width !== featureNames.length) {
    return fail(`pipeline ${pipelineName} outputs ${featureNames.length} features but model '${m.name}' input '${input.name}' takes ${width} (shape [${input.shape.join(', ')}])`);
  }
  if (m.featureNames !== undefined) {
    const i = m.featureNames.findIndex((n, k) => featureNames[k] !== n);
    if (i !== -1 || m.featureNames.length !== featureNames.length) {
      const k = i === -1 ? Math.min(m.featureNames.length, featureNames.length) : i;
      return fail(`pipeline ${pipelineName} feature ${k} is '${featureNames[k] ?? '(none)'}' but model.feature_names[${k}] is '${m.featureNames[k] ?? '(none)'}' (${featureNames.length} vs ${m.featureNames.length} names)`);
    }
  }
  const output = m.output === '' ? (meta.outputs.length === 1 ? meta.outputs[0] : undefined) : meta.outputs.find((t) => t.name === m.output);
  if (!output) return fail(m.output === '' ? `model '${m.name}' has ${meta.outputs.length} outputs (${meta.outputs.map((t) => t.name).join(', ')}): name one in model.output` : `model '${m.name}' has no output '${m.output}' (outputs: ${meta.outputs.map((t) => t.name).join(', ')})`);
  if (!OUTPUT_TYPES.has(output.datatype)) return fail(`model '${m.name}' output '${output.name}' is ${output.datatype}: post-processing reads numbers (FP32, FP64, FP16, INT32, INT64)`);
  const outputShape = output.shape.map(Number).slice(1);
  const outWidth = outputShape.some((d) => d < 0) ? -1 : outputShape.reduce((a, b) => a * b, 1);
  const o = spec.output;
  if (o.kind === 'classes' && outWidth !== -1 && outWidth !== o.labels.length) return fail(`output.labels has ${o.labels.length} labels but model '${m.name}' output '${output.name}' has ${outWidth} columns`);
  if (o.kind === 'binary' && outWidth !== -1 && outWidth !== 1 && outWidth !== 2) return fail(`output.kind binary needs a model output of 1 or 2 columns; '${output.name}' has ${outWidth}`);
  if (o.kind === 'binary' && o.positiveIndex >= 0 && outWidth !== -1 && o.positiveIndex >= outWidth) return fail(`output.positive_index ${o.positiveIndex} is outside the ${outWidth} columns of '${output.name}'`);
  if (o.kind !== 'raw' && output.datatype !== 'FP32' && output.datatype !== 'FP64' && output.datatype !== 'FP16') return fail(`output.kind ${o.kind} needs scores (FP32/FP64/FP16); '${output.name}' is ${output.datatype} (use kind raw)`);

  return {
    spec,
    file,
    loadedAt: new Date(),
    pipeline: { name: info.name, version: info.version, sha256: info.sha256, featureNames },
    groups,
    sources,
    model: { name: m.name, version: m.version, input: input.name, output: output.name, outputDatatype: output.datatype, outputShape, versionsAtLoad: [...meta.versions] },
    featureVersions: groups.flatMap((g) => g.refs),
    fields: [...new Set([...spec.features.map((g) => g.entity), ...spec.requestFields.map((f) => f.name)])],
  };
}
