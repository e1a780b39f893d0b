/**
 * Pipeline specs: YAML or JSON text listing ordered steps over named columns, validated into a
 * {@link PipelineSpec}. Every error names its place (`steps[2].strategy`).
 */
import { parse as parseYaml } from 'yaml';
import { SpecError } from './errors.js';
import { canonicalJson, sha256Hex } from '../../shared/canonical/index.js';
import { boolParam, enumParam, numberParam } from './step-kind.js';
import type { SpecObject, StepKind } from './step-kind.js';
import { STEP_KINDS, STEP_TYPES } from './steps.js';

/** Strings that mean "missing" in a CSV field, unless the spec says otherwise. */
export const DEFAULT_MISSING_VALUES: readonly string[] = ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL'];

/** One validated step: its kind, its validated spec and its label for messages. */
export interface SpecStep {
  readonly kind: StepKind;
  readonly spec: unknown;
  /** e.g. `steps[3] (standard_scale)`. */
  readonly at: string;
}

/** A validated pipeline spec. */
export interface PipelineSpec {
  /** Default name and version of the artifact (the CLI flags and the Fit request win). */
  readonly name: string | undefined;
  readonly version: string | undefined;
  /** Declared input column types; undeclared ones are inferred from the training data. */
  readonly columnTypes: Readonly<Record<string, 'number' | 'string'>>;
  /** CSV fields that mean missing. */
  readonly missingValues: readonly string[];
  /** What Transform does with a column the pipeline does not know: a row error or nothing. */
  readonly unknownColumns: 'error' | 'ignore';
  /** Refuse numeric inputs outside the training range (widened by rangeTolerance × its width). */
  readonly enforceRange: boolean;
  readonly rangeTolerance: number;
  readonly steps: readonly SpecStep[];
  /** The spec as parsed (plain data), stored in the artifact. */
  readonly raw: SpecObject;
  /** SHA-256 of the canonical JSON of `raw` (the same for equal YAML and JSON specs). */
  readonly sha256: string;
}

const TOP_KEYS = ['name', 'version', 'columns', 'csv', 'schema', 'steps'];

function isObject(v: unknown): v is SpecObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Refuses values JSON cannot hold (YAML's .inf/.nan) anywhere in the spec, naming where. */
function assertJsonSafe(v: unknown, path: string): void {
  if (typeof v === 'number' && !Number.isFinite(v)) throw new SpecError(path, `${v} is not allowed (the spec must be valid JSON)`);
  if (Array.isArray(v)) v.forEach((x, i) => assertJsonSafe(x, `${path}[${i}]`));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) assertJsonSafe(x, path === '' ? k : `${path}.${k}`);
}

function optionalString(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string' || v === '') throw new SpecError(field, 'must be a non-empty string');
  return v;
}

/**
 * Parses and validates a spec (YAML or JSON text, or an already parsed object).
 * @throws SpecError naming the field at fault.
 */
export function parseSpec(input: string | SpecObject): PipelineSpec {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      // YAML is a superset of JSON: one parser for both. Warnings (an unknown `%…` directive in
      // a Fit request's spec) would go to process.emitWarning, a stderr line per request outside
      // the logger: the text either parses or is refused below.
      raw = parseYaml(input, { logLevel: 'error' });
    } catch (e: unknown) {
      throw new SpecError('(text)', `cannot parse as YAML or JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  if (!isObject(raw)) throw new SpecError('(top level)', 'must be an object with a steps list');
  assertJsonSafe(raw, '');
  for (const k of Object.keys(raw)) if (!TOP_KEYS.includes(k)) throw new SpecError(k, `unknown key (known: ${TOP_KEYS.join(', ')})`);

  const columns = raw['columns'] ?? {};
  if (!isObject(columns)) throw new SpecError('columns', 'must map column names to number or string');
  const columnTypes: Record<string, 'number' | 'string'> = Object.create(null) as Record<string, 'number' | 'string'>;
  for (const [c, t] of Object.entries(columns)) columnTypes[c] = enumParam(t, `columns.${c}`, ['number', 'string']);

  const csv = raw['csv'] ?? {};
  if (!isObject(csv)) throw new SpecError('csv', 'must be an object');
  for (const k of Object.keys(csv)) if (k !== 'missing_values') throw new SpecError(`csv.${k}`, 'unknown key (known: missing_values)');
  let missingValues = DEFAULT_MISSING_VALUES;
  if (csv['missing_values'] !== undefined) {
    const mv = csv['missing_values'];
    if (!Array.isArray(mv) || !mv.every((v) => typeof v === 'string')) throw new SpecError('csv.missing_values', 'must be a list of strings');
    missingValues = mv;
  }

  const schema = raw['schema'] ?? {};
  if (!isObject(schema)) throw new SpecError('schema', 'must be an object');
  for (const k of Object.keys(schema)) {
    if (!['unknown_columns', 'enforce_range', 'range_tolerance'].includes(k)) throw new SpecError(`schema.${k}`, 'unknown key (known: unknown_columns, enforce_range, range_tolerance)');
  }

  const stepsRaw = raw['steps'];
  if (!Array.isArray(stepsRaw) || stepsRaw.length === 0) throw new SpecError('steps', 'must be a non-empty list');
  const steps = stepsRaw.map((s: unknown, i): SpecStep => {
    const field = `steps[${i}]`;
    if (!isObject(s)) throw new SpecError(field, 'must be an object with a type');
    const type = s['type'];
    const kind = typeof type === 'string' ? STEP_KINDS.get(type) : undefined;
    if (!kind) throw new SpecError(`${field}.type`, `unknown step type ${JSON.stringify(type)} (known: ${STEP_TYPES.join(', ')})`);
    return { kind, spec: kind.parse(s, field), at: `${field} (${kind.type})` };
  });

  return {
    name: optionalString(raw['name'], 'name'),
    version: optionalString(raw['version'], 'version'),
    columnTypes,
    missingValues,
    unknownColumns: enumParam(schema['unknown_columns'], 'schema.unknown_columns', ['error', 'ignore'], 'error'),
    enforceRange: boolParam(schema['enforce_range'], 'schema.enforce_range', false),
    rangeTolerance: numberParam(schema['range_tolerance'], 'schema.range_tolerance', { def: 0, min: 0 }),
    steps,
    raw,
    sha256: sha256Hex(canonicalJson(raw)),
  };
}
