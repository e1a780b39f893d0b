/**
 * The validation schema inferred from the training data: per input column its type, whether it
 * is required, the categories and the numeric range seen in training. Inferred in the first
 * pass of a fit; Transform validates every record against it.
 */
import { FitError } from './errors.js';
import { parseNumber } from './step-columns.js';
import type { NullHandling, StepParams } from './step-kind.js';
import { CategoryCounts } from './stats.js';
import type { Layout } from './table.js';

/** Categories kept in the schema per column; a column with more lists none. */
export const MAX_SCHEMA_CATEGORIES = 1000;

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
  /** Smallest and largest value seen in training (number columns). */
  readonly min?: number;
  readonly max?: number;
  /** Categories seen in training, sorted (string columns with at most MAX_SCHEMA_CATEGORIES). */
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
  categories: CategoryCounts | undefined = new CategoryCounts();
  firstNonNumeric: { row: number; value: string } | undefined;

  push(field: string, missing: boolean, row: number): void {
    if (missing) {
      this.missing++;
      return;
    }
    const n = parseNumber(field);
    if (Number.isNaN(n)) {
      this.allNumeric = false;
      this.firstNonNumeric ??= { row, value: field };
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

  constructor(
    readonly header: readonly string[],
    missingValues: readonly string[],
  ) {
    this.stats = header.map(() => new ColumnStats());
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
   * parses as a finite number).
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

  /** The schema, once the steps are fitted (`required` and `used` come from the steps). */
  schema(types: readonly ('number' | 'string')[], usage: ReadonlyMap<string, { required: boolean; used: boolean }>, policy: Omit<InputSchema, 'columns'>): InputSchema {
    const columns = this.header.map((name, i): ColumnSchema => {
      const s = this.stats[i] as ColumnStats;
      const u = usage.get(name) ?? { required: false, used: false };
      const base = { name, type: types[i] as 'number' | 'string', required: u.required, used: u.used, missing_in_training: s.missing };
      if (base.type === 'number') return s.min <= s.max ? { ...base, min: s.min, max: s.max } : base;
      return s.categories ? { ...base, categories: s.categories.sortedCategories() } : base;
    });
    return { columns, ...policy };
  }
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
 * Which input columns are required and which are used, by following missing values through
 * the steps: an input column is required when a value from it can reach a step that refuses
 * missing values (or the output) without passing an imputer first.
 */
export function columnUsage(input: Layout, steps: readonly StepUsage[]): Map<string, { required: boolean; used: boolean }> {
  const usage = new Map(input.map((l) => [l.name, { required: false, used: false }]));
  // Current column → the input column whose missing values it may still carry.
  let mayBeMissing = new Map(input.map((l) => [l.name, l.name]));
  // Current column → the input column it comes from (for `used`).
  let origin = new Map(input.map((l) => [l.name, l.name]));
  for (const s of steps) {
    for (const c of s.reads) {
      const o = origin.get(c);
      if (o !== undefined && s.params.type !== 'select' && s.params.type !== 'drop') (usage.get(o) as { used: boolean }).used = true;
      const m = mayBeMissing.get(c);
      if (m === undefined) continue;
      if (s.nulls === 'rejects') (usage.get(m) as { required: boolean }).required = true;
      if (s.nulls !== 'passes') mayBeMissing.delete(c);
    }
    const names = new Set(s.after.map((l) => l.name));
    mayBeMissing = new Map([...mayBeMissing].filter(([c]) => names.has(c)));
    origin = new Map([...origin].filter(([c]) => names.has(c)));
  }
  for (const o of origin.values()) (usage.get(o) as { used: boolean }).used = true;
  for (const [, m] of mayBeMissing) (usage.get(m) as { required: boolean }).required = true;
  return usage;
}
