/**
 * The validation schema inferred from the training data: per input column its type, whether it
 * is required, the categories and the numeric range seen in training. Inferred in the first
 * pass of a fit; Transform validates every record against it.
 */
import { FitError } from './errors.js';
import type { SpecStep } from './spec.js';
import { parseDecimal } from './step-columns.js';
import type { NullHandling, StepParams } from './step-kind.js';
import { CategoryCounts } from './stats.js';
import type { Layout } from './table.js';

/** Categories kept in the schema per encoded column; a column with more lists none. */
export const MAX_SCHEMA_CATEGORIES = 1000;

/** The step types whose fitted state is a column's categories. */
const ENCODERS: ReadonlySet<string> = new Set(['one_hot', 'ordinal', 'rare_label']);

/** One input column of the schema. */
export interface ColumnSchema {
  readonly name: string;
  /** `number` (double/int64/bool values) or `string` (string/int64 values). */
  readonly type: 'number' | 'string';
  /** A missing value (absent, null, a missing CSV token) is refused with MISSING_REQUIRED. */
  readonly required: boolean;
  /** False for a column that is dropped before any step reads it (accepted, ignored). */
  readonly used: boolean;
  /** Missing values seen in training. */
  readonly missing_in_training: number;
  /** Smallest and largest (finite) value seen in training (number columns the pipeline uses). */
  readonly min?: number;
  readonly max?: number;
  /**
   * Categories seen in training, sorted: only for a string column an encoder (one_hot,
   * ordinal, rare_label) reads as it came in, and at most MAX_SCHEMA_CATEGORIES. A column the
   * pipeline drops or does not encode (an id, free text) keeps none of its values here.
   */
  readonly categories?: readonly string[];
}

/** The inferred input schema with the spec's validation policy. */
export interface InputSchema {
  readonly columns: readonly ColumnSchema[];
  readonly unknown_columns: 'error' | 'ignore';
  readonly enforce_range: boolean;
  readonly range_tolerance: number;
}

/** Per-column statistics gathered in the first pass. */
class ColumnStats {
  allNumeric = true;
  missing = 0;
  min = Infinity;
  max = -Infinity;
  categories: CategoryCounts | undefined;
  firstNonNumeric: { row: number; value: string } | undefined;
  /** The first value that reads as ±infinity (`inf`, `-Infinity`, `1e999`), as pandas reads it. */
  firstInfinite: { row: number; value: string } | undefined;

  /** `used`: whether the pipeline reads the column (an unused one's values are never kept). */
  constructor(used: boolean) {
    this.categories = used ? new CategoryCounts() : undefined;
  }

  push(field: string, missing: boolean, row: number): void {
    if (missing) {
      this.missing++;
      return;
    }
    // A number as pandas reads one: decimals, and inf/infinity (any case, signed) as ±infinity.
    const n = parseDecimal(field);
    if (Number.isNaN(n)) {
      this.allNumeric = false;
      this.firstNonNumeric ??= { row, value: field };
    } else if (!Number.isFinite(n)) {
      this.firstInfinite ??= { row, value: field };
    } else {
      if (n < this.min) this.min = n;
      if (n > this.max) this.max = n;
    }
    if (this.categories) {
      this.categories.push(field);
      // A high-cardinality (or numeric) column: stop counting to keep memory bounded.
      if (this.categories.counts.size > MAX_SCHEMA_CATEGORIES) this.categories = undefined;
    }
  }
}

/** Gathers the first-pass statistics of the raw CSV columns. */
export class SchemaInference {
  private readonly stats: ColumnStats[];
  private readonly missing: Set<string>;
  rows = 0;

  /** `used`: the input columns the pipeline reads ({@link usedColumns}). */
  constructor(
    readonly header: readonly string[],
    missingValues: readonly string[],
    readonly used: ReadonlySet<string>,
  ) {
    this.stats = header.map((h) => new ColumnStats(used.has(h)));
    this.missing = new Set(missingValues);
  }

  update(rows: readonly (readonly string[])[], firstRow: number): void {
    rows.forEach((r, i) => {
      r.forEach((f, c) => (this.stats[c] as ColumnStats).push(f, this.missing.has(f), firstRow + i));
    });
    this.rows += rows.length;
  }

  /**
   * The column types: declared ones checked, others inferred (number when every present value
   * parses as a number, infinities included, as pandas reads a column).
   * @throws FitError when a declared column is absent or a declared number column holds text.
   */
  types(declared: Readonly<Record<string, 'number' | 'string'>>): ('number' | 'string')[] {
    for (const c of Object.keys(declared)) if (!this.header.includes(c)) throw new FitError(`columns.${c}`, c, 'is declared in the spec but not in the training data');
    return this.header.map((name, i) => {
      const s = this.stats[i] as ColumnStats;
      const d = Object.hasOwn(declared, name) ? declared[name] : undefined;
      if (d === 'number' && !s.allNumeric) throw new FitError(`columns.${name}`, name, `is declared a number but data row ${s.firstNonNumeric?.row} holds ${JSON.stringify(s.firstNonNumeric?.value)}`);
      return d ?? (s.allNumeric && s.missing < this.rows ? 'number' : 'string');
    });
  }

  /**
   * Refuses an infinite value in a number column the pipeline uses, naming the column, the data
   * row and the value as written. pandas reads `inf` as a float; scikit-learn's imputers,
   * scalers, encoders and transformers then refuse it ("Input X contains infinity"), and so
   * does every step here that reads numbers (and the output). A column dropped before any step
   * reads it may hold infinities (sklearn never looks at it either).
   * @throws FitError for the first such column.
   */
  refuseInfinite(types: readonly ('number' | 'string')[], source: string): void {
    this.header.forEach((name, i) => {
      const inf = (this.stats[i] as ColumnStats).firstInfinite;
      if (types[i] !== 'number' || !inf || !this.used.has(name)) return;
      throw new FitError(
        'data',
        name,
        `${source}: data row ${inf.row} holds ${JSON.stringify(inf.value)}, an infinite number: the steps (as scikit-learn's) need finite values; replace or remove it, or list ${JSON.stringify(inf.value)} in csv.missing_values to read it as missing`,
      );
    });
  }

  /**
   * The schema, once the steps are fitted (`required` and which columns are encoded come from
   * the steps). A column the pipeline does not use keeps none of its values (no range, no
   * categories); categories are kept only for encoded columns.
   */
  schema(types: readonly ('number' | 'string')[], usage: ReadonlyMap<string, ColumnUsage>, policy: Omit<InputSchema, 'columns'>): InputSchema {
    const columns = this.header.map((name, i): ColumnSchema => {
      const s = this.stats[i] as ColumnStats;
      const u = usage.get(name) ?? { required: false, encoded: false };
      const used = this.used.has(name);
      const base = { name, type: types[i] as 'number' | 'string', required: u.required, used, missing_in_training: s.missing };
      if (!used) return base;
      if (base.type === 'number') return s.min <= s.max ? { ...base, min: s.min, max: s.max } : base;
      return u.encoded && s.categories ? { ...base, categories: s.categories.sortedCategories() } : base;
    });
    return { columns, ...policy };
  }
}

/**
 * The input columns the pipeline uses: read by a step other than select and drop, or left to
 * the output. Known from the spec alone (select and drop are the only steps that remove an
 * input column without reading it), so the first pass already knows which columns are dropped.
 */
export function usedColumns(header: readonly string[], steps: readonly SpecStep[]): Set<string> {
  let live = new Set(header);
  const used = new Set<string>();
  for (const s of steps) {
    if (s.kind.type === 'select') {
      const keep = new Set(s.kind.reads(s.spec));
      live = new Set([...live].filter((c) => keep.has(c)));
    } else if (s.kind.type === 'drop') {
      for (const c of s.kind.writes(s.spec)) live.delete(c);
    } else {
      for (const c of s.kind.reads(s.spec)) if (live.has(c)) used.add(c);
    }
  }
  for (const c of live) used.add(c);
  return used;
}

/** What the fitted steps make of an input column. */
export interface ColumnUsage {
  /** A missing value is refused (MISSING_REQUIRED). */
  readonly required: boolean;
  /** An encoder (one_hot, ordinal, rare_label) reads it as it came in. */
  readonly encoded: boolean;
}

/** What the schema needs to know about each fitted step. */
export interface StepUsage {
  readonly params: StepParams;
  readonly nulls: NullHandling;
  readonly reads: readonly string[];
  /** Layout after the step. */
  readonly after: Layout;
}

/**
 * Which input columns are required and which are encoded, by following them through the
 * steps: an input column is required when a value from it can reach a step that refuses
 * missing values (or the output) without passing an imputer first; encoded when an encoder
 * reads it (imputed or not, but not derived into another column).
 */
export function columnUsage(input: Layout, steps: readonly StepUsage[]): Map<string, ColumnUsage> {
  const usage = new Map(input.map((l) => [l.name, { required: false, encoded: false }]));
  // Current column → the input column whose missing values it may still carry.
  let mayBeMissing = new Map(input.map((l) => [l.name, l.name]));
  // Current column → the input column it comes from (for `encoded`).
  let origin = new Map(input.map((l) => [l.name, l.name]));
  for (const s of steps) {
    for (const c of s.reads) {
      const o = origin.get(c);
      if (o !== undefined && ENCODERS.has(s.params.type)) (usage.get(o) as { encoded: boolean }).encoded = true;
      const m = mayBeMissing.get(c);
      if (m === undefined) continue;
      if (s.nulls === 'rejects') (usage.get(m) as { required: boolean }).required = true;
      if (s.nulls !== 'passes') mayBeMissing.delete(c);
    }
    const names = new Set(s.after.map((l) => l.name));
    mayBeMissing = new Map([...mayBeMissing].filter(([c]) => names.has(c)));
    origin = new Map([...origin].filter(([c]) => names.has(c)));
  }
  for (const [, m] of mayBeMissing) (usage.get(m) as { required: boolean }).required = true;
  return usage;
}
