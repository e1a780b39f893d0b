/**
 * Rows in, records out: a request row's fields checked against the deployment (entity keys,
 * request-time fields and their types), the features read for it joined in, and the
 * preprocess row errors of its record turned into the gateway's codes and fields.
 */
import type { RowError } from '../../shared/generated/mlmesh/gateway/v1/RowError.js';
import type { Row__Output } from '../../shared/generated/mlmesh/gateway/v1/Row.js';
import type { Value__Output } from '../../shared/generated/mlmesh/gateway/v1/Value.js';
import type { Value__Output as FeatureValue } from '../../shared/generated/mlmesh/features/v1/Value.js';
import type { Value as PValue } from '../../shared/generated/mlmesh/preprocess/v1/Value.js';
import type { RowError__Output as PRowError } from '../../shared/generated/mlmesh/preprocess/v1/RowError.js';
import { clip } from '../../shared/errors/index.js';
import type { Binding } from './binding.js';
import type { FieldType } from './spec.js';

/** Longest entity id passed to the feature store (its own limit). */
const MAX_ENTITY_ID = 256;

/** The gateway's row error codes (mlmesh.gateway.v1.RowErrorCode). */
export type RowCode = 'ENTITY_MISSING' | 'FEATURE_MISSING' | 'FEATURE_TOO_OLD' | 'MISSING_FIELD' | 'INVALID_VALUE' | 'UNKNOWN_CATEGORY' | 'UNKNOWN_FIELD';

/** A feature's status as the store answered it. */
export type FeatureStatus = 'PRESENT' | 'NOT_FOUND' | 'NULL_VALUE' | 'OUTSIDE_MAX_AGE' | 'FEATURE_STATUS_UNSPECIFIED';

/** One row on its way: its errors so far, its entity ids per group, its record. */
export interface RowState {
  readonly errors: RowError[];
  /** Entity id per feature group ('' when missing). */
  readonly entities: string[];
  /** Pipeline column → value. */
  readonly record: Record<string, PValue>;
  /** Pipeline column → the status of the feature that filled it, when not PRESENT. */
  readonly missing: Map<string, FeatureStatus>;
}

function err(row: number, code: RowCode, field: string, message: string): RowError {
  return { row, code, field, message };
}

function describe(v: Value__Output): string {
  switch (v.kind) {
    case 'double_value':
      return `double ${v.double_value}`;
    case 'int64_value':
      return `int64 ${v.int64_value}`;
    case 'string_value':
      return `string ${clip(JSON.stringify(v.string_value), 60)}`;
    case 'bool_value':
      return `bool ${v.bool_value}`;
    default:
      return 'null';
  }
}

/** A request value as the type the deployment declares, or the reason it is not one. */
function typed(v: Value__Output, type: FieldType): PValue | string {
  switch (type) {
    case 'double':
      if (v.kind === 'double_value') return Number.isFinite(v.double_value) ? { double_value: v.double_value as number } : `${describe(v)} is not finite`;
      if (v.kind === 'int64_value') return { double_value: Number(v.int64_value) };
      break;
    case 'int64':
      if (v.kind === 'int64_value') return { int64_value: v.int64_value as string };
      if (v.kind === 'double_value' && Number.isSafeInteger(v.double_value)) return { int64_value: String(v.double_value) };
      break;
    case 'string':
      if (v.kind === 'string_value') return { string_value: v.string_value as string };
      break;
    case 'bool':
      if (v.kind === 'bool_value') return { bool_value: v.bool_value as boolean };
      break;
  }
  return `expected ${type}, got ${describe(v)}`;
}

function isNull(v: Value__Output | undefined): boolean {
  return v === undefined || v.kind === undefined || v.kind === 'null_value';
}

/** Checks one request row against the binding: unknown fields, entity keys, request fields. */
export function readRow(b: Binding, row: Row__Output, index: number): RowState {
  const state: RowState = { errors: [], entities: [], record: {}, missing: new Map() };
  const fields = row.fields;
  const known = new Set(b.fields);
  for (const name of Object.keys(fields)) {
    if (!known.has(name)) state.errors.push(err(index, 'UNKNOWN_FIELD', name, `'${clip(name, 60)}' is not a field of deployment '${b.spec.name}' (fields: ${clip(b.fields.join(', '), 300)})`));
  }
  const reported = new Set<string>();
  for (const g of b.groups) {
    const name = g.spec.entity;
    const v = fields[name];
    let id = '';
    if (v?.kind === 'string_value') id = v.string_value ?? '';
    else if (v?.kind === 'int64_value') id = String(v.int64_value);
    else if (!isNull(v)) {
      if (!reported.has(name)) state.errors.push(err(index, 'INVALID_VALUE', name, `entity field '${name}' must be a string or an integer, got ${describe(v as Value__Output)}`));
      reported.add(name);
      state.entities.push('');
      continue;
    }
    if (id === '' && !reported.has(name)) state.errors.push(err(index, 'ENTITY_MISSING', name, `entity field '${name}' is ${v === undefined ? 'absent' : 'empty'}`));
    // eslint-disable-next-line no-control-regex
    else if ((id.length > MAX_ENTITY_ID || /[\u0000-\u001f\u007f]/.test(id)) && !reported.has(name)) {
      state.errors.push(err(index, 'INVALID_VALUE', name, `entity field '${name}': an entity id is at most ${MAX_ENTITY_ID} characters without control characters`));
      id = '';
    }
    reported.add(name);
    state.entities.push(id);
  }
  for (const f of b.spec.requestFields) {
    const v = fields[f.name];
    if (isNull(v)) {
      if (f.required) state.errors.push(err(index, 'MISSING_FIELD', f.name, `request field '${f.name}' (${f.type}) is required`));
      else state.record[f.column] = { null_value: 'NULL_VALUE' };
      continue;
    }
    const t = typed(v as Value__Output, f.type);
    if (typeof t === 'string') state.errors.push(err(index, 'INVALID_VALUE', f.name, `request field '${f.name}': ${t}`));
    else state.record[f.column] = t;
  }
  return state;
}

/** A feature store value as a preprocess value. */
export function featureValue(v: FeatureValue | null | undefined): PValue {
  switch (v?.kind) {
    case 'float_value':
      return { double_value: Number(v.float_value) };
    case 'int64_value':
      return { int64_value: String(v.int64_value) };
    case 'string_value':
      return { string_value: v.string_value ?? '' };
    case 'bool_value':
      return { bool_value: v.bool_value ?? false };
    default:
      return { null_value: 'NULL_VALUE' };
  }
}

/** Joins one feature's answer into a row (or gives the row its error, with on_missing: error). */
export function joinFeature(b: Binding, s: RowState, index: number, group: number, featureIndex: number, status: FeatureStatus, value: FeatureValue | null | undefined): void {
  const g = b.groups[group];
  if (!g) return;
  const column = g.columns[featureIndex] as string;
  const ref = g.refs[featureIndex] as string;
  if (status === 'PRESENT') {
    s.record[column] = featureValue(value);
    return;
  }
  if (g.spec.onMissing === 'error') {
    s.errors.push(featureError(index, ref, status, s.entities[group] ?? ''));
    return;
  }
  s.record[column] = { null_value: 'NULL_VALUE' };
  s.missing.set(column, status);
}

function featureError(index: number, ref: string, status: FeatureStatus, entity: string): RowError {
  const what = status === 'OUTSIDE_MAX_AGE' ? 'is older than its max age' : status === 'NULL_VALUE' ? 'is null' : 'has no value';
  return err(index, status === 'OUTSIDE_MAX_AGE' ? 'FEATURE_TOO_OLD' : 'FEATURE_MISSING', ref, `feature ${ref} of entity '${clip(entity, 60)}' ${what}`);
}

/** A preprocess row error of a row's record, in the gateway's terms (field = request field or feature ref). */
export function mapPipelineError(b: Binding, s: RowState, index: number, e: PRowError): RowError {
  const source = b.sources.get(e.column);
  const field = source === undefined ? e.column : source.kind === 'feature' ? source.ref : source.field.name;
  const msg = `${field}: ${e.message}`;
  switch (e.code) {
    case 'MISSING_REQUIRED': {
      if (source?.kind === 'feature') return featureError(index, source.ref, s.missing.get(e.column) ?? 'NOT_FOUND', s.entities[source.group] ?? '');
      return err(index, 'MISSING_FIELD', field, `request field '${field}' is required by the pipeline`);
    }
    case 'UNKNOWN_CATEGORY':
      return err(index, 'UNKNOWN_CATEGORY', field, msg);
    case 'UNKNOWN_COLUMN':
      return err(index, 'UNKNOWN_FIELD', field, msg);
    default:
      return err(index, 'INVALID_VALUE', field, `${msg} (${e.code})`);
  }
}
