/** The ad-hoc two-sample test (TwoSampleTest RPC): the window detectors on two batches sent by the caller. */
import { InvalidArgumentError, clip } from '../../shared/errors/index.js';
import type { TwoSampleTestRequest__Output } from '../../shared/generated/mlmesh/monitor/v1/TwoSampleTestRequest.js';
import type { TwoSampleTestResponse } from '../../shared/generated/mlmesh/monitor/v1/TwoSampleTestResponse.js';
import type { Matrix__Output } from '../../shared/generated/mlmesh/monitor/v1/Matrix.js';
import type { DetectorRunner } from './engine.js';
import type { Matrix } from './matrix.js';
import { buildReference } from './reference.js';
import type { ModelMonitoring } from './model-monitoring.js';
import { KERNELS, seedOf } from './stats/index.js';
import type { Kernel } from './stats/index.js';
import { createHash } from 'node:crypto';

/** Largest reference + test rows accepted (KS uses them all; MMD subsamples each to mmdMaxRows). */
export const MAX_TWO_SAMPLE_ROWS = 10_000;
/** Largest permutation count accepted. */
export const MAX_PERMUTATIONS = 100_000;
/**
 * Work budget of one ad-hoc MMD: permutations × (smaller sample's rows)², about 5 s of one core
 * here. Larger requests are refused up front instead of holding a worker for minutes.
 */
export const MMD_WORK_BUDGET = 2.5e9;

/**
 * Runs ad-hoc tests (a pool separate from the windows' so an offline request never delays a
 * window), refusing with RESOURCE_EXHAUSTED when its queue is full.
 */
export type AdhocRunner = DetectorRunner;
const OFFLINE_DETECTORS = ['ks', 'chi2', 'mmd'] as const;

function matrix(m: Matrix__Output | null, field: string): Matrix {
  if (!m) throw new InvalidArgumentError(`${field}: required`);
  if (m.rows < 2) throw new InvalidArgumentError(`${field}.rows: must be >= 2, got ${m.rows}`);
  if (m.cols < 1) throw new InvalidArgumentError(`${field}.cols: must be >= 1, got ${m.cols}`);
  if (m.data.byteLength !== m.rows * m.cols * 4) throw new InvalidArgumentError(`${field}.data: ${m.data.byteLength} bytes, rows × cols float32 needs ${m.rows * m.cols * 4}`);
  const copy = new Uint8Array(m.data);
  const f = new Float32Array(copy.buffer);
  for (let i = 0; i < f.length; i++) if (!Number.isFinite(f[i] as number)) throw new InvalidArgumentError(`${field}.data: value ${i} (row ${Math.floor(i / m.cols)}) is not finite`);
  return { rows: m.rows, cols: m.cols, data: Float64Array.from(f) };
}

/**
 * Validates the request and runs the detectors.
 * @throws InvalidArgumentError naming the field.
 */
export async function twoSampleTest(req: TwoSampleTestRequest__Output, detect: AdhocRunner, signal: AbortSignal, mmdMaxRows: number): Promise<TwoSampleTestResponse> {
  const ref = matrix(req.reference, 'reference');
  const test = matrix(req.test, 'test');
  if (test.cols !== ref.cols) throw new InvalidArgumentError(`test.cols: ${test.cols}, reference.cols is ${ref.cols}`);
  if (ref.rows + test.rows > MAX_TWO_SAMPLE_ROWS) throw new InvalidArgumentError(`reference.rows + test.rows: ${ref.rows + test.rows} exceeds the limit of ${MAX_TWO_SAMPLE_ROWS}`);
  const detectors = req.detectors.length ? req.detectors : ['ks', 'mmd'];
  detectors.forEach((d, i) => {
    if (!(OFFLINE_DETECTORS as readonly string[]).includes(d)) throw new InvalidArgumentError(`detectors[${i}]: ${clip(JSON.stringify(d))} is not one of ${OFFLINE_DETECTORS.join(', ')}`);
  });
  req.categorical_columns.forEach((c, i) => {
    if (c < 0 || c >= ref.cols) throw new InvalidArgumentError(`categorical_columns[${i}]: ${c} is not a column (0..${ref.cols - 1})`);
  });
  if (req.feature_names.length && req.feature_names.length !== ref.cols) throw new InvalidArgumentError(`feature_names: ${req.feature_names.length} names for ${ref.cols} columns`);
  const alpha = req.alpha === 0 ? 0.05 : req.alpha;
  if (!(alpha > 0 && alpha < 1)) throw new InvalidArgumentError(`alpha: must be in (0, 1), got ${req.alpha}`);
  const correction = req.correction === '' ? 'bonferroni' : req.correction;
  if (!['bonferroni', 'bh', 'none'].includes(correction)) throw new InvalidArgumentError(`correction: must be bonferroni, bh or none, got ${clip(JSON.stringify(req.correction))}`);
  const kernel = req.kernel === '' ? 'gaussian' : req.kernel;
  if (!(KERNELS as readonly string[]).includes(kernel)) throw new InvalidArgumentError(`kernel: must be one of ${KERNELS.join(', ')}, got ${clip(JSON.stringify(req.kernel))}`);
  const permutations = req.permutations === 0 ? 1000 : req.permutations;
  if (permutations < 1 || permutations > MAX_PERMUTATIONS) throw new InvalidArgumentError(`permutations: must be in 1..${MAX_PERMUTATIONS}, got ${req.permutations}`);
  if (detectors.includes('mmd')) {
    const small = Math.min(ref.rows, test.rows, mmdMaxRows);
    if (permutations * small * small > MMD_WORK_BUDGET) {
      throw new InvalidArgumentError(`permutations: ${permutations} × ${small}² rows exceeds the MMD work budget of ${MMD_WORK_BUDGET.toExponential(1)}; use at most ${Math.floor(MMD_WORK_BUDGET / (small * small))} permutations`);
    }
  }
  const names = req.feature_names.length ? [...req.feature_names] : Array.from({ length: ref.cols }, (_, i) => `f${i}`);
  const mon: ModelMonitoring = {
    input: undefined, output: undefined, outputKind: 'none', featureNames: names,
    categorical: [...new Set(req.categorical_columns)].map((c) => names[c] as string),
    windowRows: test.rows, windowSeconds: 0, minWindowRows: 2, alpha, correction: correction as 'bonferroni', detectors: [],
    kernel: kernel as Kernel, permutations, consecutiveWindows: 1, cooldownSeconds: 0,
  };
  const f32 = new Float32Array(ref.data);
  const hash = createHash('sha256').update(new Uint8Array(f32.buffer)).digest('hex');
  const reference = buildReference('adhoc', '1', { datatype: 'FP32', shape: [ref.rows, ref.cols], data: new Uint8Array(f32.buffer) }, undefined, mon, { inputs: hash, outputs: null }, null);
  const seed = req.seed !== 0 ? String(req.seed) : `${hash}/${seedOf(String(test.data[0]))}`;
  const job = detect(reference, { inputs: test, outputs: undefined }, { detectors: detectors as Array<'ks'>, alpha, correction: correction as 'bonferroni', kernel: kernel as Kernel, permutations, mmdMaxRows, seed });
  // The caller's deadline or cancel ends the call at once; the job itself runs to its end in
  // the worker (a synchronous loop cannot be interrupted), bounded by MMD_WORK_BUDGET.
  const v = await new Promise<Awaited<typeof job>>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    job.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
  return { drifted: v.drifted, detectors: v.results };
}
