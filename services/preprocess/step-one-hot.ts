/**
 * `one_hot`: scikit-learn's OneHotEncoder (dense output, no `drop`), each column replaced in
 * place by its indicator columns `<column>_<category>`: categories in sorted order, then — when
 * `min_frequency` or `max_categories` made some infrequent — one `<column>_infrequent_sklearn`
 * column last. `handle_unknown`: `error` (UNKNOWN_CATEGORY), `ignore` (all zeros),
 * `infrequent_if_exist` (the infrequent column if there is one, else all zeros).
 * `min_frequency`: an integer ≥ 1 is a count, a number in (0, 1) a fraction of the rows.
 * A numeric column is encoded as sklearn encodes an integer column: its values are the
 * categories, in numeric order (`rooms_1, rooms_2, rooms_10`); a string column — declared, or
 * cast to string — is ordered as text (`rooms_1, rooms_10, rooms_2`), as sklearn orders strings.
 */
import { SpecError } from './errors.js';
import { checkKeys, enumParam, memo, numberParam, stringList } from './step-kind.js';
import type { Fitter, StepKind } from './step-kind.js';
import { labelFitter } from './step-encode.js';
import { numColumn } from './table.js';
import type { Column, Layout } from './table.js';
import type { CategoryCounts } from './stats.js';

type HandleUnknown = 'error' | 'ignore' | 'infrequent_if_exist';

interface OneHotSpec {
  readonly columns: readonly string[];
  readonly handleUnknown: HandleUnknown;
  readonly minFrequency: number | undefined;
  readonly maxCategories: number | undefined;
}

/** Fitted state of one column: sklearn's `categories_[i]` and `infrequent_categories_[i]`. */
export interface OneHotColumn {
  /**
   * Every category seen in training, sorted: strings by code point; a numeric column's values
   * by value, written as their shortest decimal text (integers in full: `rooms_2`, `rooms_10`).
   */
  readonly categories: readonly string[];
  /** The infrequent ones (sorted), or empty. */
  readonly infrequent: readonly string[];
  /** Output feature names, in order. */
  readonly features: readonly string[];
}

/** Fitted parameters of a one_hot step. */
export interface OneHotParams {
  readonly type: 'one_hot';
  readonly columns: readonly string[];
  readonly handle_unknown: HandleUnknown;
  readonly encoded: Readonly<Record<string, OneHotColumn>>;
}

/** Suffix sklearn gives the infrequent column. */
export const INFREQUENT_SUFFIX = 'infrequent_sklearn';

/** sklearn's `_identify_infrequent`: the indices (into sorted categories) that are infrequent. */
function identifyInfrequent(counts: readonly number[], total: number, minFrequency: number | undefined, maxCategories: number | undefined): Set<number> {
  const infrequent = counts.map((n) => (minFrequency === undefined ? false : minFrequency >= 1 ? n < minFrequency : n < minFrequency * total));
  const nInfrequent = infrequent.filter(Boolean).length;
  const nFeatures = counts.length - nInfrequent + 1;
  if (maxCategories !== undefined && maxCategories < nFeatures) {
    const frequentCount = maxCategories - 1;
    if (frequentCount === 0) infrequent.fill(true);
    else {
      // np.argsort(counts, kind='mergesort'): stable ascending; all but the last frequentCount.
      const order = counts.map((n, i) => [n, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      for (const [, i] of order.slice(0, order.length - frequentCount)) infrequent[i] = true;
    }
  }
  return new Set(infrequent.flatMap((b, i) => (b ? [i] : [])));
}

function encodeColumn(name: string, counts: CategoryCounts, s: OneHotSpec): OneHotColumn {
  const categories = counts.sortedCategories();
  const inf = identifyInfrequent(categories.map((c) => counts.counts.get(c) ?? 0), counts.total, s.minFrequency, s.maxCategories);
  const infrequent = categories.filter((_, i) => inf.has(i));
  const frequent = categories.filter((_, i) => !inf.has(i));
  const features = [...frequent.map((c) => `${name}_${c}`), ...(infrequent.length > 0 ? [`${name}_${INFREQUENT_SUFFIX}`] : [])];
  return { categories, infrequent, features };
}

interface Slots {
  /** Output column of each category by its text (string columns)… */
  readonly slot: Map<string, number>;
  /** …and by its value (numeric columns). */
  readonly slotOfValue: Map<number, number>;
  /** The infrequent column (-1: none). */
  readonly infSlot: number;
}

const SLOTS = new WeakMap<OneHotColumn, Slots>();

/** Output column of each known category (infrequent ones share the last), and the infrequent column. */
function slotsOf(enc: OneHotColumn): Slots {
  const infrequent = new Set(enc.infrequent);
  const frequent = enc.categories.filter((v) => !infrequent.has(v));
  const infSlot = enc.infrequent.length > 0 ? frequent.length : -1;
  const slot = new Map(frequent.map((v, i) => [v, i]));
  for (const v of enc.infrequent) slot.set(v, infSlot);
  return { slot, slotOfValue: new Map([...slot].map(([v, k]) => [Number(v), k])), infSlot };
}

/** The `one_hot` step kind (OneHotEncoder). */
export const ONE_HOT: StepKind<OneHotSpec, OneHotParams> = {
  type: 'one_hot',
  nulls: 'rejects',
  parse(raw, at) {
    checkKeys(raw, at, ['columns', 'handle_unknown', 'min_frequency', 'max_categories']);
    const mf = raw['min_frequency'];
    const minFrequency = mf === undefined ? undefined : numberParam(mf, `${at}.min_frequency`, { min: Number.MIN_VALUE });
    if (minFrequency !== undefined && minFrequency >= 1 && !Number.isInteger(minFrequency)) {
      throw new SpecError(`${at}.min_frequency`, `must be an integer count (>= 1) or a fraction in (0, 1), got ${minFrequency}`);
    }
    const mc = raw['max_categories'];
    return {
      columns: stringList(raw['columns'], `${at}.columns`),
      handleUnknown: enumParam(raw['handle_unknown'], `${at}.handle_unknown`, ['error', 'ignore', 'infrequent_if_exist'], 'error'),
      minFrequency,
      maxCategories: mc === undefined ? undefined : numberParam(mc, `${at}.max_categories`, { min: 1, integer: true }),
    };
  },
  reads: (s) => s.columns,
  // The output names depend on the fit: any later step reading them starts a new pass.
  writes: (s) => s.columns,
  begin: (s, layout, at): Fitter<OneHotParams> =>
    labelFitter(s.columns, layout, at, (counter) => {
      const encoded: Record<string, OneHotColumn> = Object.create(null) as Record<string, OneHotColumn>;
      for (const c of s.columns) encoded[c] = encodeColumn(c, counter.of(c), s);
      return { type: 'one_hot', columns: s.columns, handle_unknown: s.handleUnknown, encoded };
    }),
  layout(p, before): Layout {
    return before.flatMap((l) => (p.columns.includes(l.name) ? (p.encoded[l.name]?.features ?? []).map((name) => ({ name, kind: 'num' as const })) : [l]));
  },
  apply(p, table, errors) {
    for (const c of p.columns) {
      const enc = p.encoded[c] as OneHotColumn;
      const { slot, slotOfValue, infSlot } = memo(SLOTS, enc, slotsOf);
      const outs = enc.features.map(() => new Float64Array(table.rows));
      const col = table.get(c);
      for (let i = 0; i < table.rows; i++) {
        // A numeric column (sklearn on numbers) is looked up by value, NaN being missing.
        const v = col.kind === 'num' ? (Number.isNaN(col.values[i]) ? null : (col.values[i] as number)) : (col.values[i] as string | null);
        if (v === null) continue;
        let k = typeof v === 'number' ? slotOfValue.get(v) : slot.get(v);
        if (k === undefined) {
          if (p.handle_unknown === 'error') errors.step(i, c, 'UNKNOWN_CATEGORY', `'${c}': category ${JSON.stringify(v)} was not seen in training`);
          else if (p.handle_unknown === 'infrequent_if_exist' && infSlot >= 0) k = infSlot;
        }
        if (k !== undefined) (outs[k] as Float64Array)[i] = 1;
      }
      table.splice(c, enc.features.map((name, j) => [name, numColumn(outs[j] as Float64Array)] as [string, Column]));
    }
  },
};
