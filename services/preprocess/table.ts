import type { RowErrorCode__Output } from '../../shared/generated/mlmesh/preprocess/v1/RowErrorCode.js';

/**
 * A numeric column: float64 values, NaN meaning missing (a NaN or infinity sent as input is
 * refused with NOT_FINITE before it gets here, so NaN inside a table is always "missing").
 */
export interface NumColumn {
  readonly kind: 'num';
  values: Float64Array;
}

/** A categorical (string) column: null meaning missing. */
export interface StrColumn {
  readonly kind: 'str';
  values: (string | null)[];
}

/** One column of a {@link Table}. */
export type Column = NumColumn | StrColumn;

/** The kind of a column: numeric or categorical. */
export type ColumnKind = Column['kind'];

/** The columns a step sees, in order, with their kinds (the shape of a table, without data). */
export type Layout = readonly { readonly name: string; readonly kind: ColumnKind }[];

/** A numeric column of `rows` values. */
export function numColumn(values: Float64Array): NumColumn {
  return { kind: 'num', values };
}

/** A string column. */
export function strColumn(values: (string | null)[]): StrColumn {
  return { kind: 'str', values };
}

/**
 * A batch of rows held by column, in column order. Steps replace, add and remove columns;
 * the order of `names` is the order of the output features at the end.
 */
export class Table {
  private order: string[];
  private readonly cols: Map<string, Column>;

  constructor(
    readonly rows: number,
    columns: readonly (readonly [string, Column])[] = [],
  ) {
    this.order = columns.map(([n]) => n);
    this.cols = new Map(columns);
  }

  /** Column names in order. */
  get names(): readonly string[] {
    return this.order;
  }

  /** The layout (names and kinds) of the table. */
  layout(): Layout {
    return this.order.map((name) => ({ name, kind: (this.cols.get(name) as Column).kind }));
  }

  has(name: string): boolean {
    return this.cols.has(name);
  }

  /** The column; throws when absent (fit checks every name a step reads beforehand). */
  get(name: string): Column {
    const c = this.cols.get(name);
    if (!c) throw new Error(`column '${name}' is not in the table`);
    return c;
  }

  /** The numeric column `name`; throws when absent or categorical. */
  num(name: string): Float64Array {
    const c = this.get(name);
    if (c.kind !== 'num') throw new Error(`column '${name}' is not numeric`);
    return c.values;
  }

  /** The string column `name`; throws when absent or numeric. */
  str(name: string): (string | null)[] {
    const c = this.get(name);
    if (c.kind !== 'str') throw new Error(`column '${name}' is not categorical`);
    return c.values;
  }

  /** Sets a column in place, or appends it at the end when new. */
  set(name: string, col: Column): void {
    if (!this.cols.has(name)) this.order.push(name);
    this.cols.set(name, col);
  }

  /** Replaces column `name` by `replacement` at its position (one-hot: one column becomes k). */
  splice(name: string, replacement: readonly (readonly [string, Column])[]): void {
    const i = this.order.indexOf(name);
    if (i < 0) throw new Error(`column '${name}' is not in the table`);
    for (const [n] of replacement) if (n !== name && this.cols.has(n)) throw new Error(`column '${n}' already exists: replacing '${name}' would overwrite it`);
    this.cols.delete(name);
    this.order.splice(i, 1, ...replacement.map(([n]) => n));
    for (const [n, c] of replacement) this.cols.set(n, c);
  }

  /** Keeps only `names`, in that order. */
  select(names: readonly string[]): void {
    const keep = new Set(names);
    for (const n of this.order) if (!keep.has(n)) this.cols.delete(n);
    this.order = [...names];
  }

  /** Removes columns. */
  drop(names: readonly string[]): void {
    const gone = new Set(names);
    for (const n of names) this.cols.delete(n);
    this.order = this.order.filter((n) => !gone.has(n));
  }
}

/** One refused row: the record index, the column at fault, the code and a message. */
export interface RowIssue {
  row: number;
  column: string;
  code: Exclude<RowErrorCode__Output, 'ROW_ERROR_CODE_UNSPECIFIED'>;
  message: string;
}

/**
 * Collects the per-row failures of one batch. Input validation records every failure of a row
 * (all bad columns); a step records one only for a row that is still valid, so an error is
 * reported where it starts and not again for its consequences downstream.
 */
export class RowErrors {
  readonly issues: RowIssue[] = [];
  private readonly bad: Uint8Array;

  constructor(readonly rows: number) {
    this.bad = new Uint8Array(rows);
  }

  /** A failure found while reading the input: always recorded. */
  input(row: number, column: string, code: RowIssue['code'], message: string): void {
    this.bad[row] = 1;
    this.issues.push({ row, column, code, message });
  }

  /** A failure found by a step: recorded only if the row has none yet. */
  step(row: number, column: string, code: RowIssue['code'], message: string): void {
    if (this.bad[row]) return;
    this.bad[row] = 1;
    this.issues.push({ row, column, code, message });
  }

  /**
   * Marks a row refused for a reason reported outside these issues (a CSV row whose field count
   * is not the header's: MALFORMED_ROW); steps then leave it alone, as any refused row.
   */
  exclude(row: number): void {
    this.bad[row] = 1;
  }

  /** Whether the row has failed. */
  isBad(row: number): boolean {
    return this.bad[row] === 1;
  }

  /** Number of rows that failed. */
  get badRows(): number {
    let n = 0;
    for (const b of this.bad) n += b;
    return n;
  }

  /** The issues sorted by row (then in the order found). */
  sorted(): RowIssue[] {
    if (this.issues.length === 0) return [];
    return this.issues.map((x, i) => [x, i] as const).sort((a, b) => a[0].row - b[0].row || a[1] - b[1]).map(([x]) => x);
  }
}
