import { FitError, SpecError } from './errors.js';
import type { ColumnKind, Layout, RowErrors, Table } from './table.js';
import { ValueCollector } from './stats.js';

/** A step of a spec as written: an object with `type` and the step's parameters. */
export type SpecObject = Readonly<Record<string, unknown>>;

/** Fitted parameters of a step, stored in the artifact as plain JSON. */
export interface StepParams {
  readonly type: string;
}

/**
 * Accumulates what a step needs from the training data over one pass (streamed in chunks),
 * then yields its fitted parameters.
 */
export interface Fitter<P extends StepParams> {
  /** False for stateless steps (select, log…): they are fitted without reading data. */
  readonly needsData: boolean;
  /** Feeds one chunk, as transformed by the steps before this one. `firstRow`: data row index of its first row. */
  update(table: Table, firstRow: number): void;
  /**
   * The fitted parameters.
   * @throws FitError when the data does not allow a fit (no values to average…).
   */
  finish(): P;
}

/** How a step treats missing values in the columns it reads (for the inferred schema). */
export type NullHandling = 'fills' | 'passes' | 'rejects';

/**
 * One step type: how its spec is validated, which columns it reads and writes, how it is fitted
 * (streaming), how it changes the table's layout and how it transforms a batch. Training (fit
 * passes, CLI transform) and serving run the same `apply`.
 */
export interface StepKind<S = unknown, P extends StepParams = StepParams> {
  readonly type: string;
  /** What missing values in its input columns do: filled (impute), passed on, or refused. */
  readonly nulls: NullHandling;
  /**
   * Validates the step's spec.
   * @throws SpecError naming the field (`steps[2].strategy`).
   */
  parse(raw: SpecObject, at: string): S;
  /** Columns the step reads. */
  reads(spec: S): readonly string[];
  /** Columns the step creates, changes or removes (a superset is fine): for grouping fit passes. */
  writes(spec: S): readonly string[];
  /**
   * Starts fitting on a table with `layout` (the output of the steps before).
   * @throws FitError naming the step and column when a column is missing or of the wrong kind.
   */
  begin(spec: S, layout: Layout, at: string): Fitter<P>;
  /** The layout after the step. */
  layout(params: P, before: Layout): Layout;
  /** Transforms a batch in place; rows the step cannot take are reported to `errors`. */
  apply(params: P, table: Table, errors: RowErrors): void;
}

/** Refuses keys a step does not know (a typo would otherwise be silently ignored). */
export function checkKeys(raw: SpecObject, at: string, allowed: readonly string[]): void {
  for (const k of Object.keys(raw)) {
    if (k !== 'type' && !allowed.includes(k)) throw new SpecError(`${at}.${k}`, `unknown parameter (known: ${allowed.join(', ')})`);
  }
}

/** A non-empty list of distinct non-empty strings. */
export function stringList(raw: unknown, field: string): string[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new SpecError(field, 'must be a non-empty list of column names');
  const seen = new Set<string>();
  return raw.map((v, i) => {
    if (typeof v !== 'string' || v === '') throw new SpecError(`${field}[${i}]`, 'must be a non-empty string');
    if (seen.has(v)) throw new SpecError(`${field}[${i}]`, `'${v}' is listed twice`);
    seen.add(v);
    return v;
  });
}

/** A non-empty string. */
export function stringParam(raw: unknown, field: string): string {
  if (typeof raw !== 'string' || raw === '') throw new SpecError(field, 'must be a non-empty string');
  return raw;
}

/** A finite number within [min, max] (or its default when absent). */
export function numberParam(raw: unknown, field: string, o: { def?: number; min?: number; max?: number; integer?: boolean } = {}): number {
  if (raw === undefined && o.def !== undefined) return o.def;
  if (typeof raw !== 'number' || !Number.isFinite(raw)) throw new SpecError(field, `must be a number, got ${JSON.stringify(raw)}`);
  if (o.integer && !Number.isInteger(raw)) throw new SpecError(field, `must be an integer, got ${raw}`);
  if (o.min !== undefined && raw < o.min) throw new SpecError(field, `must be >= ${o.min}, got ${raw}`);
  if (o.max !== undefined && raw > o.max) throw new SpecError(field, `must be <= ${o.max}, got ${raw}`);
  return raw;
}

/** A boolean (or its default when absent). */
export function boolParam(raw: unknown, field: string, def: boolean): boolean {
  if (raw === undefined) return def;
  if (typeof raw !== 'boolean') throw new SpecError(field, `must be true or false, got ${JSON.stringify(raw)}`);
  return raw;
}

/** One of a fixed set of strings (or its default when absent). */
export function enumParam<const V extends string>(raw: unknown, field: string, values: readonly V[], def?: V): V {
  if (raw === undefined && def !== undefined) return def;
  if (typeof raw === 'string' && (values as readonly string[]).includes(raw)) return raw as V;
  throw new SpecError(field, `must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
}

/**
 * Checks that every column exists in `layout` with the kind the step needs.
 * @throws FitError naming the step and the column.
 */
export function requireColumns(layout: Layout, columns: readonly string[], at: string, kind?: ColumnKind): void {
  for (const c of columns) {
    const col = layout.find((l) => l.name === c);
    if (!col) throw new FitError(at, c, `not in the data at this step (columns here: ${layout.map((l) => l.name).join(', ')})`);
    if (kind === 'num' && col.kind !== 'num') throw new FitError(at, c, 'is categorical: this step needs a numeric column (encode or cast it first)');
    if (kind === 'str' && col.kind !== 'str') throw new FitError(at, c, 'is numeric: this step needs a categorical column (cast it to string first)');
  }
}

/** Throws a FitError for the first missing value among `columns` of a training chunk. */
export function refuseMissing(table: Table, columns: readonly string[], firstRow: number, at: string): void {
  for (const c of columns) {
    const col = table.get(c);
    for (let i = 0; i < table.rows; i++) {
      const missing = col.kind === 'num' ? Number.isNaN(col.values[i]) : col.values[i] === null;
      if (missing) throw new FitError(at, c, `has missing values in the training data (data row ${firstRow + i}); impute it first`);
    }
  }
}

/** A stateless fitter: the parameters are known from the spec alone. */
export function staticFitter<P extends StepParams>(params: P): Fitter<P> {
  return { needsData: false, update() {}, finish: () => params };
}

/** `layout` with `columns` set to `kind` (new ones appended). */
export function withKinds(layout: Layout, columns: readonly string[], kind: ColumnKind): Layout {
  const out = layout.map((l) => (columns.includes(l.name) ? { name: l.name, kind } : l));
  for (const c of columns) if (!out.some((l) => l.name === c)) out.push({ name: c, kind });
  return out;
}

/**
 * Derived lookup structures of fitted parameters (a Map of categories, a Set of labels…),
 * built once per parameters object rather than once per batch. Parameters never change.
 */
export function memo<K extends object, V>(cache: WeakMap<K, V>, key: K, build: (key: K) => V): V {
  let v = cache.get(key);
  if (v === undefined) {
    v = build(key);
    cache.set(key, v);
  }
  return v;
}

/**
 * The fitter of a step that needs every value of its numeric columns (quantiles, Yeo-Johnson):
 * the columns must be numeric, missing values are refused, the values are collected per column
 * and `finish` turns them into the fitted parameters.
 */
export function valueFitter<P extends StepParams>(columns: readonly string[], layout: Layout, at: string, finish: (values: ReadonlyMap<string, ValueCollector>) => P): Fitter<P> {
  requireColumns(layout, columns, at, 'num');
  const values = new Map(columns.map((c) => [c, new ValueCollector()]));
  return {
    needsData: true,
    update(t, first) {
      refuseMissing(t, columns, first, at);
      for (const c of columns) for (const v of t.num(c)) values.get(c)?.push(v);
    },
    finish: () => finish(values),
  };
}
