/**
 * Output post-processing (docs/gateway.md "Post-processing"): a model output row → label,
 * score, top-k, values.
 */
import type { Prediction } from '../../shared/generated/mlmesh/gateway/v1/Prediction.js';
import type { OutputSpec } from './spec.js';

function softmax(v: Float64Array): Float64Array {
  let max = -Infinity;
  for (const x of v) if (x > max) max = x;
  const out = new Float64Array(v.length);
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += out[i] = Math.exp((v[i] as number) - max);
  for (let i = 0; i < v.length; i++) out[i] = (out[i] as number) / sum;
  return out;
}

function sigmoid(v: Float64Array): Float64Array {
  return v.map((x) => 1 / (1 + Math.exp(-x)));
}

/** The prediction of one output row (`row`: the model's values; `shape`: without the batch axis). */
export function postprocess(o: OutputSpec, row: Float64Array, shape: readonly number[]): Prediction {
  const values = o.activation === 'softmax' ? softmax(row) : o.activation === 'sigmoid' ? sigmoid(row) : row;
  const base = { values: Array.from(values), shape: shape.map((d, i) => (d < 0 && i === shape.length - 1 ? values.length : d)) };
  if (o.kind === 'raw') return { ...base, label: '', score: 0, class_index: -1, top_k: [] };
  if (o.kind === 'binary') {
    const idx = o.positiveIndex >= 0 ? o.positiveIndex : values.length - 1;
    const score = values[idx] ?? NaN;
    const positive = score >= o.threshold;
    return { ...base, label: o.labels[positive ? 1 : 0] ?? '', score, class_index: positive ? 1 : 0, top_k: [] };
  }
  const order = Array.from(values.keys()).sort((a, b) => (values[b] as number) - (values[a] as number) || a - b);
  const best = order[0] ?? 0;
  return {
    ...base,
    label: o.labels[best] ?? '',
    score: values[best] ?? NaN,
    class_index: best,
    top_k: order.slice(0, o.topK).map((i) => ({ label: o.labels[i] ?? '', score: values[i] as number, index: i })),
  };
}
