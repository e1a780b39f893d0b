/**
 * The gate's metrics: a model's outputs on the holdout scored per slice (reference-like base
 * rows, drifted logged rows), and two slices combined into the whole holdout.
 */
import { InvalidArgumentError } from '../../shared/errors/index.js';
import type { SliceMetrics } from './types.js';

/** Probabilities are clipped to [LOG_LOSS_EPS, 1] before the log (scikit-learn's convention). */
export const LOG_LOSS_EPS = 1e-15;

/** A slice with no rows. */
export function emptySlice(): SliceMetrics {
  return { rows: 0, accuracy: 0, log_loss: 0, per_class_recall: {}, rmse: 0, mae: 0 };
}

/** How to read a model's output. */
export interface ScoreSpec {
  task: 'classification' | 'regression';
  outputKind: 'probabilities' | 'logits' | 'value';
  /** Class labels in index order; null: "0".."K-1". */
  classes: string[] | null;
}

/**
 * Scores the rows of `mask` (true: in the slice).
 * Classification: accuracy (argmax), log loss (probabilities clipped to [1e-15, 1]; logits are
 * softmaxed first), recall per class label for each class with rows in the slice.
 * Regression: RMSE and MAE of the output's single column.
 * @param out rows × width model outputs
 * @throws InvalidArgumentError when the output's width does not fit the task or the classes.
 */
export function scoreSlice(spec: ScoreSpec, out: Float32Array, width: number, y: Float64Array, mask: (i: number) => boolean): SliceMetrics {
  const rows = y.length;
  const m = emptySlice();
  // An empty holdout has no output to check the width of.
  if (rows === 0) return m;
  if (spec.task === 'regression') {
    if (width !== 1) throw new InvalidArgumentError(`output: a regressor's output must have one value per row, has ${width}`, { field: 'output' });
    let se = 0;
    let ae = 0;
    for (let i = 0; i < rows; i++) {
      if (!mask(i)) continue;
      const d = (out[i] as number) - (y[i] as number);
      se += d * d;
      ae += Math.abs(d);
      m.rows++;
    }
    if (m.rows > 0) {
      m.rmse = Math.sqrt(se / m.rows);
      m.mae = ae / m.rows;
    }
    return m;
  }
  if (spec.outputKind === 'value') throw new InvalidArgumentError("output_kind: a classifier's output must be 'probabilities' or 'logits'", { field: 'output_kind' });
  const k = spec.classes?.length ?? width;
  if (width !== k || k < 2) throw new InvalidArgumentError(`output: has ${width} columns, the model has ${k} classes`, { field: 'output' });
  const labels = spec.classes ?? Array.from({ length: k }, (_, c) => String(c));
  const perClassRows = new Float64Array(k);
  const perClassHits = new Float64Array(k);
  const p = new Float64Array(k);
  let hits = 0;
  let loss = 0;
  for (let i = 0; i < rows; i++) {
    if (!mask(i)) continue;
    const t = y[i] as number;
    if (!Number.isInteger(t) || t < 0 || t >= k) throw new InvalidArgumentError(`holdout.y[${i}]: ${t} is not a class index in 0..${k - 1}`, { field: 'holdout.y' });
    for (let c = 0; c < k; c++) p[c] = out[i * k + c] as number;
    if (spec.outputKind === 'logits') softmaxInPlace(p);
    let best = 0;
    for (let c = 1; c < k; c++) if ((p[c] as number) > (p[best] as number)) best = c;
    m.rows++;
    perClassRows[t] = (perClassRows[t] as number) + 1;
    if (best === t) {
      hits++;
      perClassHits[t] = (perClassHits[t] as number) + 1;
    }
    loss -= Math.log(Math.min(1, Math.max(LOG_LOSS_EPS, p[t] as number)));
  }
  if (m.rows === 0) return m;
  m.accuracy = hits / m.rows;
  m.log_loss = loss / m.rows;
  for (let c = 0; c < k; c++) {
    const n = perClassRows[c] as number;
    if (n > 0) m.per_class_recall[labels[c] as string] = (perClassHits[c] as number) / n;
  }
  return m;
}

function softmaxInPlace(p: Float64Array): void {
  let max = -Infinity;
  for (const v of p) if (v > max) max = v;
  let sum = 0;
  for (let c = 0; c < p.length; c++) {
    p[c] = Math.exp((p[c] as number) - max);
    sum += p[c] as number;
  }
  for (let c = 0; c < p.length; c++) p[c] = (p[c] as number) / sum;
}

/**
 * Two disjoint slices as one (the whole holdout from its reference and drifted slices). Every
 * metric is a mean over rows, so the combination is exact: accuracy, log loss and MAE weighted
 * by rows, RMSE through its mean square. Per-class recall is left empty: a slice does not keep
 * its rows per class, which weighting it would need.
 */
export function combineSlices(a: SliceMetrics, b: SliceMetrics): SliceMetrics {
  const n = a.rows + b.rows;
  if (n === 0) return emptySlice();
  const w = (x: number, y: number): number => (x * a.rows + y * b.rows) / n;
  return {
    rows: n,
    accuracy: w(a.accuracy, b.accuracy),
    log_loss: w(a.log_loss, b.log_loss),
    per_class_recall: {},
    rmse: Math.sqrt(w(a.rmse * a.rmse, b.rmse * b.rmse)),
    mae: w(a.mae, b.mae),
  };
}

/**
 * The paired outcome of two models on the rows of `mask`: rows where only `a` is right and rows
 * where only `b` is (classifier: argmax equals the label), or, for a regressor, rows where `a`'s
 * absolute error is the smaller and rows where `b`'s is (ties count for neither). The input of
 * the gate's paired test on the drifted rows.
 */
export function pairedWins(spec: ScoreSpec, a: { data: Float32Array; width: number }, b: { data: Float32Array; width: number }, y: Float64Array, mask: (i: number) => boolean): { aBetter: number; bBetter: number } {
  let aBetter = 0;
  let bBetter = 0;
  const argmax = (o: { data: Float32Array; width: number }, i: number): number => {
    let best = 0;
    for (let c = 1; c < o.width; c++) if ((o.data[i * o.width + c] as number) > (o.data[i * o.width + best] as number)) best = c;
    return best;
  };
  for (let i = 0; i < y.length; i++) {
    if (!mask(i)) continue;
    if (spec.task === 'regression') {
      const ea = Math.abs((a.data[i * a.width] as number) - (y[i] as number));
      const eb = Math.abs((b.data[i * b.width] as number) - (y[i] as number));
      if (ea < eb) aBetter++;
      else if (eb < ea) bBetter++;
    } else {
      const ra = argmax(a, i) === y[i];
      const rb = argmax(b, i) === y[i];
      if (ra && !rb) aBetter++;
      else if (rb && !ra) bBetter++;
    }
  }
  return { aBetter, bBetter };
}
