/**
 * Digits data for the detector tests and the power bench: the 1,797 scikit-learn digits
 * (test/fixtures/drift/digits_all.npy, made by tools/make_detector_fixtures.py), the held-out
 * reference of digits_mlp, a Gaussian blur equal to scipy.ndimage.gaussian_filter (checked in
 * stats-c2st.test.ts), out-of-distribution images, and the model's outputs (onnxruntime-node).
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { projectRoot } from '../../shared/config/index.js';
import { readNpy } from '../../shared/tensors/index.js';
import type { NpyArray } from '../../shared/tensors/index.js';
import type { Matrix } from '../../services/monitor/matrix.js';

/** A matrix from an FP32 or UINT8 .npy (UINT8 digits pixels scaled by 1/16, as the models take them). */
export function npyMatrix(a: NpyArray): Matrix {
  const copy = new Uint8Array(a.data);
  const rows = a.shape[0] as number;
  const cols = a.shape.slice(1).reduce((x, y) => x * y, 1);
  if (a.datatype === 'UINT8') return { rows, cols, data: Float64Array.from(copy, (v) => v / 16) };
  if (a.datatype !== 'FP32') throw new Error(`npyMatrix: ${a.datatype} not handled`);
  return { rows, cols, data: Float64Array.from(new Float32Array(copy.buffer)) };
}

/** A matrix as an FP32 .npy array (the reference loader's input). */
export function matrixNpy(m: Matrix): NpyArray {
  return { datatype: 'FP32', shape: [m.rows, m.cols], data: new Uint8Array(Float32Array.from(m.data).buffer) };
}

/** All 1,797 digits, [1797, 64] in 0..1. */
export function allDigits(): Matrix {
  return npyMatrix(readNpy(join(projectRoot(), 'test/fixtures/drift/digits_all.npy')));
}

/** The rows `idx` of `m`. */
export function rowsOf(m: Matrix, idx: readonly number[]): Matrix {
  const data = new Float64Array(idx.length * m.cols);
  idx.forEach((r, i) => data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
  return { rows: idx.length, cols: m.cols, data };
}

/** `k` distinct rows of 0..n−1 not in `exclude`, drawn with `rand`. */
export function drawRows(n: number, k: number, rand: () => number, exclude: ReadonlySet<number> = new Set()): number[] {
  const pool = Array.from({ length: n }, (_, i) => i).filter((i) => !exclude.has(i));
  if (k > pool.length) throw new Error(`drawRows: ${k} of ${pool.length}`);
  for (let i = 0; i < k; i++) {
    const r = i + Math.floor(rand() * (pool.length - i));
    [pool[i], pool[r]] = [pool[r] as number, pool[i] as number];
  }
  return pool.slice(0, k);
}

/** scipy.ndimage.gaussian_filter1d's weights (truncate 4.0). */
function gaussWeights(sigma: number): Float64Array {
  const radius = Math.floor(4 * sigma + 0.5);
  const w = Float64Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-0.5 * ((i - radius) / sigma) ** 2));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
}

/** scipy's 'reflect' mode (d c b a | a b c d | d c b a) for an index of a length-n axis. */
function reflect(i: number, n: number): number {
  const period = 2 * n;
  let k = ((i % period) + period) % period;
  if (k >= n) k = period - 1 - k;
  return k;
}

/** Every row, a side × side image, blurred like scipy.ndimage.gaussian_filter(image, sigma). */
export function blur(m: Matrix, sigma: number, side = 8): Matrix {
  const w = gaussWeights(sigma);
  const r = (w.length - 1) / 2;
  const out = new Float64Array(m.data.length);
  const tmp = new Float64Array(side * side);
  for (let row = 0; row < m.rows; row++) {
    const o = row * m.cols;
    // Axis 0 (image rows), then axis 1, as scipy does.
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        let s = 0;
        for (let k = -r; k <= r; k++) s += (w[k + r] as number) * (m.data[o + reflect(y + k, side) * side + x] as number);
        tmp[y * side + x] = s;
      }
    }
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        let s = 0;
        for (let k = -r; k <= r; k++) s += (w[k + r] as number) * (tmp[y * side + reflect(x + k, side)] as number);
        out[o + y * side + x] = s;
      }
    }
  }
  return { rows: m.rows, cols: m.cols, data: out };
}

/** Inverted images, 1 − x (white digits on black become black on white). */
export function invert(m: Matrix): Matrix {
  return { rows: m.rows, cols: m.cols, data: m.data.map((v) => 1 - v) };
}

/** Images of uniform random noise in [0, 1]. */
export function noise(rows: number, cols: number, rand: () => number): Matrix {
  return { rows, cols, data: Float64Array.from({ length: rows * cols }, () => rand()) };
}

/** digits_mlp's reference inputs and outputs (the 100 held-out rows shipped with the model). */
export function digitsReference(): { inputs: Matrix; outputs: Matrix } {
  const dir = join(projectRoot(), 'examples/models/digits_mlp/1/reference');
  return { inputs: npyMatrix(readNpy(join(dir, 'inputs.npy'))), outputs: npyMatrix(readNpy(join(dir, 'outputs.npy'))) };
}

/** Runs digits_mlp (the committed ONNX file) on rows: class probabilities. */
export async function digitsOutputs(x: Matrix): Promise<Matrix> {
  const session = await ort.InferenceSession.create(join(projectRoot(), 'examples/models/digits_mlp/1/model.onnx'));
  try {
    const out = (await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.data), [x.rows, x.cols]) })).probabilities as ort.Tensor;
    return { rows: x.rows, cols: out.dims[1] as number, data: Float64Array.from(out.data as Float32Array) };
  } finally {
    await session.release();
  }
}
