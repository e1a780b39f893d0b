/**
 * Input decoding: typed records (the gRPC API) or CSV rows (training, the CLI) become a
 * {@link Table} of the schema's columns, each value checked against the schema. Every failure
 * becomes a row error; the bad value is stored as missing so the batch can go on.
 */
import type { Record__Output } from '../../shared/generated/mlmesh/preprocess/v1/Record.js';
import type { Value__Output } from '../../shared/generated/mlmesh/preprocess/v1/Value.js';
import type { ColumnSchema, InputSchema } from './schema.js';
import { parseDecimal } from './step-columns.js';
import { memo } from './step-kind.js';
import { Table, numColumn, strColumn } from './table.js';
import type { Column, RowErrors, RowIssue } from './table.js';

/** Writes decoded values into the columns and checks them against the schema. */
/** Per-schema lookups, built once: column index by name, and the accepted range per column. */
interface SchemaIndex {
  readonly index: Map<string, number>;
  readonly lo: Float64Array;
  readonly hi: Float64Array;
}

const INDEXES = new WeakMap<InputSchema, SchemaIndex>();

function indexOf(schema: InputSchema): SchemaIndex {
  return memo(INDEXES, schema, (s) => {
    const tol = s.range_tolerance;
    return {
      index: new Map(s.columns.map((c, i) => [c.name, i])),
      lo: Float64Array.from(s.columns, (c) => (c.min !== undefined && c.max !== undefined ? c.min - tol * (c.max - c.min) : -Infinity)),
      hi: Float64Array.from(s.columns, (c) => (c.min !== undefined && c.max !== undefined ? c.max + tol * (c.max - c.min) : Infinity)),
    };
  });
}

class ColumnWriter {
  readonly cols: Column[];
  private readonly lo: Float64Array;
  private readonly hi: Float64Array;
  /** Cells (row · columns + column) refused already, so they are not reported again as missing. */
  private readonly refused = new Set<number>();
  /** Rows skipped whole (malformed CSV rows): nothing in them is checked or reported. */
  private readonly skipped = new Set<number>();

  constructor(
    private readonly schema: InputSchema,
    readonly rows: number,
    private readonly errors: RowErrors,
  ) {
    this.cols = schema.columns.map((c) => (c.type === 'number' ? numColumn(new Float64Array(rows).fill(NaN)) : strColumn(new Array<string | null>(rows).fill(null))));
    ({ lo: this.lo, hi: this.hi } = indexOf(schema));
  }

  number(row: number, c: number, v: number): void {
    const col = this.schema.columns[c] as ColumnSchema;
    if (!Number.isFinite(v)) return this.refuse(row, c, 'NOT_FINITE', `'${col.name}': ${v} is not a finite number`);
    if (this.schema.enforce_range && col.used && (v < (this.lo[c] as number) || v > (this.hi[c] as number))) {
      return this.refuse(row, c, 'OUT_OF_RANGE', `'${col.name}': ${v} is outside the range seen in training [${col.min}, ${col.max}]`);
    }
    ((this.cols[c] as Column).values as Float64Array)[row] = v;
  }

  string(row: number, c: number, v: string): void {
    ((this.cols[c] as Column).values as (string | null)[])[row] = v;
  }

  wrongType(row: number, c: number, got: string): void {
    const col = this.schema.columns[c] as ColumnSchema;
    this.refuse(row, c, 'WRONG_TYPE', `'${col.name}': expected a ${col.type}, got ${got}`);
  }

  private refuse(row: number, c: number, code: RowIssue['code'], message: string): void {
    this.refused.add(row * this.cols.length + c);
    this.errors.input(row, (this.schema.columns[c] as ColumnSchema).name, code, message);
  }

  /** Skips a row whole: it is refused, for a reason the caller reports. */
  skipRow(row: number): void {
    this.skipped.add(row);
    this.errors.exclude(row);
  }

  /** After all values are in: required columns must have one. */
  finish(): Table {
    this.schema.columns.forEach((col, c) => {
      if (!col.required) return;
      const column = this.cols[c] as Column;
      for (let r = 0; r < this.rows; r++) {
        const missing = column.kind === 'num' ? Number.isNaN(column.values[r]) : column.values[r] === null;
        if (missing && !this.refused.has(r * this.cols.length + c) && !this.skipped.has(r)) this.errors.input(r, col.name, 'MISSING_REQUIRED', `'${col.name}' is required`);
      }
    });
    return new Table(this.rows, this.schema.columns.map((col, c) => [col.name, this.cols[c] as Column] as const));
  }
}

function describe(v: Value__Output): string {
  switch (v.kind) {
    case 'double_value':
      return `the double ${v.double_value}`;
    case 'int64_value':
      return `the int64 ${v.int64_value}`;
    case 'string_value':
      return `the string ${JSON.stringify(v.string_value)}`;
    case 'bool_value':
      return `the bool ${v.bool_value}`;
    default:
      return 'null';
  }
}

/**
 * Typed records → table. Number columns take double, int64 and bool (1/0); string columns take
 * string and int64 (its decimal form). Absent and null are missing, and so are the values the
 * CSV path treats as missing, so offline and online agree on the same data: a string equal to
 * one of `missingValues` (the artifact's `csv.missing_values`: "", "NA", "NaN"…) and a double
 * NaN. A column not in the schema is UNKNOWN_COLUMN unless the schema ignores unknown columns;
 * a column the pipeline does not use (`used: false`) is accepted whatever it holds.
 */
export function recordsToTable(schema: InputSchema, records: readonly Record__Output[], missingValues: ReadonlySet<string>, errors: RowErrors): Table {
  const w = new ColumnWriter(schema, records.length, errors);
  const { index } = indexOf(schema);
  records.forEach((rec, r) => {
    const fields = rec.fields ?? {};
    // for…in rather than Object.entries: no pair arrays per field (this loop is the hot path).
    for (const name in fields) {
      const v = fields[name] as Value__Output;
      const c = index.get(name);
      if (c === undefined) {
        if (schema.unknown_columns === 'error') errors.input(r, name, 'UNKNOWN_COLUMN', `'${name}' is not a column of this pipeline`);
        continue;
      }
      const col = schema.columns[c] as ColumnSchema;
      if (!col.used) continue; // dropped before any step reads it: accepted, not looked at
      const type = col.type;
      switch (v.kind) {
        case 'double_value':
          if (Number.isNaN(v.double_value)) break; // missing, as a CSV "NaN"
          if (type === 'number') w.number(r, c, v.double_value as number);
          else w.wrongType(r, c, describe(v));
          break;
        case 'int64_value':
          if (type === 'number') w.number(r, c, Number(v.int64_value));
          else w.string(r, c, String(v.int64_value));
          break;
        case 'bool_value':
          if (type === 'number') w.number(r, c, v.bool_value ? 1 : 0);
          else w.wrongType(r, c, describe(v));
          break;
        case 'string_value':
          if (missingValues.has(v.string_value as string)) break; // missing, as in a CSV
          if (type === 'string') w.string(r, c, v.string_value as string);
          else w.wrongType(r, c, describe(v));
          break;
        default:
          break; // null or no value set: missing
      }
    }
  });
  return w.finish();
}

/**
 * CSV rows → table. A field equal to one of `missingValues` is missing; a number column's
 * field must parse as a decimal number (WRONG_TYPE otherwise, NOT_FINITE for infinities); a
 * column the pipeline does not use (`used: false`) is accepted whatever it holds.
 * Header columns not in the schema are UNKNOWN_COLUMN on every row unless ignored; schema
 * columns absent from the header are missing. A row whose field count is not the header's is
 * skipped and refused; reporting it (MALFORMED_ROW) is the caller's.
 */
export function csvRowsToTable(schema: InputSchema, header: readonly string[], rows: readonly (readonly string[])[], missingValues: ReadonlySet<string>, errors: RowErrors): Table {
  const w = new ColumnWriter(schema, rows.length, errors);
  const { index } = indexOf(schema);
  const fieldCol = header.map((h) => index.get(h));
  const unknown = header.filter((h) => !index.has(h));
  rows.forEach((row, r) => {
    if (row.length !== header.length) return w.skipRow(r);
    if (schema.unknown_columns === 'error') for (const u of unknown) errors.input(r, u, 'UNKNOWN_COLUMN', `'${u}' is not a column of this pipeline`);
    row.forEach((field, f) => {
      const c = fieldCol[f];
      if (c === undefined || missingValues.has(field)) return;
      const col = schema.columns[c] as ColumnSchema;
      if (!col.used) return; // dropped before any step reads it: accepted, not looked at
      if (col.type === 'string') return w.string(r, c, field);
      const n = parseDecimal(field);
      if (Number.isNaN(n)) w.wrongType(r, c, `the text ${JSON.stringify(field)}`);
      else w.number(r, c, n);
    });
  });
  return w.finish();
}
