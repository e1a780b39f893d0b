/** Tensors (raw little-endian bytes of any numeric datatype) as row-major float64 matrices. */
import { DATATYPES, typedView } from '../../shared/tensors/index.js';
import type { Datatype } from '../../shared/tensors/index.js';

/** A row-major matrix of doubles. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * Converts a tensor to a matrix: the first dimension is rows, the rest flattened to columns
 * (a 1-D tensor is one column).
 * @throws RangeError when the datatype is not numeric or the bytes do not match the shape.
 */
export function tensorToMatrix(datatype: string, shape: readonly number[], raw: Uint8Array): Matrix {
  if (!(datatype in DATATYPES)) throw new RangeError(`unsupported datatype ${datatype}`);
  const dt = datatype as Datatype;
  for (const [i, d] of shape.entries()) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`shape[${i}] is ${d}: dimensions must be non-negative integers`);
  }
  const rows = shape[0] ?? 1;
  const cols = shape.length <= 1 ? 1 : shape.slice(1).reduce((a, b) => a * b, 1);
  const want = rows * cols * DATATYPES[dt].bytes;
  if (raw.byteLength !== want) throw new RangeError(`tensor of shape [${shape.join(', ')}] ${dt} needs ${want} bytes, has ${raw.byteLength}`);
  // Copy into an aligned buffer: raw may sit at any offset of a protobuf message.
  const aligned = new Uint8Array(raw.byteLength);
  aligned.set(raw);
  const view = typedView(dt, aligned.buffer, 0, aligned.byteLength);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    const v = view[i] as number | bigint;
    data[i] = dt === 'FP16' ? halfToFloat(v as number) : Number(v);
  }
  return { rows, cols, data };
}

/** Column `j` of a matrix. */
export function column(m: Matrix, j: number): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = m.data[i * m.cols + j] as number;
  return out;
}

/** Row-wise softmax (for models whose monitored output is logits). */
export function softmaxRows(m: Matrix): Matrix {
  const out = new Float64Array(m.data.length);
  for (let i = 0; i < m.rows; i++) {
    let max = -Infinity;
    for (let j = 0; j < m.cols; j++) max = Math.max(max, m.data[i * m.cols + j] as number);
    let sum = 0;
    for (let j = 0; j < m.cols; j++) {
      const e = Math.exp((m.data[i * m.cols + j] as number) - max);
      out[i * m.cols + j] = e;
      sum += e;
    }
    for (let j = 0; j < m.cols; j++) out[i * m.cols + j] = (out[i * m.cols + j] as number) / sum;
  }
  return { rows: m.rows, cols: m.cols, data: out };
}

/** Index of the largest value of each row and that value. */
export function argmaxRows(m: Matrix): { labels: Int32Array; max: Float64Array } {
  const labels = new Int32Array(m.rows);
  const max = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let best = 0;
    let bv = -Infinity;
    for (let j = 0; j < m.cols; j++) {
      const v = m.data[i * m.cols + j] as number;
      if (v > bv) {
        bv = v;
        best = j;
      }
    }
    labels[i] = best;
    max[i] = bv;
  }
  return { labels, max };
}

/** Rows `indices` of a matrix, as a new matrix. */
export function selectRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  const data = new Float64Array(indices.length * m.cols);
  for (let k = 0; k < indices.length; k++) data.set(m.data.subarray((indices[k] as number) * m.cols, ((indices[k] as number) + 1) * m.cols), k * m.cols);
  return { rows: indices.length, cols: m.cols, data };
}
