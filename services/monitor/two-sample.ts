/**
 * The ad-hoc two-sample test (TwoSampleTest RPC): the live path's detectors — ks, chi2, mmd on
 * the inputs, bbsd, confidence, predicted_class on the model's outputs — on two batches sent by
 * the caller, with the same family-wise decision. Limits (each refused with INVALID_ARGUMENT
 * naming the field, before any work):
 *
 * - at most {@link MAX_SAMPLE_ROWS} rows per sample and {@link MAX_TWO_SAMPLE_VALUES} values in
 *   all (inputs and outputs of both samples), so KS's asymptotic branch (a sample over 10,000
 *   values) is reachable and a request stays well under the 64 MiB message limit;
 * - exact KS (both samples ≤ 10,000 rows): KS-tested columns × reference rows × test rows ≤
 *   {@link KS_EXACT_WORK_BUDGET} (the lattice recursion's worst case, ~8 s of a core);
 * - MMD: permutations ≤ {@link MAX_PERMUTATIONS} and permutations × rows² ≤
 *   {@link MMD_WORK_BUDGET}, rows capped at mmdMaxRows (seeded subsamples).
 */
import { InvalidArgumentError, clip } from '../../shared/errors/index.js';
import type { TwoSampleTestRequest__Output } from '../../shared/generated/mlmesh/monitor/v1/TwoSampleTestRequest.js';
import type { TwoSampleTestResponse } from '../../shared/generated/mlmesh/monitor/v1/TwoSampleTestResponse.js';
import type { Matrix__Output } from '../../shared/generated/mlmesh/monitor/v1/Matrix.js';
import { DETECTORS } from './config.js';
import type { DetectorName } from './config.js';
import { DEFAULT_C2ST } from './detectors.js';
import { C2ST_WORK_BUDGET, c2stWork } from './c2st-settings.js';
import type { C2stSettings, DetectorCorrection } from './detectors.js';
import type { DetectorRunner } from './engine.js';
import { softmaxRows } from './matrix.js';
import type { Matrix } from './matrix.js';
import { buildReference } from './reference.js';
import type { ModelMonitoring } from './model-monitoring.js';
import { KERNELS, KS_EXACT_MAX_N, seedOf } from './stats/index.js';
import type { Correction, Kernel } from './stats/index.js';
import { createHash } from 'node:crypto';

/** Largest number of rows in one sample (reference or test). */
export const MAX_SAMPLE_ROWS = 1_000_000;
/** Largest number of values in one request: (reference rows + test rows) × (input + output columns). */
export const MAX_TWO_SAMPLE_VALUES = 10_000_000;
/** Work budget of exact KS: KS-tested columns (ks features + bbsd classes) × reference rows × test rows. */
export const KS_EXACT_WORK_BUDGET = 1e9;
/** Largest permutation count accepted. */
export const MAX_PERMUTATIONS = 100_000;
/**
 * Work budget of one ad-hoc MMD: permutations × (smaller sample's rows)², about 5 s of one core
 * here. Larger requests are refused up front instead of holding a worker for minutes.
 */
export const MMD_WORK_BUDGET = 2.5e9;
/** Work budget of one C2ST (c2st-settings.ts), the same as the live windows'. */
export { C2ST_WORK_BUDGET } from './c2st-settings.js';

/**
 * Runs ad-hoc tests (a pool separate from the windows' so an offline request never delays a
 * window), refusing with RESOURCE_EXHAUSTED when its queue is full.
 */
export type AdhocRunner = DetectorRunner;

const OUTPUT_DETECTORS: readonly DetectorName[] = ['bbsd', 'confidence', 'predicted_class'];

function matrix(m: Matrix__Output | null, field: string): Matrix {
  if (!m) throw new InvalidArgumentError(`${field}: required`);
  if (m.rows < 2) throw new InvalidArgumentError(`${field}.rows: must be >= 2, got ${m.rows}`);
  if (m.rows > MAX_SAMPLE_ROWS) throw new InvalidArgumentError(`${field}.rows: ${m.rows} exceeds the limit of ${MAX_SAMPLE_ROWS} rows per sample`);
  if (m.cols < 1) throw new InvalidArgumentError(`${field}.cols: must be >= 1, got ${m.cols}`);
  if (m.data.byteLength !== m.rows * m.cols * 4) throw new InvalidArgumentError(`${field}.data: ${m.data.byteLength} bytes, rows × cols float32 needs ${m.rows * m.cols * 4}`);
  const copy = new Uint8Array(m.data);
  const f = new Float32Array(copy.buffer);
  for (let i = 0; i < f.length; i++) if (!Number.isFinite(f[i])) throw new InvalidArgumentError(`${field}.data: value ${i} (row ${Math.floor(i / m.cols)}) is not finite`);
  return { rows: m.rows, cols: m.cols, data: Float64Array.from(f) };
}

function oneOf<T extends string>(value: string, dflt: T, values: readonly T[], field: string): T {
  const v = value === '' ? dflt : value;
  if (!(values as readonly string[]).includes(v)) throw new InvalidArgumentError(`${field}: must be one of ${values.join(', ')}, got ${clip(JSON.stringify(value))}`);
  return v as T;
}

/** The model's outputs on both samples, or undefined when neither was sent. */
function outputsOf(req: TwoSampleTestRequest__Output, ref: Matrix, test: Matrix): { ref: Matrix; test: Matrix } | undefined {
  if (!req.reference_outputs && !req.test_outputs) return undefined;
  const r = matrix(req.reference_outputs, 'reference_outputs');
  const t = matrix(req.test_outputs, 'test_outputs');
  if (r.rows !== ref.rows) throw new InvalidArgumentError(`reference_outputs.rows: ${r.rows}, reference.rows is ${ref.rows} (one output row per input row)`);
  if (t.rows !== test.rows) throw new InvalidArgumentError(`test_outputs.rows: ${t.rows}, test.rows is ${test.rows} (one output row per input row)`);
  if (t.cols !== r.cols) throw new InvalidArgumentError(`test_outputs.cols: ${t.cols}, reference_outputs.cols is ${r.cols}`);
  return { ref: r, test: t };
}

/**
 * Validates the request and runs the detectors.
 * @throws InvalidArgumentError naming the field.
 */
export async function twoSampleTest(req: TwoSampleTestRequest__Output, detect: AdhocRunner, signal: AbortSignal, mmdMaxRows: number, c2st: C2stSettings = DEFAULT_C2ST): Promise<TwoSampleTestResponse> {
  const ref = matrix(req.reference, 'reference');
  const test = matrix(req.test, 'test');
  if (test.cols !== ref.cols) throw new InvalidArgumentError(`test.cols: ${test.cols}, reference.cols is ${ref.cols}`);
  const outputs = outputsOf(req, ref, test);
  const values = (ref.rows + test.rows) * (ref.cols + (outputs?.ref.cols ?? 0));
  if (values > MAX_TWO_SAMPLE_VALUES) throw new InvalidArgumentError(`reference, test: ${values} values in all (rows × columns, outputs included) exceed the limit of ${MAX_TWO_SAMPLE_VALUES}`);
  req.categorical_columns.forEach((c, i) => {
    if (c < 0 || c >= ref.cols) throw new InvalidArgumentError(`categorical_columns[${i}]: ${c} is not a column (0..${ref.cols - 1})`);
  });
  const categorical = [...new Set(req.categorical_columns)];
  const numericCols = ref.cols - categorical.length;
  const detectors: DetectorName[] = req.detectors.length
    ? req.detectors.map((d, i) => {
        if (!(DETECTORS as readonly string[]).includes(d)) throw new InvalidArgumentError(`detectors[${i}]: ${clip(JSON.stringify(d))} is not one of ${DETECTORS.join(', ')}`);
        if (!outputs && OUTPUT_DETECTORS.includes(d as DetectorName)) throw new InvalidArgumentError(`detectors[${i}]: ${d} tests the model's outputs: send reference_outputs and test_outputs`);
        return d as DetectorName;
      })
    : [...(numericCols > 0 ? (['ks'] as const) : []), ...(categorical.length ? (['chi2'] as const) : []), 'mmd', ...(outputs ? OUTPUT_DETECTORS : [])];
  if (req.feature_names.length && req.feature_names.length !== ref.cols) throw new InvalidArgumentError(`feature_names: ${req.feature_names.length} names for ${ref.cols} columns`);
  const alpha = req.alpha === 0 ? 0.05 : req.alpha;
  if (!(alpha > 0 && alpha < 1)) throw new InvalidArgumentError(`alpha: must be in (0, 1), got ${req.alpha}`);
  const correction = oneOf<Correction>(req.correction, 'bonferroni', ['bonferroni', 'bh', 'none'], 'correction');
  const kernel = oneOf<Kernel>(req.kernel, 'gaussian', KERNELS, 'kernel');
  const outputKind = oneOf(req.output_kind, 'probabilities', ['probabilities', 'logits', 'regression'] as const, 'output_kind');
  const detectorCorrection = oneOf<DetectorCorrection>(req.detector_correction, 'holm', ['holm', 'none'], 'detector_correction');
  if (!(Number.isFinite(req.length_scale) && req.length_scale >= 0)) throw new InvalidArgumentError(`length_scale: must be a finite number >= 0 (0: the median heuristic), got ${req.length_scale}`);
  const permutations = req.permutations === 0 ? 1000 : req.permutations;
  if (permutations < 1 || permutations > MAX_PERMUTATIONS) throw new InvalidArgumentError(`permutations: must be in 1..${MAX_PERMUTATIONS}, got ${req.permutations}`);
  if (detectors.includes('mmd')) {
    const small = Math.min(ref.rows, test.rows, mmdMaxRows);
    if (permutations * small * small > MMD_WORK_BUDGET) {
      throw new InvalidArgumentError(`permutations: ${permutations} × ${small}² rows exceeds the MMD work budget of ${MMD_WORK_BUDGET.toExponential(1)}; use at most ${Math.floor(MMD_WORK_BUDGET / (small * small))} permutations`);
    }
  }
  if (detectors.includes('c2st')) {
    const m = Math.min(ref.rows, test.rows, c2st.maxRows);
    const { work, crossValidations: cvs } = c2stWork(m, ref.cols, c2st);
    if (work > C2ST_WORK_BUDGET) throw new InvalidArgumentError(`detectors: c2st on ${m} rows per sample × ${ref.cols} columns (${cvs} cross-validations of ${c2st.folds} folds) exceeds its work budget of ${C2ST_WORK_BUDGET.toExponential(1)}; send fewer rows or columns`);
    if (Math.min(ref.rows, test.rows) < c2st.folds) throw new InvalidArgumentError(`reference.rows, test.rows: c2st needs at least ${c2st.folds} rows per sample (one per fold)`);
  }
  const ksCols = (detectors.includes('ks') ? numericCols : 0) + (detectors.includes('bbsd') ? (outputs?.ref.cols ?? 0) : 0);
  if (Math.max(ref.rows, test.rows) <= KS_EXACT_MAX_N && ksCols * ref.rows * test.rows > KS_EXACT_WORK_BUDGET) {
    throw new InvalidArgumentError(`reference.rows, test.rows: exact KS on ${ksCols} columns × ${ref.rows} × ${test.rows} rows exceeds its work budget of ${KS_EXACT_WORK_BUDGET.toExponential(1)}; send fewer rows or columns (a sample over ${KS_EXACT_MAX_N} rows takes the asymptotic p-value)`);
  }
  const names = req.feature_names.length ? [...req.feature_names] : Array.from({ length: ref.cols }, (_, i) => `f${i}`);
  const mon: ModelMonitoring = {
    input: undefined, output: undefined, outputKind: outputs ? outputKind : 'none', featureNames: names,
    categorical: categorical.map((c) => names[c] as string),
    windowRows: test.rows, windowSeconds: 0, minWindowRows: 2, alpha, correction, detectors, detectorCorrection,
    kernel, permutations, consecutiveWindows: 1, cooldownSeconds: 0,
  };
  const f32 = new Float32Array(ref.data);
  const hash = createHash('sha256').update(new Uint8Array(f32.buffer)).digest('hex');
  const out32 = outputs ? new Float32Array(outputs.ref.data) : undefined;
  const outHash = out32 ? createHash('sha256').update(new Uint8Array(out32.buffer)).digest('hex') : null;
  const reference = buildReference(
    'adhoc', '1',
    { datatype: 'FP32', shape: [ref.rows, ref.cols], data: new Uint8Array(f32.buffer) },
    out32 && outputs ? { datatype: 'FP32', shape: [outputs.ref.rows, outputs.ref.cols], data: new Uint8Array(out32.buffer) } : undefined,
    mon, { inputs: hash, outputs: outHash }, null,
  );
  const testOutputs = outputs ? (outputKind === 'logits' ? softmaxRows(outputs.test) : outputs.test) : undefined;
  const seed = req.seed !== 0 ? String(req.seed) : `${hash}/${seedOf(String(test.data[0]))}`;
  const job = detect(reference, { inputs: test, outputs: testOutputs }, {
    detectors, alpha, correction, detectorCorrection, kernel, permutations, mmdMaxRows, seed, c2st, outputKind: outputs ? outputKind : 'none',
    lengthScale: req.length_scale > 0 ? req.length_scale : undefined,
  });
  // The caller's deadline or cancel ends the call at once; the job itself runs to its end in
  // the worker (a synchronous loop cannot be interrupted), bounded by the work budgets.
  const v = await new Promise<Awaited<typeof job>>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    job.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
  return { drifted: v.drifted, detectors: v.results };
}
