/**
 * Scalers with scikit-learn's semantics:
 * - `standard_scale`: StandardScaler, (x − mean) / std with the population std (ddof 0); a
 *   zero std becomes 1. Streams (Welford): no values kept.
 * - `min_max_scale`: MinMaxScaler, x·scale + min with scale = (b − a) / (max − min) for
 *   `feature_range` [a, b] (default [0, 1]); a zero range becomes 1. Streams.
 * - `robust_scale`: RobustScaler, (x − median) / (q_hi − q_lo) for `quantile_range` (default
 *   [25, 75], numpy's linear interpolation); a zero range becomes 1. Keeps the column's values.
 */
import { SpecError } from './errors.js';
import { MeanVar, ValueCollector, handleZeroScale, medianSorted, quantileSorted, standardScale } from './stats.js';
import { boolParam, checkKeys, refuseMissing, requireColumns, stringList } from './step-kind.js';
import type { Fitter, SpecObject, StepKind } from './step-kind.js';
import type { Table } from './table.js';

/** Fitted parameters of every scaler: x ↦ (x − offset[c]) / scale[c]. */
export interface ScaleParams {
  readonly type: 'standard_scale' | 'min_max_scale' | 'robust_scale';
  readonly columns: readonly string[];
  /** sklearn's mean_ / center_ (0 when not centering); for min-max: data_min_ − a / scale_. */
  readonly offset: Readonly<Record<string, number>>;
  /** sklearn's scale_ for standard and robust; for min-max: 1 / scale_. */
  readonly scale: Readonly<Record<string, number>>;
  /** Extra fitted statistics, as sklearn names them (for inspection and parity checks). */
  readonly fitted: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

interface ScaleSpec {
  readonly columns: readonly string[];
  readonly a: number;
  readonly b: number;
  readonly center: boolean;
  readonly scale: boolean;
}

function pair(raw: unknown, field: string, def: [number, number], lo: number, hi: number): [number, number] {
  if (raw === undefined) return def;
  if (!Array.isArray(raw) || raw.length !== 2 || !raw.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new SpecError(field, 'must be a list of two numbers');
  const [a, b] = raw as [number, number];
  if (!(a < b) || a < lo || b > hi) throw new SpecError(field, `must be [a, b] with ${lo} <= a < b <= ${hi}, got [${a}, ${b}]`);
  return [a, b];
}

type ScaleType = ScaleParams['type'];

function parseScale(type: ScaleType, raw: SpecObject, at: string): ScaleSpec {
  const columns = stringList(raw['columns'], `${at}.columns`);
  if (type === 'standard_scale') {
    checkKeys(raw, at, ['columns', 'with_mean', 'with_std']);
    return { columns, a: 0, b: 1, center: boolParam(raw['with_mean'], `${at}.with_mean`, true), scale: boolParam(raw['with_std'], `${at}.with_std`, true) };
  }
  if (type === 'min_max_scale') {
    checkKeys(raw, at, ['columns', 'feature_range']);
    const [a, b] = pair(raw['feature_range'], `${at}.feature_range`, [0, 1], -Infinity, Infinity);
    return { columns, a, b, center: true, scale: true };
  }
  checkKeys(raw, at, ['columns', 'quantile_range', 'with_centering', 'with_scaling']);
  const [a, b] = pair(raw['quantile_range'], `${at}.quantile_range`, [25, 75], 0, 100);
  return { columns, a, b, center: boolParam(raw['with_centering'], `${at}.with_centering`, true), scale: boolParam(raw['with_scaling'], `${at}.with_scaling`, true) };
}

function fitColumn(type: ScaleType, s: ScaleSpec, mv: MeanVar, values: ValueCollector | undefined): { offset: number; scale: number; fitted: Record<string, number> } {
  if (type === 'standard_scale') {
    const std = standardScale(mv);
    return { offset: s.center ? mv.mean : 0, scale: s.scale ? std : 1, fitted: { mean_: mv.mean, var_: mv.variance, scale_: std } };
  }
  if (type === 'min_max_scale') {
    const scale = (s.b - s.a) / handleZeroScale(mv.max - mv.min);
    const min = s.a - mv.min * scale;
    // x·scale + min = (x − (−min/scale)) / (1/scale)
    return { offset: -min / scale, scale: 1 / scale, fitted: { data_min_: mv.min, data_max_: mv.max, scale_: scale, min_: min } };
  }
  const sorted = (values as ValueCollector).sorted();
  const center = medianSorted(sorted);
  const iqr = handleZeroScale(quantileSorted(sorted, s.b / 100) - quantileSorted(sorted, s.a / 100));
  return { offset: s.center ? center : 0, scale: s.scale ? iqr : 1, fitted: { center_: center, scale_: iqr } };
}

function scaleKind(type: ScaleType): StepKind<ScaleSpec, ScaleParams> {
  return {
    type,
    nulls: 'rejects',
    parse: (raw, at) => parseScale(type, raw, at),
    reads: (s) => s.columns,
    writes: (s) => s.columns,
    begin(s, layout, at): Fitter<ScaleParams> {
      requireColumns(layout, s.columns, at, 'num');
      const acc = new Map(s.columns.map((c) => [c, { mv: new MeanVar(), values: type === 'robust_scale' ? new ValueCollector() : undefined }]));
      return {
        needsData: true,
        update(t: Table, first: number) {
          refuseMissing(t, s.columns, first, at);
          for (const c of s.columns) {
            const a = acc.get(c);
            if (!a) continue;
            for (const v of t.num(c)) {
              a.mv.push(v);
              a.values?.push(v);
            }
          }
        },
        finish() {
          const offset: Record<string, number> = Object.create(null) as Record<string, number>;
          const scale: Record<string, number> = Object.create(null) as Record<string, number>;
          const fitted: Record<string, Record<string, number>> = Object.create(null) as Record<string, Record<string, number>>;
          for (const c of s.columns) {
            const a = acc.get(c);
            if (!a) continue;
            const f = fitColumn(type, s, a.mv, a.values);
            offset[c] = f.offset;
            scale[c] = f.scale;
            fitted[c] = f.fitted;
          }
          return { type, columns: s.columns, offset, scale, fitted };
        },
      };
    },
    layout: (_p, before) => before,
    apply(p, table) {
      for (const c of p.columns) {
        const o = p.offset[c] as number;
        const sc = p.scale[c] as number;
        const values = table.num(c); // in place: the table owns its arrays
        if (p.type === 'min_max_scale') {
          // sklearn computes x·scale_ + min_: do the same so results match to the last bit.
          const k = p.fitted[c]?.['scale_'] as number;
          const m = p.fitted[c]?.['min_'] as number;
          for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) * k + m;
        } else for (let i = 0; i < values.length; i++) values[i] = ((values[i] as number) - o) / sc;
      }
    },
  };
}

/** The `standard_scale` step kind (StandardScaler). */
export const STANDARD_SCALE = scaleKind('standard_scale');
/** The `min_max_scale` step kind (MinMaxScaler). */
export const MIN_MAX_SCALE = scaleKind('min_max_scale');
/** The `robust_scale` step kind (RobustScaler). */
export const ROBUST_SCALE = scaleKind('robust_scale');
