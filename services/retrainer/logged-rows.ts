/**
 * The rows a PredictionLog gives a dataset: the watched input tensor (by name) as rows ×
 * feature_count float32, the first dimension being rows and the rest flattened (as the monitor's
 * tensorToMatrix reads it). Every reason to give none is a named outcome the caller counts.
 */
import type { PredictionLog__Output } from '../../shared/events/index.js';
import { DATATYPES, fromHalfBits, isDatatype, typedView } from '../../shared/tensors/index.js';

/** Why a log gave no rows. */
export type LogSkip = 'other_model' | 'shadow' | 'inputs_omitted' | 'missing_tensor' | 'wrong_width' | 'malformed' | 'non_finite';

/** The rows of one log: `rows` × featureCount values, row-major. */
export interface LogRows {
  rows: number;
  x: Float32Array;
}

/** The input rows of a log for `model`, or why there are none. */
export function logRows(log: PredictionLog__Output, model: string, input: string, featureCount: number): LogRows | LogSkip {
  // Subject tokens replace special characters: the log names its model exactly.
  if (log.model !== model) return 'other_model';
  // A shadow copy repeats its request's inputs (same request id): the served log counts once.
  if (log.shadow) return 'shadow';
  if (log.inputs_omitted) return 'inputs_omitted';
  const t = log.inputs.find((i) => i.name === input);
  if (!t) return 'missing_tensor';
  if (!isDatatype(t.datatype) || t.datatype === 'BOOL') return 'malformed';
  const shape = t.shape.map(Number);
  if (shape.length === 0 || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) return 'malformed';
  const rows = shape[0] as number;
  const cols = shape.length === 1 ? 1 : shape.slice(1).reduce((a, b) => a * b, 1);
  if (cols !== featureCount) return 'wrong_width';
  const dt = t.datatype;
  const want = rows * cols * DATATYPES[dt].bytes;
  if (t.raw.byteLength !== want) return 'malformed';
  // Copy into an aligned buffer: raw may sit at any offset of the protobuf message.
  const aligned = new Uint8Array(want);
  aligned.set(t.raw);
  const view = typedView(dt, aligned.buffer, 0, want);
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < x.length; i++) {
    const v = view[i] as number | bigint;
    x[i] = dt === 'FP16' ? fromHalfBits(v as number) : Number(v);
    if (!Number.isFinite(x[i])) return 'non_finite';
  }
  return { rows, x };
}
