/**
 * `cap_outliers`: feature-engine's Winsorizer with `capping_method` `iqr` (caps at
 * q25 − fold·IQR and q75 + fold·IQR, fold default 1.5) or `quantiles` (caps at the `fold` and
 * 1 − `fold` quantiles, fold default 0.05), quantiles by numpy's linear interpolation; `tail`
 * `both` (default), `left` or `right`. Values beyond a cap are set to the cap.
 */
import { SpecError } from './errors.js';
import { ValueCollector, quantileSorted } from './stats.js';
import { checkKeys, enumParam, numberParam, stringList, valueFitter } from './step-kind.js';
import type { Fitter, StepKind } from './step-kind.js';

type Method = 'iqr' | 'quantiles';
type Tail = 'both' | 'left' | 'right';

interface CapSpec {
  readonly columns: readonly string[];
  readonly method: Method;
  readonly fold: number;
  readonly tail: Tail;
}

/** Fitted caps per column (feature-engine's `left_tail_caps_` / `right_tail_caps_`); null = no cap on that side. */
export interface CapParams {
  readonly type: 'cap_outliers';
  readonly method: Method;
  readonly columns: readonly string[];
  readonly lower: Readonly<Record<string, number | null>>;
  readonly upper: Readonly<Record<string, number | null>>;
}

/** The `cap_outliers` step kind (feature-engine Winsorizer). */
export const CAP_OUTLIERS: StepKind<CapSpec, CapParams> = {
  type: 'cap_outliers',
  nulls: 'rejects',
  parse(raw, at) {
    checkKeys(raw, at, ['columns', 'method', 'fold', 'tail']);
    const method = enumParam(raw['method'], `${at}.method`, ['iqr', 'quantiles'], 'iqr');
    const fold = numberParam(raw['fold'], `${at}.fold`, { def: method === 'iqr' ? 1.5 : 0.05, min: 0 });
    if (method === 'quantiles' && !(fold > 0 && fold < 0.5)) throw new SpecError(`${at}.fold`, `with method 'quantiles' must be in (0, 0.5), got ${fold}`);
    return { columns: stringList(raw['columns'], `${at}.columns`), method, fold, tail: enumParam(raw['tail'], `${at}.tail`, ['both', 'left', 'right'], 'both') };
  },
  reads: (s) => s.columns,
  writes: (s) => s.columns,
  begin: (s, layout, at): Fitter<CapParams> =>
    valueFitter(s.columns, layout, at, (values) => {
      const lower: Record<string, number | null> = Object.create(null) as Record<string, number | null>;
      const upper: Record<string, number | null> = Object.create(null) as Record<string, number | null>;
      for (const c of s.columns) {
        const sorted = (values.get(c) as ValueCollector).sorted();
        let lo: number;
        let hi: number;
        if (s.method === 'iqr') {
          const q1 = quantileSorted(sorted, 0.25);
          const q3 = quantileSorted(sorted, 0.75);
          lo = q1 - s.fold * (q3 - q1);
          hi = q3 + s.fold * (q3 - q1);
        } else {
          lo = quantileSorted(sorted, s.fold);
          hi = quantileSorted(sorted, 1 - s.fold);
        }
        lower[c] = s.tail === 'right' ? null : lo;
        upper[c] = s.tail === 'left' ? null : hi;
      }
      return { type: 'cap_outliers', method: s.method, columns: s.columns, lower, upper };
    }),
  layout: (_p, before) => before,
  apply(p, table) {
    for (const c of p.columns) {
      const lo = p.lower[c] ?? -Infinity;
      const hi = p.upper[c] ?? Infinity;
      const values = table.num(c); // in place: the table owns its arrays
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as number;
        values[i] = v < lo ? lo : v > hi ? hi : v;
      }
    }
  },
};
