/**
 * Feature values in their three forms: the proto `Value` on the wire, a plain JS value inside
 * the service (FLOAT number, INT64 decimal string, STRING, BOOL, FLOAT_VECTOR number[] of
 * float32 values, or null), and the JSON text the stores keep.
 */
import { InvalidArgumentError } from '../../shared/errors/index.js';
import type { Value, Value__Output } from '../../shared/generated/mlmesh/features/v1/Value.js';
import { CoercionError } from './errors.js';

/** The value types a feature can hold (proto `ValueType` names). */
export const VALUE_TYPES = ['FLOAT', 'INT64', 'STRING', 'BOOL', 'FLOAT_VECTOR'] as const;

/** One of {@link VALUE_TYPES}. */
export type ValueTypeName = (typeof VALUE_TYPES)[number];

/** A value inside the service; INT64 is a canonical decimal string so no precision is lost. */
export type PlainValue = number | string | boolean | number[] | null;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** True for a name of {@link VALUE_TYPES}. */
export function isValueType(v: unknown): v is ValueTypeName {
  return typeof v === 'string' && (VALUE_TYPES as readonly string[]).includes(v);
}

/** A plain value as a proto `Value` of `type` (null: no member set). */
export function toProtoValue(v: PlainValue, type: ValueTypeName): Value {
  if (v === null) return {};
  switch (type) {
    case 'FLOAT':
      return { float_value: v as number };
    case 'INT64':
      return { int64_value: v as string };
    case 'STRING':
      return { string_value: v as string };
    case 'BOOL':
      return { bool_value: v as boolean };
    case 'FLOAT_VECTOR':
      return { float_vector_value: { values: v as number[] } };
  }
}

/** The proto member that carries each type. */
const MEMBER: Record<ValueTypeName, NonNullable<Value__Output['kind']>> = {
  FLOAT: 'float_value',
  INT64: 'int64_value',
  STRING: 'string_value',
  BOOL: 'bool_value',
  FLOAT_VECTOR: 'float_vector_value',
};

/**
 * A proto `Value` received from a client as a plain value of `type`.
 * @throws InvalidArgumentError naming `field` when the member set is not the one of `type`,
 *   or a float is not finite.
 */
export function fromProtoValue(v: Value__Output | null | undefined, type: ValueTypeName, field: string, what: string): PlainValue {
  const kind = v?.kind;
  if (!v || kind === undefined) return null;
  if (kind !== MEMBER[type]) throw new InvalidArgumentError(`${field}: ${what} holds ${type}, got ${kind}`, { field });
  switch (kind) {
    case 'float_value': {
      const x = Number(v.float_value);
      if (!Number.isFinite(x)) throw new InvalidArgumentError(`${field}: must be a finite number, got ${String(v.float_value)}`, { field });
      return x;
    }
    case 'int64_value':
      return BigInt(v.int64_value ?? '0').toString();
    case 'string_value':
      return v.string_value ?? '';
    case 'bool_value':
      return v.bool_value ?? false;
    case 'float_vector_value': {
      const values = (v.float_vector_value?.values ?? []).map(Number);
      const bad = values.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw new InvalidArgumentError(`${field}.float_vector_value.values[${bad}]: must be a finite number`, { field });
      return values.map(Math.fround);
    }
  }
}

function toInt64(raw: unknown): string {
  let b: bigint;
  if (typeof raw === 'bigint') b = raw;
  else if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) throw new CoercionError(`${raw} is not an integer`);
    b = BigInt(raw);
  } else if (typeof raw === 'string' && /^\s*[-+]?\d+\s*$/.test(raw)) b = BigInt(raw.trim());
  else throw new CoercionError(`${JSON.stringify(raw)} is not an integer`);
  if (b < INT64_MIN || b > INT64_MAX) throw new CoercionError(`${b} is outside the int64 range`);
  return b.toString();
}

function toFloat(raw: unknown): number {
  const x = typeof raw === 'number' ? raw : typeof raw === 'bigint' ? Number(raw) : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(x)) throw new CoercionError(`${JSON.stringify(typeof raw === 'bigint' ? raw.toString() : raw)} is not a finite number`);
  return x;
}

/**
 * A value from a source or a transformer (CSV text, JSON, SQL) as a plain value of `type`:
 * numbers and numeric text for FLOAT/INT64, true/false/1/0 for BOOL, an array or JSON array
 * text for FLOAT_VECTOR; null, undefined and the empty string are null (except for STRING,
 * where only null and undefined are).
 * @throws CoercionError when it cannot.
 */
export function coerceValue(raw: unknown, type: ValueTypeName): PlainValue {
  if (raw === null || raw === undefined) return null;
  if (raw === '' && type !== 'STRING') return null;
  switch (type) {
    case 'FLOAT':
      return toFloat(raw);
    case 'INT64':
      return toInt64(raw);
    case 'STRING':
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'bigint' && typeof raw !== 'boolean') throw new CoercionError(`${JSON.stringify(raw)} is not a string`);
      return String(raw);
    case 'BOOL': {
      if (typeof raw === 'boolean') return raw;
      // Anything but text and numbers (an object, a list) is no boolean.
      const s = typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'bigint' ? String(raw).trim().toLowerCase() : '';
      if (s === 'true' || s === '1') return true;
      if (s === 'false' || s === '0') return false;
      throw new CoercionError(`${JSON.stringify(raw)} is not a boolean`);
    }
    case 'FLOAT_VECTOR': {
      let arr: unknown = raw;
      if (typeof raw === 'string') {
        try {
          arr = JSON.parse(raw);
        } catch {
          throw new CoercionError(`${JSON.stringify(raw)} is not a JSON array of numbers`);
        }
      }
      if (!Array.isArray(arr)) throw new CoercionError(`${JSON.stringify(raw)} is not an array of numbers`);
      return arr.map((x) => Math.fround(toFloat(x)));
    }
  }
}

/** The JSON text a store keeps for a plain value (null for null). */
export function encodeStored(v: PlainValue): string | null {
  return v === null ? null : JSON.stringify(v);
}

/** A stored JSON text as a proto `Value` of `type`. */
export function storedToProto(json: string | null, type: ValueTypeName): Value {
  return json === null ? {} : toProtoValue(JSON.parse(json) as PlainValue, type);
}
