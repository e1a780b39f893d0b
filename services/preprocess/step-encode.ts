/**
 * Categorical steps:
 * - `rare_label`: feature-engine's RareLabelEncoder (tol, n_categories, max_n_categories,
 *   replace_with): in a column with more than n_categories labels, labels whose training
 *   frequency is under tol become 'Rare'; at transform time any label outside the kept set,
 *   unseen ones included, becomes 'Rare'.
 * - `one_hot`: scikit-learn's OneHotEncoder (see step-one-hot.ts).
 * - `ordinal`: scikit-learn's OrdinalEncoder: the index of the category in sorted order (a
 *   numeric column's values by value, as sklearn sorts an integer column; strings by code
 *   point); unknown → UNKNOWN_CATEGORY (`handle_unknown: error`) or `unknown_value`
 *   (`use_encoded_value`).
 */
import { FitError, SpecError } from './errors.js';
import { CategoryCounts, numberText } from './stats.js';
import { checkKeys, enumParam, memo, numberParam, refuseMissing, requireColumns, stringList, stringParam, withKinds } from './step-kind.js';
import type { Fitter, StepKind, StepParams } from './step-kind.js';
import { numColumn } from './table.js';
import type { Layout, Table } from './table.js';

/**
 * Counts the labels of columns over a pass, refusing missing values. A numeric column's labels
 * are its values (as their {@link numberText}), sorted by value.
 */
class LabelCounter {
  readonly counts = new Map<string, CategoryCounts>();

  constructor(
    readonly columns: readonly string[],
    layout: Layout,
    private readonly at: string,
  ) {
    for (const c of columns) this.counts.set(c, new CategoryCounts(layout.find((l) => l.name === c)?.kind === 'num'));
  }

  update(table: Table, firstRow: number): void {
    refuseMissing(table, this.columns, firstRow, this.at);
    for (const c of this.columns) {
      const counts = this.counts.get(c) as CategoryCounts;
      const col = table.get(c);
      if (col.kind === 'num') for (const v of col.values) counts.push(numberText(v));
      else for (const v of col.values) counts.push(v as string);
    }
  }

  of(column: string): CategoryCounts {
    return this.counts.get(column) as CategoryCounts;
  }
}

/**
 * The fitter of an encoding step: its columns must exist (and be of `kind`, when given); every
 * batch's labels are counted (missing values refused); `finish` turns the counts into the
 * fitted parameters.
 */
export function labelFitter<P extends StepParams>(columns: readonly string[], layout: Layout, at: string, finish: (counter: LabelCounter) => P, kind?: 'str'): Fitter<P> {
  requireColumns(layout, columns, at, kind);
  const counter = new LabelCounter(columns, layout, at);
  return { needsData: true, update: (t, first) => counter.update(t, first), finish: () => finish(counter) };
}

interface RareSpec {
  readonly columns: readonly string[];
  readonly tol: number;
  readonly nCategories: number;
  readonly maxNCategories: number | undefined;
  readonly replaceWith: string;
}

/** Fitted: the labels kept per column (feature-engine's `encoder_dict_`). */
export interface RareLabelParams {
  readonly type: 'rare_label';
  readonly columns: readonly string[];
  readonly replace_with: string;
  readonly kept: Readonly<Record<string, readonly string[]>>;
}

const KEPT = new WeakMap<RareLabelParams, Map<string, Set<string>>>();
/** Per column, the code of each category: by its text (string columns) and by its value (numeric ones). */
const CODES = new WeakMap<OrdinalParams, Map<string, { byText: Map<string, number>; byValue: Map<number, number> }>>();

/** The `rare_label` step kind (feature-engine RareLabelEncoder). */
export const RARE_LABEL: StepKind<RareSpec, RareLabelParams> = {
  type: 'rare_label',
  nulls: 'rejects',
  parse(raw, at) {
    checkKeys(raw, at, ['columns', 'tol', 'n_categories', 'max_n_categories', 'replace_with']);
    const max = raw['max_n_categories'];
    return {
      columns: stringList(raw['columns'], `${at}.columns`),
      tol: numberParam(raw['tol'], `${at}.tol`, { def: 0.05, min: 0, max: 1 }),
      nCategories: numberParam(raw['n_categories'], `${at}.n_categories`, { def: 10, min: 0, integer: true }),
      maxNCategories: max === undefined ? undefined : numberParam(max, `${at}.max_n_categories`, { min: 1, integer: true }),
      replaceWith: raw['replace_with'] === undefined ? 'Rare' : stringParam(raw['replace_with'], `${at}.replace_with`),
    };
  },
  reads: (s) => s.columns,
  writes: (s) => s.columns,
  begin: (s, layout, at): Fitter<RareLabelParams> =>
    labelFitter(s.columns, layout, at, (counter) => {
      const kept: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
      for (const c of s.columns) {
        const counts = counter.of(c);
        // value_counts order: by count descending (pandas keeps first-seen order on ties; we
        // break ties by label so the artifact does not depend on row order).
        const byCount = [...counts.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        if (byCount.length > s.nCategories) {
          const frequent = byCount.filter(([, n]) => n / counts.total >= s.tol).map(([v]) => v);
          kept[c] = s.maxNCategories !== undefined ? frequent.slice(0, s.maxNCategories) : frequent;
        } else {
          kept[c] = byCount.map(([v]) => v);
        }
      }
      return { type: 'rare_label', columns: s.columns, replace_with: s.replaceWith, kept };
    }, 'str'),
  layout: (_p, before) => before,
  apply(p, table) {
    const kept = memo(KEPT, p, (q) => new Map(q.columns.map((c) => [c, new Set(q.kept[c])])));
    for (const c of p.columns) {
      const keep = kept.get(c) as Set<string>;
      const values = table.str(c);
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as string | null;
        if (v !== null && !keep.has(v)) values[i] = p.replace_with;
      }
    }
  },
};

interface OrdinalSpec {
  readonly columns: readonly string[];
  readonly handleUnknown: 'error' | 'use_encoded_value';
  readonly unknownValue: number | undefined;
}

/** Fitted: the sorted categories per column (sklearn's `categories_`). */
export interface OrdinalParams {
  readonly type: 'ordinal';
  readonly columns: readonly string[];
  readonly categories: Readonly<Record<string, readonly string[]>>;
  readonly handle_unknown: 'error' | 'use_encoded_value';
  readonly unknown_value: number | null;
}

/** sklearn's rule: unknown_value is an integer. */
function integerUnknownValue(v: number, at: string): number {
  if (!Number.isInteger(v)) throw new SpecError(`${at}.unknown_value`, `must be an integer, got ${v}`);
  return v;
}

/** The `ordinal` step kind (OrdinalEncoder). */
export const ORDINAL: StepKind<OrdinalSpec, OrdinalParams> = {
  type: 'ordinal',
  nulls: 'rejects',
  parse(raw, at) {
    checkKeys(raw, at, ['columns', 'handle_unknown', 'unknown_value']);
    const handleUnknown = enumParam(raw['handle_unknown'], `${at}.handle_unknown`, ['error', 'use_encoded_value'], 'error');
    if (handleUnknown === 'use_encoded_value' && raw['unknown_value'] === undefined) throw new SpecError(`${at}.unknown_value`, "is required with handle_unknown 'use_encoded_value'");
    return {
      columns: stringList(raw['columns'], `${at}.columns`),
      handleUnknown,
      unknownValue: raw['unknown_value'] === undefined ? undefined : integerUnknownValue(numberParam(raw['unknown_value'], `${at}.unknown_value`), at),
    };
  },
  reads: (s) => s.columns,
  writes: (s) => s.columns,
  begin: (s, layout, at): Fitter<OrdinalParams> =>
    labelFitter(s.columns, layout, at, (counter) => {
      const categories: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
      for (const c of s.columns) {
        categories[c] = counter.of(c).sortedCategories();
        // As sklearn: the code for unknown categories must not be one a seen category has.
        const uv = s.unknownValue;
        if (uv !== undefined && uv >= 0 && uv < (categories[c]).length) {
          throw new FitError(at, c, `unknown_value ${uv} is already the code of category ${JSON.stringify((categories[c])[uv])}: use a negative value or one ≥ ${(categories[c]).length}`);
        }
      }
      return { type: 'ordinal', columns: s.columns, categories, handle_unknown: s.handleUnknown, unknown_value: s.unknownValue ?? null };
    }),
  layout: (p, before) => withKinds(before, p.columns, 'num'),
  apply(p, table, errors) {
    const codes = memo(CODES, p, (q) =>
      new Map(q.columns.map((c) => {
        const cats = q.categories[c] ?? [];
        return [c, { byText: new Map(cats.map((v, i) => [v, i])), byValue: new Map(cats.map((v, i) => [Number(v), i])) }];
      })),
    );
    for (const c of p.columns) {
      const { byText, byValue } = codes.get(c) as { byText: Map<string, number>; byValue: Map<number, number> };
      const col = table.get(c);
      const out = new Float64Array(table.rows);
      for (let i = 0; i < table.rows; i++) {
        // A numeric column (sklearn on numbers) is looked up by value, NaN being missing.
        const v = col.kind === 'num' ? (Number.isNaN(col.values[i]) ? null : (col.values[i] as number)) : (col.values[i] as string | null);
        const k = v === null ? undefined : typeof v === 'number' ? byValue.get(v) : byText.get(v);
        if (k !== undefined) out[i] = k;
        else if (p.handle_unknown === 'use_encoded_value' && v !== null) out[i] = p.unknown_value ?? NaN;
        else {
          out[i] = NaN;
          if (v !== null) errors.step(i, c, 'UNKNOWN_CATEGORY', `'${c}': category ${JSON.stringify(v)} was not seen in training`);
        }
      }
      table.set(c, numColumn(out));
    }
  },
};
