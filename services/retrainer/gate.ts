/**
 * The gate: the candidate and the champion run on the same holdout (in a worker thread), scored
 * on its reference-like rows (SOURCE_BASE) and its drifted rows (SOURCE_LOGGED), then the
 * model's `retraining.gate` thresholds decide whether the candidate is blessed.
 */
import { Worker } from 'node:worker_threads';
import { InvalidArgumentError } from '../../shared/errors/index.js';
import type { GateCheck__Output as GateCheck } from '../../shared/generated/mlmesh/retrainer/v1/GateCheck.js';
import { combineSlices, pairedWins, scoreSlice } from './gate-metrics.js';
import { binomialSf } from '../monitor/stats/index.js';
import type { GateWorkerInput, GateWorkerResult } from './gate-worker.js';
import { SOURCE_BASE, SOURCE_LOGGED } from './types.js';
import type { DatasetPart, GateEvaluation, GateSettings, SliceMetrics } from './types.js';

/** Rows per onnxruntime run. */
export const DEFAULT_GATE_BATCH_ROWS = 256;

const WORKER_URL = new URL('./gate-worker.js', import.meta.url);

/** The model's signature as the gate needs it (from its config.json monitoring/retraining sections). */
export interface GateModelSpec {
  /** Input tensor fed with the holdout's x (FP32 [rows, featureCount]). */
  input: string;
  /** Output tensor scored (FP32 [rows, classes], or [rows] / [rows, 1] for a regressor). */
  output: string;
  outputKind: 'probabilities' | 'logits' | 'value';
  task: 'classification' | 'regression';
  /** Class labels in index order; null: "0".."K-1". */
  classes: string[] | null;
  featureCount: number;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Rows per run. @default DEFAULT_GATE_BATCH_ROWS */
  batchSize?: number;
}

function checkHoldout(h: DatasetPart, featureCount: number): void {
  if (!Number.isInteger(featureCount) || featureCount < 1) throw new InvalidArgumentError(`featureCount: must be a positive integer, got ${featureCount}`, { field: 'featureCount' });
  if (h.x.length !== h.rows * featureCount) throw new InvalidArgumentError(`holdout.x: has ${h.x.length} values, ${h.rows} rows × ${featureCount} features need ${h.rows * featureCount}`, { field: 'holdout.x' });
  if (h.y.length !== h.rows) throw new InvalidArgumentError(`holdout.y: has ${h.y.length} values for ${h.rows} rows`, { field: 'holdout.y' });
  if (h.source.length !== h.rows) throw new InvalidArgumentError(`holdout.source: has ${h.source.length} values for ${h.rows} rows`, { field: 'holdout.source' });
  const bad = h.source.findIndex((s) => s !== SOURCE_BASE && s !== SOURCE_LOGGED);
  if (bad >= 0) throw new InvalidArgumentError(`holdout.source[${bad}]: ${h.source[bad]} is neither SOURCE_BASE nor SOURCE_LOGGED`, { field: 'holdout.source' });
}

/** Runs the models in a worker thread; resolves with each one's outputs. */
function runModels(input: GateWorkerInput): Promise<{ data: Float32Array; width: number }[]> {
  return new Promise((resolve, reject) => {
    // The worker is never terminate()d: that would abort the process inside onnxruntime. It
    // exits by itself once it posted its one message.
    const worker = new Worker(WORKER_URL, { workerData: input });
    let answer: GateWorkerResult | undefined;
    worker.once('message', (m: GateWorkerResult) => (answer = m));
    worker.once('error', (e) => reject(new Error(`the gate's model runner failed: ${e.message}`, { cause: e })));
    worker.once('exit', (code) => {
      if (answer?.type === 'result') resolve(answer.outputs);
      else if (answer?.type === 'error') reject(new InvalidArgumentError(`gate: ${answer.message}`));
      else reject(new Error(`the gate's model runner exited with code ${code} without an answer`));
    });
  });
}

/**
 * Runs the champion and the candidate on the whole holdout, batched, with onnxruntime in a worker
 * thread, and scores both on the reference-like (base) and drifted (logged) rows.
 * @throws InvalidArgumentError when the holdout does not fit the spec, or a model lacks the
 *   input/output or gives an output that does not fit the task (the message names the model
 *   file); onnxruntime's error (wrapped) when a model cannot be loaded or run.
 */
export async function evaluate(spec: GateModelSpec, championOnnx: string, candidateOnnx: string, holdout: DatasetPart, opts: EvaluateOptions = {}): Promise<GateEvaluation> {
  checkHoldout(holdout, spec.featureCount);
  const batchSize = opts.batchSize ?? DEFAULT_GATE_BATCH_ROWS;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidArgumentError(`batchSize: must be a positive integer, got ${batchSize}`, { field: 'batchSize' });
  const [champion, candidate] = (await runModels({
    models: [championOnnx, candidateOnnx],
    input: spec.input,
    output: spec.output,
    featureCount: spec.featureCount,
    rows: holdout.rows,
    batchSize,
    x: holdout.x,
  })) as [{ data: Float32Array; width: number }, { data: Float32Array; width: number }];
  const score = (o: { data: Float32Array; width: number }, source: number): SliceMetrics => scoreSlice(spec, o.data, o.width, holdout.y, (i) => holdout.source[i] === source);
  const pairs = pairedWins(spec, candidate, champion, holdout.y, (i) => holdout.source[i] === SOURCE_LOGGED);
  return {
    drifted_pairs: { candidate_better: pairs.aBetter, champion_better: pairs.bBetter },
    candidate_reference: score(candidate, SOURCE_BASE),
    champion_reference: score(champion, SOURCE_BASE),
    candidate_drifted: score(candidate, SOURCE_LOGGED),
    champion_drifted: score(champion, SOURCE_LOGGED),
  };
}

/** The gate's verdict. */
export interface GateDecision {
  blessed: boolean;
  /** Why: every failed check with its numbers, or what the blessed candidate achieved. */
  reason: string;
  /** Every check applied, in order (the proto's GateCheck, every field set). */
  checks: GateCheck[];
}

const f = (v: number, digits = 4): string => (Number.isFinite(v) ? Number(v.toFixed(digits)).toString() : String(v));
const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;

function check(name: string, passed: boolean, value: number, threshold: number, detail: string): GateCheck {
  return { name, passed, value, threshold, detail };
}

/**
 * Applies the gate's thresholds. The absolute checks (min_accuracy, max_log_loss; max_rmse,
 * max_mae) are on the candidate over the whole holdout: its reference and drifted slices
 * combined exactly, weighted by rows ({@link combineSlices}); a threshold left unset is not
 * checked. Always checked: `min_drifted_rows` (drifted holdout rows ≥ minDriftedRows),
 * `reference_margin` (classifier: candidate reference accuracy ≥ champion's − margin; regressor:
 * candidate reference RMSE ≤ champion's × (1 + margin); passed without reference rows, with a
 * detail saying so) and `drifted_gain` (classifier: candidate drifted accuracy > champion's +
 * minDriftedGain; regressor: relative RMSE decrease > minDriftedGain). Blessed only when every
 * check passes; NaN metrics fail every check they enter.
 */
export function decide(ev: GateEvaluation, settings: GateSettings, task: 'classification' | 'regression'): GateDecision {
  const checks: GateCheck[] = [];
  const cand = combineSlices(ev.candidate_reference, ev.candidate_drifted);
  const cr = ev.candidate_reference;
  const pr = ev.champion_reference;
  const cd = ev.candidate_drifted;
  const pd = ev.champion_drifted;
  const cls = task === 'classification';
  if (cls) {
    if (settings.minAccuracy !== undefined) checks.push(check('min_accuracy', cand.accuracy >= settings.minAccuracy, cand.accuracy, settings.minAccuracy, `candidate accuracy ${f(cand.accuracy)} on ${cand.rows} holdout rows (at least ${f(settings.minAccuracy)} needed)`));
    if (settings.maxLogLoss !== undefined) checks.push(check('max_log_loss', cand.log_loss <= settings.maxLogLoss, cand.log_loss, settings.maxLogLoss, `candidate log loss ${f(cand.log_loss)} on ${cand.rows} holdout rows (at most ${f(settings.maxLogLoss)} allowed)`));
  } else {
    if (settings.maxRmse !== undefined) checks.push(check('max_rmse', cand.rmse <= settings.maxRmse, cand.rmse, settings.maxRmse, `candidate RMSE ${f(cand.rmse)} on ${cand.rows} holdout rows (at most ${f(settings.maxRmse)} allowed)`));
    if (settings.maxMae !== undefined) checks.push(check('max_mae', cand.mae <= settings.maxMae, cand.mae, settings.maxMae, `candidate MAE ${f(cand.mae)} on ${cand.rows} holdout rows (at most ${f(settings.maxMae)} allowed)`));
  }
  checks.push(check('min_drifted_rows', cd.rows >= settings.minDriftedRows, cd.rows, settings.minDriftedRows, `${cd.rows} drifted holdout rows (at least ${settings.minDriftedRows} needed)`));

  const margin = settings.referenceMargin;
  if (cr.rows === 0) {
    checks.push(check('reference_margin', true, 0, 0, 'no reference rows in the holdout: nothing to compare'));
  } else if (cls) {
    const need = pr.accuracy - margin;
    checks.push(check('reference_margin', cr.accuracy >= need, cr.accuracy, need, `candidate ${f(cr.accuracy)} vs champion ${f(pr.accuracy)} on ${cr.rows} reference rows (at least ${f(need)} needed: a drop of at most ${f(margin)})`));
  } else {
    const allowed = pr.rmse * (1 + margin);
    checks.push(check('reference_margin', cr.rmse <= allowed, cr.rmse, allowed, `candidate RMSE ${f(cr.rmse)} vs champion ${f(pr.rmse)} on ${cr.rows} reference rows (at most ${f(allowed)} allowed: ${signed(margin * 100)}%)`));
  }

  const gain = settings.minDriftedGain;
  if (cls) {
    const value = cd.accuracy - pd.accuracy;
    checks.push(check('drifted_gain', cd.rows > 0 && value > gain, value, gain, `candidate ${f(cd.accuracy)} vs champion ${f(pd.accuracy)} on ${cd.rows} drifted rows (${signed(gain)} needed)`));
  } else {
    // Relative RMSE decrease; a perfect champion (RMSE 0) cannot be beaten.
    const value = pd.rmse > 0 ? (pd.rmse - cd.rmse) / pd.rmse : cd.rmse === 0 ? 0 : -1;
    checks.push(check('drifted_gain', cd.rows > 0 && value > gain, value, gain, `candidate RMSE ${f(cd.rmse)} vs champion ${f(pd.rmse)} on ${cd.rows} drifted rows: ${f(value * 100, 2)}% lower (more than ${f(gain * 100, 2)}% needed)`));
  }

  // The gain must not be luck: a one-sided exact paired test on the drifted rows where exactly one
  // model is right (McNemar's exact test; for a regressor a sign test on the smaller error).
  const { candidate_better: nb, champion_better: nc } = ev.drifted_pairs;
  const p = nb + nc > 0 ? binomialSf(nb, nb + nc, 0.5) : 1;
  checks.push(check('drifted_significance', p < settings.driftedAlpha, p, settings.driftedAlpha, `on the drifted rows only the candidate is ${cls ? 'right' : 'closer'} on ${nb}, only the champion on ${nc}: one-sided exact ${cls ? 'McNemar' : 'sign'} test p = ${p.toPrecision(3)} (below ${f(settings.driftedAlpha)} needed)`));

  const failed = checks.filter((c) => !c.passed);
  const blessed = failed.length === 0;
  const reason = blessed
    ? `blessed: every check passed (${checks.map((c) => c.name).join(', ')}); ${cls ? `drifted accuracy ${f(cd.accuracy)} vs champion ${f(pd.accuracy)}, reference ${f(cr.accuracy)} vs ${f(pr.accuracy)}` : `drifted RMSE ${f(cd.rmse)} vs champion ${f(pd.rmse)}, reference ${f(cr.rmse)} vs ${f(pr.rmse)}`}`
    : `refused: ${failed.map((c) => `${c.name} failed: ${c.detail}`).join('; ')}`;
  return { blessed, reason, checks };
}
