/**
 * The deployment spec (docs/gateway.md "Deployment spec"): the YAML file's shape, checked field
 * by field with messages naming the path, and its content hash (SHA-256 of the canonical JSON
 * of the parsed document, the rules pipeline artifacts are hashed with).
 */
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { clip } from '../../shared/errors/index.js';
import { SpecError } from './errors.js';
import { canonicalJson } from '../../shared/canonical/index.js';

/** The `format` of every deployment this code reads. */
export const DEPLOYMENT_FORMAT = 'mlmesh.gateway.deployment/v1';
/** Deployment names. */
export const DEPLOYMENT_NAME = /^[a-z][a-z0-9_-]{0,63}$/;
/** Versions (as pipeline versions). */
export const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const FEATURE_REF = /^[a-z][a-z0-9_]{0,99}@[1-9][0-9]{0,8}$/;
const PIPELINE_REF = /^(?:sha256:([0-9a-f]{64})|([A-Za-z0-9][A-Za-z0-9._-]{0,127})@([A-Za-z0-9][A-Za-z0-9._-]{0,127}))$/;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

/** Types a request field may have. */
export const FIELD_TYPES = ['double', 'int64', 'string', 'bool'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** One feature group: features of one entity, keyed by one request field. */
export interface FeatureGroupSpec {
  readonly entity: string;
  readonly service: string | undefined;
  readonly refs: readonly string[] | undefined;
  /** ref → pipeline column. */
  readonly columns: Readonly<Record<string, string>>;
  readonly onMissing: 'pipeline' | 'error';
}

/** A request-time field passed to the pipeline. */
export interface RequestFieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly column: string;
  readonly required: boolean;
}

/** Output post-processing. */
export interface OutputSpec {
  readonly kind: 'classes' | 'binary' | 'raw';
  readonly labels: readonly string[];
  readonly topK: number;
  readonly threshold: number;
  /** -1: the last column. */
  readonly positiveIndex: number;
  readonly activation: 'none' | 'softmax' | 'sigmoid';
}

/** Per-hop timeouts, ms. */
export interface HopTimeouts {
  readonly features: number;
  readonly preprocess: number;
  readonly inference: number;
}

/** A parsed, checked deployment spec. */
export interface DeploymentSpec {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly model: { readonly name: string; readonly version: string; readonly input: string; readonly output: string; readonly featureNames: readonly string[] | undefined };
  readonly pipeline: { readonly name: string; readonly version: string; readonly sha256: string; readonly text: string };
  readonly features: readonly FeatureGroupSpec[];
  readonly requestFields: readonly RequestFieldSpec[];
  readonly output: OutputSpec;
  readonly cache: { readonly enabled: boolean; readonly ttlMs: number };
  readonly timeoutsMs: HopTimeouts;
  readonly logParameters: readonly string[];
  /** SHA-256 of the canonical JSON of the document. */
  readonly sha256: string;
  /** The canonical JSON the hash is over. */
  readonly canonical: string;
}

/** Defaults of the optional fields. */
export const SPEC_DEFAULTS = {
  cacheTtlMs: 60_000,
  timeoutsMs: { features: 1000, preprocess: 1000, inference: 2000 },
  topK: 1,
  threshold: 0.5,
} as const;


type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, path: string): Obj {
  if (!isObj(v)) throw new SpecError(path, `must be a mapping, got ${clip(JSON.stringify(v) ?? String(v))}`);
  return v;
}

function onlyKeys(o: Obj, path: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new SpecError(path === '' ? k : `${path}.${k}`, `unknown key (known: ${keys.join(', ')})`);
}

function str(v: unknown, path: string, pattern?: RegExp): string {
  if (typeof v !== 'string') throw new SpecError(path, `must be a string, got ${clip(JSON.stringify(v) ?? String(v))}`);
  if (pattern && !pattern.test(v)) throw new SpecError(path, `${clip(JSON.stringify(v))} must match ${pattern}`);
  return v;
}

function optStr(v: unknown, path: string, dflt: string, pattern?: RegExp): string {
  return v === undefined || v === null ? dflt : str(v, path, pattern);
}

function int(v: unknown, path: string, min: number, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new SpecError(path, `must be an integer ≥ ${min}, got ${clip(JSON.stringify(v))}`);
  return v;
}

function bool(v: unknown, path: string, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw new SpecError(path, `must be true or false, got ${clip(JSON.stringify(v))}`);
  return v;
}

function oneOf<const V extends string>(v: unknown, path: string, values: readonly V[], dflt?: V): V {
  if ((v === undefined || v === null) && dflt !== undefined) return dflt;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw new SpecError(path, `must be one of ${values.join(', ')}, got ${clip(JSON.stringify(v) ?? String(v))}`);
  return v as V;
}

function strList(v: unknown, path: string, pattern?: RegExp): string[] {
  if (!Array.isArray(v)) throw new SpecError(path, `must be a list, got ${clip(JSON.stringify(v) ?? String(v))}`);
  return v.map((x, i) => str(x, `${path}[${i}]`, pattern));
}

function parsePipeline(v: unknown): DeploymentSpec['pipeline'] {
  const text = str(v, 'pipeline');
  const m = PIPELINE_REF.exec(text);
  if (!m) throw new SpecError('pipeline', `${clip(JSON.stringify(text))} must be name@version or sha256:<64 hex> (a deployment pins its pipeline; a bare name is refused)`);
  return m[1] !== undefined ? { name: '', version: '', sha256: m[1], text } : { name: m[2] as string, version: m[3] as string, sha256: '', text };
}

function parseGroup(v: unknown, path: string): FeatureGroupSpec {
  const o = obj(v, path);
  onlyKeys(o, path, ['entity', 'service', 'refs', 'columns', 'on_missing']);
  const entity = str(o['entity'], `${path}.entity`, FIELD_NAME);
  const hasService = o['service'] !== undefined;
  const hasRefs = o['refs'] !== undefined;
  if (hasService === hasRefs) throw new SpecError(path, 'needs exactly one of service (a feature service) and refs (a list of name@version)');
  const refs = hasRefs ? strList(o['refs'], `${path}.refs`, FEATURE_REF) : undefined;
  if (refs?.length === 0) throw new SpecError(`${path}.refs`, 'must list at least one feature');
  const columns: Record<string, string> = {};
  if (o['columns'] !== undefined) {
    for (const [ref, col] of Object.entries(obj(o['columns'], `${path}.columns`))) {
      if (!FEATURE_REF.test(ref)) throw new SpecError(`${path}.columns.${ref}`, 'keys must be feature refs name@version');
      columns[ref] = str(col, `${path}.columns.${ref}`, FIELD_NAME);
    }
  }
  return {
    entity,
    service: hasService ? str(o['service'], `${path}.service`, /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/) : undefined,
    refs,
    columns,
    onMissing: oneOf(o['on_missing'], `${path}.on_missing`, ['pipeline', 'error'], 'pipeline'),
  };
}

function parseRequestField(v: unknown, path: string): RequestFieldSpec {
  const o = obj(v, path);
  onlyKeys(o, path, ['name', 'type', 'column', 'required']);
  const name = str(o['name'], `${path}.name`, FIELD_NAME);
  return {
    name,
    type: oneOf(o['type'], `${path}.type`, FIELD_TYPES),
    column: optStr(o['column'], `${path}.column`, name, FIELD_NAME),
    required: bool(o['required'], `${path}.required`, true),
  };
}

function parseOutput(v: unknown): OutputSpec {
  const o = obj(v, 'output');
  onlyKeys(o, 'output', ['kind', 'labels', 'top_k', 'threshold', 'positive_index', 'activation']);
  const kind = oneOf(o['kind'], 'output.kind', ['classes', 'binary', 'raw']);
  const labels = o['labels'] === undefined ? [] : strList(o['labels'], 'output.labels');
  if (kind === 'classes' && labels.length < 2) throw new SpecError('output.labels', 'kind classes needs a label per output column (at least 2)');
  if (kind === 'binary' && labels.length !== 2) throw new SpecError('output.labels', 'kind binary needs two labels: [negative, positive]');
  if (new Set(labels).size !== labels.length) throw new SpecError('output.labels', 'labels must be distinct');
  const threshold = o['threshold'] === undefined ? SPEC_DEFAULTS.threshold : o['threshold'];
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1)) throw new SpecError('output.threshold', `must be a number in [0, 1], got ${clip(JSON.stringify(threshold))}`);
  const topK = int(o['top_k'], 'output.top_k', 1, SPEC_DEFAULTS.topK);
  if (kind === 'classes' && topK > labels.length) throw new SpecError('output.top_k', `${topK} is more than the ${labels.length} classes`);
  return {
    kind,
    labels,
    topK,
    threshold,
    positiveIndex: o['positive_index'] === undefined ? -1 : int(o['positive_index'], 'output.positive_index', 0, 0),
    activation: oneOf(o['activation'], 'output.activation', ['none', 'softmax', 'sigmoid'], 'none'),
  };
}

/**
 * Parses and checks a deployment file's text. `fileName` is its name without the extension,
 * which must equal `name`.
 * @throws SpecError (INVALID_ARGUMENT) naming the field path.
 */
export function parseDeployment(text: string, fileName?: string): DeploymentSpec {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (e: unknown) {
    throw new SpecError('(file)', `not valid YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, { cause: e });
  }
  const o = obj(doc, '(document)');
  onlyKeys(o, '', ['format', 'name', 'version', 'description', 'model', 'pipeline', 'features', 'request_fields', 'output', 'cache', 'timeouts_ms', 'log_parameters']);
  if (o['format'] !== DEPLOYMENT_FORMAT) throw new SpecError('format', `must be ${DEPLOYMENT_FORMAT}, got ${clip(JSON.stringify(o['format']) ?? 'nothing')}`);
  const name = str(o['name'], 'name', DEPLOYMENT_NAME);
  if (fileName !== undefined && fileName !== name) throw new SpecError('name', `'${name}' must equal the file's name '${clip(fileName)}'`);
  const rawVersion = o['version'];
  const version = typeof rawVersion === 'number' && Number.isSafeInteger(rawVersion) && rawVersion >= 0 ? String(rawVersion) : str(rawVersion, 'version', VERSION_PATTERN);

  const m = obj(o['model'], 'model');
  onlyKeys(m, 'model', ['name', 'version', 'input', 'output', 'feature_names']);
  const mv = m['version'];
  const model = {
    name: str(m['name'], 'model.name', /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/),
    version: typeof mv === 'number' && Number.isSafeInteger(mv) && mv > 0 ? String(mv) : optStr(mv, 'model.version', '', /^(?:[1-9][0-9]{0,17})?$/),
    input: optStr(m['input'], 'model.input', ''),
    output: optStr(m['output'], 'model.output', ''),
    featureNames: m['feature_names'] === undefined ? undefined : strList(m['feature_names'], 'model.feature_names'),
  };

  const features = o['features'] === undefined ? [] : (() => {
    const list = o['features'];
    if (!Array.isArray(list)) throw new SpecError('features', 'must be a list of feature groups');
    return list.map((g, i) => parseGroup(g, `features[${i}]`));
  })();
  const requestFields = o['request_fields'] === undefined ? [] : (() => {
    const list = o['request_fields'];
    if (!Array.isArray(list)) throw new SpecError('request_fields', 'must be a list');
    return list.map((f, i) => parseRequestField(f, `request_fields[${i}]`));
  })();
  const known = new Set<string>();
  for (const g of features) known.add(g.entity);
  for (const [i, f] of requestFields.entries()) {
    if (known.has(f.name)) throw new SpecError(`request_fields[${i}].name`, `'${f.name}' is already a request field or an entity field`);
    known.add(f.name);
  }

  const c = o['cache'] === undefined ? {} : obj(o['cache'], 'cache');
  onlyKeys(c, 'cache', ['enabled', 'ttl_ms']);
  const t = o['timeouts_ms'] === undefined ? {} : obj(o['timeouts_ms'], 'timeouts_ms');
  onlyKeys(t, 'timeouts_ms', ['features', 'preprocess', 'inference']);
  const entityFields = [...new Set(features.map((g) => g.entity))];
  const logged = o['log_parameters'] === undefined ? [] : strList(o['log_parameters'], 'log_parameters');
  for (const [i, f] of logged.entries()) if (!known.has(f)) throw new SpecError(`log_parameters[${i}]`, `'${clip(f)}' is not an entity field or a request field of this deployment`);

  const canonical = canonicalJson(doc);
  return {
    name,
    version,
    description: optStr(o['description'], 'description', ''),
    model,
    pipeline: parsePipeline(o['pipeline']),
    features,
    requestFields,
    output: parseOutput(o['output']),
    cache: { enabled: bool(c['enabled'], 'cache.enabled', false), ttlMs: int(c['ttl_ms'], 'cache.ttl_ms', 1, SPEC_DEFAULTS.cacheTtlMs) },
    timeoutsMs: {
      features: int(t['features'], 'timeouts_ms.features', 1, SPEC_DEFAULTS.timeoutsMs.features),
      preprocess: int(t['preprocess'], 'timeouts_ms.preprocess', 1, SPEC_DEFAULTS.timeoutsMs.preprocess),
      inference: int(t['inference'], 'timeouts_ms.inference', 1, SPEC_DEFAULTS.timeoutsMs.inference),
    },
    logParameters: [...new Set([...entityFields, ...logged])],
    sha256: createHash('sha256').update(canonical).digest('hex'),
    canonical,
  };
}
