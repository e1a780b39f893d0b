/**
 * Feature definitions: validation and normalization of what a file or a RegisterFeature call
 * holds, and the content hash (SHA-256 of canonical JSON) that makes re-registration idempotent.
 * The shapes are the generated proto types; a normalized definition has every field set, enums
 * as names, int64 as decimal strings and exactly one member of each oneof.
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../../shared/errors/index.js';
import type { FeatureDefinition__Output } from '../../shared/generated/mlmesh/features/v1/FeatureDefinition.js';
import type { FeatureServiceDefinition__Output } from '../../shared/generated/mlmesh/features/v1/FeatureServiceDefinition.js';
import type { Source__Output } from '../../shared/generated/mlmesh/features/v1/Source.js';
import type { Transform__Output } from '../../shared/generated/mlmesh/features/v1/Transform.js';
import type { Value__Output } from '../../shared/generated/mlmesh/features/v1/Value.js';
import { FEATURE_NAME_PATTERN, SERVICE_NAME_PATTERN, parseRef } from './refs.js';
import { TIMESTAMP_FORMATS } from './times.js';
import type { TimestampFormatName } from './times.js';
import { VALUE_TYPES } from './values.js';

/** A normalized feature definition (see {@link normalizeDefinition}). */
export type FeatureDefinition = FeatureDefinition__Output;
/** A normalized feature service definition. */
export type FeatureServiceDefinition = FeatureServiceDefinition__Output;

type Obj = Record<string, unknown>;

const COMPARE_OPS = ['EQ', 'NE', 'LT', 'LE', 'GT', 'GE', 'IS_NULL', 'NOT_NULL'] as const;
const MAP_OPS = ['ADD', 'SUBTRACT', 'MULTIPLY', 'DIVIDE', 'ABS', 'LOG1P', 'CLIP_MIN', 'CLIP_MAX', 'ROUND', 'LOWER', 'UPPER', 'TO_FLOAT', 'TO_INT64'] as const;
const AGGREGATIONS = ['AVG', 'SUM', 'COUNT', 'MIN', 'MAX', 'LAST'] as const;
const ENTITY_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
const COLUMN_PATTERN = /^[^\s].{0,127}$/;

function bad(field: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError(`${field}: ${message}`, { field });
}

function obj(raw: unknown, field: string): Obj {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(field, 'must be an object');
  return raw as Obj;
}

/** Refuses keys that are not fields (a typo would otherwise be ignored); `kind`/`selection` are proto-loader's oneof names. */
function onlyKeys(o: Obj, allowed: readonly string[], field: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k) && k !== 'kind' && o[k] !== undefined) throw bad(`${field}.${k}`, `unknown field (known: ${allowed.join(', ')})`);
  }
}

function str(o: Obj, key: string, field: string, opts: { default?: string; pattern?: RegExp } = {}): string {
  const v = o[key];
  if (v === undefined || v === null || v === '') {
    if (opts.default !== undefined) return opts.default;
    throw bad(`${field}.${key}`, 'is required');
  }
  if (typeof v !== 'string') throw bad(`${field}.${key}`, `must be a string, got ${JSON.stringify(v)}`);
  if (opts.pattern && !opts.pattern.test(v)) throw bad(`${field}.${key}`, `${JSON.stringify(v)} does not match ${opts.pattern}`);
  return v;
}

function int(o: Obj, key: string, field: string, min: number, dflt?: number): number {
  const v = o[key];
  if ((v === undefined || v === null) && dflt !== undefined) return dflt;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw bad(`${field}.${key}`, `must be an integer, got ${JSON.stringify(v)}`);
  if (n < min) throw bad(`${field}.${key}`, `must be >= ${min}, got ${n}`);
  return n;
}

function enumName<const V extends string>(o: Obj, key: string, field: string, values: readonly V[], dflt?: V): V {
  const v = o[key];
  const unset = v === undefined || v === null || v === 0 || (typeof v === 'string' && v.endsWith('_UNSPECIFIED'));
  if (unset && dflt !== undefined) return dflt;
  const name = typeof v === 'string' ? v.toUpperCase() : v;
  if (typeof name === 'string' && (values as readonly string[]).includes(name)) return name as V;
  throw bad(`${field}.${key}`, `must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
}

/** The one member of a oneof that is set, or undefined. */
function oneofMember(o: Obj, members: readonly string[], field: string): string | undefined {
  const set = members.filter((m) => o[m] !== undefined && o[m] !== null);
  if (set.length > 1) throw bad(field, `set only one of ${members.join(', ')} (got ${set.join(', ')})`);
  return set[0];
}

/** A filter literal: a proto Value, or in files a plain JSON number, string or boolean. */
function literal(raw: unknown, field: string): Value__Output | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === 'number') return { float_value: raw, kind: 'float_value' };
  if (typeof raw === 'string') return { string_value: raw, kind: 'string_value' };
  if (typeof raw === 'boolean') return { bool_value: raw, kind: 'bool_value' };
  const o = obj(raw, field);
  onlyKeys(o, ['float_value', 'int64_value', 'string_value', 'bool_value'], field);
  const m = oneofMember(o, ['float_value', 'int64_value', 'string_value', 'bool_value'], field);
  switch (m) {
    case undefined:
      return null;
    case 'float_value': {
      const x = Number(o[m]);
      if (!Number.isFinite(x)) throw bad(`${field}.float_value`, 'must be a finite number');
      return { float_value: x, kind: m };
    }
    case 'int64_value': {
      const s = String(o[m]);
      if (!/^-?\d+$/.test(s)) throw bad(`${field}.int64_value`, 'must be an integer');
      return { int64_value: BigInt(s).toString(), kind: m };
    }
    case 'string_value':
      return { string_value: String(o[m]), kind: m };
    default:
      return { bool_value: Boolean(o[m]), kind: 'bool_value' };
  }
}

/**
 * A source with its timestamp format. ISO_8601 (the default) is left out, so definitions written
 * before the field existed keep their content hash, and an explicit ISO_8601 hashes the same as
 * none; readers treat a missing format as ISO_8601.
 */
function withFormat<S extends Omit<Source__Output, 'timestamp_format'>>(source: S, format: TimestampFormatName): Source__Output {
  // The generated type requires the field; leaving it out is the point (see above).
  return (format === 'ISO_8601' ? source : { ...source, timestamp_format: format }) as unknown as Source__Output;
}

function normalizeSource(raw: unknown, field: string): Source__Output {
  const o = obj(raw, field);
  onlyKeys(o, ['entity_column', 'timestamp_column', 'timestamp_format', 'push', 'file', 'sql'], field);
  const kind = oneofMember(o, ['push', 'file', 'sql'], field);
  const entity_column = str(o, 'entity_column', field, { default: 'entity_id', pattern: COLUMN_PATTERN });
  const timestamp_column = str(o, 'timestamp_column', field, { default: 'ts', pattern: COLUMN_PATTERN });
  const format = enumName(o, 'timestamp_format', field, TIMESTAMP_FORMATS, 'ISO_8601');
  switch (kind) {
    case undefined:
      throw bad(field, 'set one of push, file, sql');
    case 'push':
      onlyKeys(obj(o['push'], `${field}.push`), [], `${field}.push`);
      if (format !== 'ISO_8601') throw bad(`${field}.timestamp_format`, 'is not used by a push source (event times are epoch ms on the wire)');
      return withFormat({ entity_column: '', timestamp_column: '', push: {}, kind }, 'ISO_8601');
    case 'file': {
      const f = obj(o['file'], `${field}.file`);
      onlyKeys(f, ['path', 'format'], `${field}.file`);
      const path = str(f, 'path', `${field}.file`);
      const byExt = /\.csv$/i.test(path) ? 'CSV' : /\.(ndjson|jsonl)$/i.test(path) ? 'NDJSON' : undefined;
      const fileFormat = enumName(f, 'format', `${field}.file`, ['CSV', 'NDJSON'] as const, byExt);
      return withFormat({ entity_column, timestamp_column, file: { path, format: fileFormat }, kind }, format);
    }
    default: {
      const s = obj(o['sql'], `${field}.sql`);
      onlyKeys(s, ['engine', 'connection', 'query'], `${field}.sql`);
      const engine = enumName(s, 'engine', `${field}.sql`, ['SQLITE', 'POSTGRES'] as const);
      const connection = str(s, 'connection', `${field}.sql`);
      if (engine === 'POSTGRES' && !/^postgres(ql)?:\/\//.test(connection)) throw bad(`${field}.sql.connection`, 'must be a postgres:// URL');
      // Definitions are returned by GetFeature/ListFeatures and kept forever: no secrets in them.
      if (engine === 'POSTGRES') {
        let password = '';
        try {
          password = new URL(connection).password;
        } catch {
          throw bad(`${field}.sql.connection`, 'is not a valid URL');
        }
        if (password !== '') throw bad(`${field}.sql.connection`, 'must not hold a password (definitions are stored and returned as they are): give it to the service in PGPASSWORD or ~/.pgpass');
      }
      return withFormat({ entity_column, timestamp_column, sql: { engine, connection, query: str(s, 'query', `${field}.sql`) }, kind: 'sql' }, format);
    }
  }
}

function normalizeTransform(raw: unknown, field: string): Transform__Output {
  const o = obj(raw, field);
  onlyKeys(o, ['filter', 'map', 'window'], field);
  const kind = oneofMember(o, ['filter', 'map', 'window'], field);
  switch (kind) {
    case undefined:
      throw bad(field, 'set one of filter, map, window');
    case 'filter': {
      const f = obj(o['filter'], `${field}.filter`);
      onlyKeys(f, ['column', 'op', 'value'], `${field}.filter`);
      const op = enumName(f, 'op', `${field}.filter`, COMPARE_OPS);
      const value = literal(f['value'], `${field}.filter.value`);
      const nullary = op === 'IS_NULL' || op === 'NOT_NULL';
      if (nullary && value) throw bad(`${field}.filter.value`, `must be unset for ${op}`);
      if (!nullary && !value) throw bad(`${field}.filter.value`, `is required for ${op}`);
      return { filter: { column: str(f, 'column', `${field}.filter`, { pattern: COLUMN_PATTERN }), op, value }, kind };
    }
    case 'map': {
      const m = obj(o['map'], `${field}.map`);
      onlyKeys(m, ['column', 'op', 'operand', 'output'], `${field}.map`);
      const op = enumName(m, 'op', `${field}.map`, MAP_OPS);
      const operand = m['operand'] === undefined || m['operand'] === null ? 0 : Number(m['operand']);
      if (!Number.isFinite(operand)) throw bad(`${field}.map.operand`, 'must be a finite number');
      if (op === 'DIVIDE' && operand === 0) throw bad(`${field}.map.operand`, 'must not be 0 for DIVIDE');
      if (op === 'ROUND' && (!Number.isInteger(operand) || operand < 0 || operand > 15)) throw bad(`${field}.map.operand`, 'must be an integer 0..15 for ROUND');
      const column = str(m, 'column', `${field}.map`, { pattern: COLUMN_PATTERN });
      return { map: { column, op, operand, output: str(m, 'output', `${field}.map`, { default: column, pattern: COLUMN_PATTERN }) }, kind };
    }
    default: {
      const w = obj(o['window'], `${field}.window`);
      onlyKeys(w, ['column', 'aggregation', 'window_ms', 'output'], `${field}.window`);
      const column = str(w, 'column', `${field}.window`, { pattern: COLUMN_PATTERN });
      return {
        window: {
          column,
          aggregation: enumName(w, 'aggregation', `${field}.window`, AGGREGATIONS),
          window_ms: String(int(w, 'window_ms', `${field}.window`, 1)),
          output: str(w, 'output', `${field}.window`, { default: column, pattern: COLUMN_PATTERN }),
        },
        kind: 'window',
      };
    }
  }
}

/**
 * Validates a definition (from a JSON/YAML file or a RegisterFeature request) and returns it
 * normalized: defaults filled in, enum names upper-case, `max_age_ms`/`window_ms` as decimal
 * strings, file formats from the extension when unset.
 * @throws InvalidArgumentError naming the field (`definition.source.file.path: is required`).
 */
export function normalizeDefinition(raw: unknown, field = 'definition'): FeatureDefinition {
  const o = obj(raw, field);
  onlyKeys(o, ['name', 'version', 'entity', 'value_type', 'description', 'owner', 'max_age_ms', 'source', 'transforms', 'value_column'], field);
  const name = str(o, 'name', field, { pattern: FEATURE_NAME_PATTERN });
  const version = int(o, 'version', field, 1);
  if (version > 999_999_999) throw bad(`${field}.version`, 'must be < 1e9');
  if (o['source'] === undefined || o['source'] === null) throw bad(`${field}.source`, 'is required (push, file or sql)');
  const source = normalizeSource(o['source'], `${field}.source`);
  const rawTransforms = o['transforms'] ?? [];
  if (!Array.isArray(rawTransforms)) throw bad(`${field}.transforms`, 'must be a list');
  const transforms = rawTransforms.map((t, i) => normalizeTransform(t, `${field}.transforms[${i}]`));
  const push = source.kind === 'push';
  if (push && transforms.length > 0) throw bad(`${field}.transforms`, 'must be empty for a push source (values are written as they are)');
  return {
    name,
    version,
    entity: str(o, 'entity', field, { pattern: ENTITY_PATTERN }),
    value_type: enumName(o, 'value_type', field, VALUE_TYPES),
    description: str(o, 'description', field, { default: '' }),
    owner: str(o, 'owner', field, { default: '' }),
    max_age_ms: String(int(o, 'max_age_ms', field, 0, 0)),
    source,
    transforms,
    value_column: push ? '' : str(o, 'value_column', field, { default: 'value', pattern: COLUMN_PATTERN }),
  };
}

/**
 * Validates a feature service (name + refs).
 * @throws InvalidArgumentError naming the field; duplicate refs are refused.
 */
export function normalizeFeatureService(raw: unknown, field = 'service'): FeatureServiceDefinition {
  const o = obj(raw, field);
  onlyKeys(o, ['name', 'features', 'description'], field);
  const features = o['features'];
  if (!Array.isArray(features) || features.length === 0) throw bad(`${field}.features`, 'must be a non-empty list of refs name@version');
  const refs = features.map((f, i) => parseRef(f, `${field}.features[${i}]`).ref);
  const dup = refs.findIndex((r, i) => refs.indexOf(r) !== i);
  if (dup >= 0) throw bad(`${field}.features[${dup}]`, `${refs[dup]} is listed twice`);
  return { name: str(o, 'name', field, { pattern: SERVICE_NAME_PATTERN }), features: refs, description: str(o, 'description', field, { default: '' }) };
}

/** JSON with object keys sorted at every level and proto-loader's oneof names dropped. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Obj)
      .filter(([k, v]) => v !== undefined && k !== 'kind')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (hex) of the canonical JSON of a normalized definition: its identity. */
export function contentHash(normalized: unknown): string {
  return createHash('sha256').update(canonicalJson(normalized)).digest('hex');
}

/**
 * How far before a materialization's start the source must be read: the sum of the windows
 * (a window after another needs both look-backs).
 */
export function lookbackMs(def: FeatureDefinition): number {
  return def.transforms.reduce((sum, t) => sum + (t.window ? Number(t.window.window_ms) : 0), 0);
}
