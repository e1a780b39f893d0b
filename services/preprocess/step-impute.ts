/**
 * `impute`: scikit-learn's SimpleImputer (mean, median, most_frequent, constant) over named
 * columns, with `add_indicator` appending MissingIndicator columns — as sklearn, only for the
 * columns that had missing values in the training data (`features='missing-only'`), named
 * `missingindicator_<column>`, appended at the end of the table.
 */
import { FitError, SpecError } from './errors.js';
import { CategoryCounts, MeanVar, ValueCollector, compareCodePoints, medianSorted, mostFrequent } from './stats.js';
import { boolParam, checkKeys, enumParam, requireColumns, stringList } from './step-kind.js';
import type { Fitter, StepKind } from './step-kind.js';
import { numColumn } from './table.js';
import type { Layout } from './table.js';

type Strategy = 'mean' | 'median' | 'most_frequent' | 'constant';

/** The spec of an impute step. */
export interface ImputeSpec {
  readonly columns: readonly string[];
  readonly strategy: Strategy;
  /** For `constant`: the fill value (default 0 for numeric columns, 'missing_value' for categorical, as sklearn). */
  readonly fillValue: number | string | undefined;
  readonly addIndicator: boolean;
}

/** Fitted: the fill value per column (sklearn's `statistics_`) and the indicator columns. */
export interface ImputeParams {
  readonly type: 'impute';
  readonly strategy: Strategy;
  readonly columns: readonly string[];
  readonly statistics: Readonly<Record<string, number | string>>;
  /** Columns that get a missing-indicator feature (those with missing values in training). */
  readonly indicators: readonly string[];
}

/** Name of the missing-indicator feature of `column` (sklearn's feature name). */
export function indicatorName(column: string): string {
  return `missingindicator_${column}`;
}

class ImputeFitter implements Fitter<ImputeParams> {
  readonly needsData = true;
  private readonly stats = new Map<string, { mv: MeanVar; values?: ValueCollector; numCounts?: Map<number, number>; strCounts?: CategoryCounts; missing: number }>();

  constructor(
    private readonly spec: ImputeSpec,
    private readonly layout: Layout,
    private readonly at: string,
  ) {
    for (const c of spec.columns) {
      const kind = layout.find((l) => l.name === c)?.kind;
      this.stats.set(c, {
        mv: new MeanVar(),
        missing: 0,
        ...(spec.strategy === 'median' ? { values: new ValueCollector() } : {}),
        ...(spec.strategy === 'most_frequent' ? (kind === 'num' ? { numCounts: new Map() } : { strCounts: new CategoryCounts() }) : {}),
      });
    }
  }

  update(table: Parameters<Fitter<ImputeParams>['update']>[0]): void {
    for (const c of this.spec.columns) {
      const s = this.stats.get(c);
      if (!s) continue;
      const col = table.get(c);
      if (col.kind === 'num') {
        for (const v of col.values) {
          if (Number.isNaN(v)) {
            s.missing++;
            continue;
          }
          s.mv.push(v);
          s.values?.push(v);
          s.numCounts?.set(v, (s.numCounts.get(v) ?? 0) + 1);
        }
      } else {
        for (const v of col.values) {
          if (v === null) s.missing++;
          else s.strCounts?.push(v);
        }
      }
    }
  }

  finish(): ImputeParams {
    const statistics: Record<string, number | string> = Object.create(null) as Record<string, number | string>;
    const indicators: string[] = [];
    for (const c of this.spec.columns) {
      const s = this.stats.get(c);
      const kind = this.layout.find((l) => l.name === c)?.kind;
      if (!s) continue;
      if (s.missing > 0) indicators.push(c);
      if (this.spec.strategy === 'constant') {
        const fill = this.spec.fillValue ?? (kind === 'num' ? 0 : 'missing_value');
        if (kind === 'num' && typeof fill !== 'number') throw new FitError(this.at, c, `is numeric: fill_value must be a number, got ${JSON.stringify(fill)}`);
        if (kind === 'str' && typeof fill !== 'string') throw new FitError(this.at, c, `is categorical: fill_value must be a string, got ${JSON.stringify(fill)}`);
        statistics[c] = fill;
        continue;
      }
      const present = kind === 'num' ? s.mv.n : (s.strCounts?.total ?? 0);
      if (present === 0) throw new FitError(this.at, c, `has no values in the training data to compute the ${this.spec.strategy} from`);
      if (this.spec.strategy === 'mean') statistics[c] = s.mv.mean;
      else if (this.spec.strategy === 'median') statistics[c] = medianSorted((s.values as ValueCollector).sorted());
      else if (s.numCounts) statistics[c] = mostFrequent(s.numCounts, (a, b) => a - b) as number;
      else statistics[c] = mostFrequent((s.strCounts as CategoryCounts).counts, compareCodePoints) as string;
    }
    return { type: 'impute', strategy: this.spec.strategy, columns: this.spec.columns, statistics, indicators: this.spec.addIndicator ? indicators : [] };
  }
}

/** The `impute` step kind (SimpleImputer). */
export const IMPUTE: StepKind<ImputeSpec, ImputeParams> = {
  type: 'impute',
  nulls: 'fills',
  parse(raw, at) {
    checkKeys(raw, at, ['columns', 'strategy', 'fill_value', 'add_indicator']);
    const strategy = enumParam(raw['strategy'], `${at}.strategy`, ['mean', 'median', 'most_frequent', 'constant'], 'mean');
    const fill = raw['fill_value'];
    if (fill !== undefined && typeof fill !== 'string' && !(typeof fill === 'number' && Number.isFinite(fill))) {
      throw new SpecError(`${at}.fill_value`, `must be a number or a string, got ${JSON.stringify(fill)}`);
    }
    if (fill !== undefined && strategy !== 'constant') throw new SpecError(`${at}.fill_value`, "is only used with strategy 'constant'");
    return { columns: stringList(raw['columns'], `${at}.columns`), strategy, fillValue: fill, addIndicator: boolParam(raw['add_indicator'], `${at}.add_indicator`, false) };
  },
  reads: (s) => s.columns,
  writes: (s) => [...s.columns, ...(s.addIndicator ? s.columns.map(indicatorName) : [])],
  begin(s, layout, at) {
    requireColumns(layout, s.columns, at);
    if (s.strategy === 'mean' || s.strategy === 'median') requireColumns(layout, s.columns, at, 'num');
    for (const c of s.addIndicator ? s.columns : []) {
      if (layout.some((l) => l.name === indicatorName(c))) throw new FitError(at, indicatorName(c), 'exists already: the missing indicator would overwrite it');
    }
    return new ImputeFitter(s, layout, at);
  },
  layout: (p, before) => [...before, ...p.indicators.map((c) => ({ name: indicatorName(c), kind: 'num' as const }))],
  apply(p, table) {
    const flags = new Map<string, Float64Array>();
    for (const c of p.columns) {
      const fill = p.statistics[c] as number | string;
      const col = table.get(c);
      const flag = p.indicators.includes(c) ? new Float64Array(table.rows) : undefined;
      if (flag) flags.set(c, flag);
      // In place: every table owns its column arrays (made per batch, never shared).
      const values = col.values;
      for (let i = 0; i < values.length; i++) {
        if (col.kind === 'num' ? Number.isNaN(values[i]) : values[i] === null) {
          values[i] = fill;
          if (flag) flag[i] = 1;
        }
      }
    }
    for (const c of p.indicators) table.set(indicatorName(c), numColumn(flags.get(c) as Float64Array));
  },
};
