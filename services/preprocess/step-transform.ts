/**
 * Skew transforms:
 * - `log` (natural log; needs values > 0) and `log1p` (log(1 + x); needs values > -1): a value
 *   outside the domain is OUT_OF_RANGE in serving and a fit error in training.
 * - `power`: scikit-learn's PowerTransformer(method='yeo-johnson', standardize=True by
 *   default): lambda per column by maximum likelihood (scipy's Brent, bracket (-2, 2)), then a
 *   StandardScaler on the transformed values. Box-Cox is not offered.
 */
import { FitError, SpecError } from './errors.js';
import { brentMinimize } from './brent.js';
import { MeanVar, ValueCollector, numpyVar, pairwiseSum, standardScale } from './stats.js';
import { boolParam, checkKeys, refuseMissing, requireColumns, stringList, valueFitter } from './step-kind.js';
import type { Fitter, StepKind } from './step-kind.js';
import type { Table } from './table.js';

interface ColumnsSpec {
  readonly columns: readonly string[];
}

/** Fitted parameters of log / log1p: nothing but the columns. */
export interface LogParams {
  readonly type: 'log' | 'log1p';
  readonly columns: readonly string[];
}

function logKind(type: 'log' | 'log1p'): StepKind<ColumnsSpec, LogParams> {
  const fn = type === 'log' ? Math.log : Math.log1p;
  const lowest = type === 'log' ? 0 : -1;
  const domain = type === 'log' ? 'log needs values > 0' : 'log1p needs values > -1';
  return {
    type,
    nulls: 'rejects',
    parse(raw, at) {
      checkKeys(raw, at, ['columns']);
      return { columns: stringList(raw['columns'], `${at}.columns`) };
    },
    reads: (s) => s.columns,
    writes: (s) => s.columns,
    begin(s, layout, at): Fitter<LogParams> {
      requireColumns(layout, s.columns, at, 'num');
      return {
        // Stateless, but the training data is checked for values outside the domain.
        needsData: true,
        update(t: Table, first: number) {
          refuseMissing(t, s.columns, first, at);
          for (const c of s.columns) {
            t.num(c).forEach((v, i) => {
              if (!(v > lowest)) throw new FitError(at, c, `value ${v} at data row ${first + i} is outside the domain (${domain})`);
            });
          }
        },
        finish: () => ({ type, columns: s.columns }),
      };
    },
    layout: (_p, before) => before,
    apply(p, table, errors) {
      for (const c of p.columns) {
        const values = table.num(c); // in place: the table owns its arrays
        for (let i = 0; i < values.length; i++) {
          const v = values[i] as number;
          if (v > lowest) values[i] = fn(v);
          else {
            values[i] = NaN;
            if (!Number.isNaN(v)) errors.step(i, c, 'OUT_OF_RANGE', `'${c}': ${v} is outside the domain of ${type} (${domain})`);
          }
        }
      }
    },
  };
}

/** The `log` step kind. */
export const LOG = logKind('log');
/** The `log1p` step kind. */
export const LOG1P = logKind('log1p');

/** Yeo-Johnson transform of one value (sklearn's `_yeo_johnson_transform`). */
export function yeoJohnson(x: number, lambda: number): number {
  if (x >= 0) return Math.abs(lambda) < Number.EPSILON ? Math.log1p(x) : (Math.pow(x + 1, lambda) - 1) / lambda;
  return Math.abs(lambda - 2) > Number.EPSILON ? -(Math.pow(-x + 1, 2 - lambda) - 1) / (2 - lambda) : -Math.log1p(-x);
}

/** The maximum-likelihood lambda (sklearn's `_yeo_johnson_optimize`). */
export function yeoJohnsonLambda(x: Float64Array): number {
  const n = x.length;
  const signedLog = pairwiseSum(x.map((v) => Math.sign(v) * Math.log1p(Math.abs(v))));
  const trans = new Float64Array(n);
  // Evaluated as sklearn does, operation for operation (see pairwiseSum).
  const negLogLikelihood = (lambda: number): number => {
    for (let i = 0; i < n; i++) trans[i] = yeoJohnson(x[i] as number, lambda);
    const variance = numpyVar(trans);
    if (variance < 2.2250738585072014e-308) return Infinity;
    let loglike = (-n / 2) * Math.log(variance);
    loglike += (lambda - 1) * signedLog;
    return -loglike;
  };
  return brentMinimize(negLogLikelihood, -2, 2);
}

interface PowerSpec extends ColumnsSpec {
  readonly standardize: boolean;
}

/** Fitted: sklearn's `lambdas_`, and the scaler's mean_ and scale_ when standardizing. */
export interface PowerParams {
  readonly type: 'power';
  readonly method: 'yeo-johnson';
  readonly columns: readonly string[];
  readonly lambdas: Readonly<Record<string, number>>;
  readonly standardize: boolean;
  readonly mean: Readonly<Record<string, number>>;
  readonly scale: Readonly<Record<string, number>>;
}

/** The `power` step kind (PowerTransformer, Yeo-Johnson). */
export const POWER: StepKind<PowerSpec, PowerParams> = {
  type: 'power',
  nulls: 'rejects',
  parse(raw, at) {
    checkKeys(raw, at, ['columns', 'method', 'standardize']);
    if (raw['method'] !== undefined && raw['method'] !== 'yeo-johnson') throw new SpecError(`${at}.method`, `only 'yeo-johnson' is supported, got ${JSON.stringify(raw['method'])}`);
    return { columns: stringList(raw['columns'], `${at}.columns`), standardize: boolParam(raw['standardize'], `${at}.standardize`, true) };
  },
  reads: (s) => s.columns,
  writes: (s) => s.columns,
  begin: (s, layout, at): Fitter<PowerParams> =>
    valueFitter(s.columns, layout, at, (values) => {
      const lambdas: Record<string, number> = Object.create(null) as Record<string, number>;
      const mean: Record<string, number> = Object.create(null) as Record<string, number>;
      const scale: Record<string, number> = Object.create(null) as Record<string, number>;
      for (const c of s.columns) {
        const x = (values.get(c) as ValueCollector).values();
        if (x.length < 2) throw new FitError(at, c, 'needs at least 2 values in the training data');
        const lambda = yeoJohnsonLambda(x);
        lambdas[c] = lambda;
        const mv = new MeanVar();
        for (const v of x) mv.push(yeoJohnson(v, lambda));
        mean[c] = s.standardize ? mv.mean : 0;
        scale[c] = s.standardize ? standardScale(mv) : 1;
      }
      return { type: 'power', method: 'yeo-johnson', columns: s.columns, lambdas, standardize: s.standardize, mean, scale };
    }),
  layout: (_p, before) => before,
  apply(p, table) {
    for (const c of p.columns) {
      const lambda = p.lambdas[c] as number;
      const m = p.mean[c] as number;
      const sc = p.scale[c] as number;
      const values = table.num(c); // in place: the table owns its arrays
      for (let i = 0; i < values.length; i++) values[i] = (yeoJohnson(values[i] as number, lambda) - m) / sc;
    }
  },
};

