/**
 * The work of each stage of a run (engine.ts sequences them, stores the run between them and
 * publishes their events):
 *
 *   dataset  → snapshot of the champion's training data + labelled logged rows (dataset.ts),
 *              with point-in-time feature rows for rows logged through a gateway deployment
 *   train    → the model's training command as a child process (trainer.ts) or a Kubernetes
 *              Job (kubernetes-runner.ts), the same contract
 *   evaluate → candidate and champion on the same holdout; the gate's decision (gate.ts)
 *   register → the next version, written atomically with provenance (register.ts); loaded
 *              beside the champion with no traffic (deployer.ts)
 *   rollout  → StartRollout, followed to its end
 *
 * Each stage can be run again after a restart: the snapshot is content-addressed, training
 * writes a fresh output folder per attempt, the gate is a pure function of files, registration
 * recognises its own folder, and a rollout already started is adopted.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { NatsConnection } from 'nats';
import { FailedPreconditionError } from '../../shared/errors/index.js';
import type { CriterionResult } from '../../shared/events/index.js';
import type { DatasetSummary } from '../../shared/generated/mlmesh/retrainer/v1/DatasetSummary.js';
import type { GateResult } from '../../shared/generated/mlmesh/retrainer/v1/GateResult.js';
import type { Run__Output } from '../../shared/generated/mlmesh/retrainer/v1/Run.js';
import type { Rollout__Output } from '../../shared/generated/mlmesh/rollout/v1/Rollout.js';
import { sha256File, verifyManifest } from '../inference/manifest.js';
import { buildSnapshot, readDataset, resolveTrainingData } from './dataset.js';
import type { Deployer } from './deployer.js';
import type { PointInTimeSource } from './point-in-time.js';
import { ROLLOUT_TERMINAL } from './deployer.js';
import { decide, evaluate } from './gate.js';
import { readProvenance, registerVersion } from './register.js';
import type { ModelRetraining } from './settings.js';
import type { TestPause } from './test-pause.js';
import { jobPath } from './kubernetes-job.js';
import { runKubernetesTraining } from './kubernetes-runner.js';
import { fillCommand, runTraining } from './trainer.js';
import type { TrainingResult } from './types.js';

/** What the stages need from the service. */
export interface StageContext {
  repo: string;
  workDir: string;
  nc: NatsConnection;
  deployer: Deployer;
  /** The feature and preprocess services, for the point-in-time rows of gateway rows. */
  pointInTime: PointInTimeSource;
  model: ModelRetraining;
  producedBy: string;
  codeVersion: string;
  actor: string;
  /** TEST ONLY (test-pause.ts): stops here when the point is the configured one. */
  pause: TestPause;
}

/** The folder of a run's files, and of one training attempt's output. */
export const runDir = (c: StageContext, run: Run__Output): string => join(c.workDir, run.id);
export const outputDir = (c: StageContext, run: Run__Output, attempt: number): string => join(runDir(c, run), `output-${attempt}`);

/** The first MLMESH_PREDICTIONS sequence of the run's triggers (the earliest drifted window), 1 for a manual run. */
export function firstSequence(run: Run__Output): number {
  const seqs = [run.trigger, ...run.coalesced].map((t) => Number(t?.first_sequence ?? 0)).filter((s) => s > 0);
  return seqs.length > 0 ? Math.min(...seqs) : 1;
}

/** Stage dataset: builds (or finds again: content-addressed) the run's snapshot. */
export async function datasetStage(c: StageContext, run: Run__Output, signal: AbortSignal): Promise<DatasetSummary> {
  const versionDir = join(c.repo, run.model, run.parent_version);
  const provenance = await readProvenance(versionDir);
  if (!provenance) throw new FailedPreconditionError(`the champion, version ${run.parent_version} of model '${run.model}', has no manifest.json in ${versionDir}`);
  const td = resolveTrainingData(versionDir, provenance);
  // The base rows must be the data the champion was trained on: a mismatching hash fails the run.
  const base = td ? await readDataset(td.path, td.sha256) : null;
  const s = c.model.settings;
  const { summary } = await buildSnapshot({
    nc: c.nc,
    model: run.model,
    parentVersion: run.parent_version,
    base,
    range: { firstSequence: firstSequence(run) },
    monitoring: { input: c.model.input, featureCount: c.model.featureCount },
    task: s.task,
    classes: s.classes,
    seed: Number(run.seed),
    holdoutFraction: s.holdoutFraction,
    maxLoggedRows: s.maxLoggedRows,
    rootDir: join(c.repo, run.model, 'datasets'),
    // The run's time, not now: the dataset stage run again after a restart on the same data gives the same snapshot.
    createdAt: new Date(Number(run.created_unix_ms)).toISOString(),
    producedBy: c.producedBy,
    pointInTime: c.pointInTime,
    signal,
  });
  return summary;
}

/** Stage train: runs the command on the snapshot into output-<attempt> (a child process, or a Job). */
export async function trainStage(
  c: StageContext,
  run: Run__Output,
  attempt: number,
  hooks: { signal: AbortSignal; onLine: (line: string) => void; onSpawn: (pid: number, command: string[]) => void },
): Promise<TrainingResult & { sha256: string; command: string[] }> {
  const s = c.model.settings;
  const out = outputDir(c, run, attempt);
  const runner = s.runner;
  const dataset = run.dataset?.path ?? '';
  // A Job sees the shared volume at its own mount path: the paths it gets are mapped.
  const view = (p: string, what: string): string => (runner.kind === 'kubernetes' ? jobPath(runner, p, what) : p);
  const command = fillCommand(s.command, {
    dataset: dataset && view(dataset, 'the dataset snapshot'),
    output: view(out, 'the output folder'),
    seed: String(run.seed),
    model: run.model,
    parent_version: run.parent_version,
    run_id: run.id,
  });
  const common = {
    command,
    cwd: s.cwd,
    outputDir: out,
    logFile: join(runDir(c, run), 'train.log'),
    timeoutMs: s.timeoutMs,
    env: { MLMESH_RUN_ID: run.id, MLMESH_MODEL: run.model },
    signal: hooks.signal,
    onLine: hooks.onLine,
  };
  const result =
    runner.kind === 'kubernetes'
      ? await runKubernetesTraining({ ...common, settings: runner, runId: run.id, model: run.model, attempt })
      : await runTraining({ ...common, onSpawn: (pid) => hooks.onSpawn(pid, command) });
  return { ...result, sha256: await sha256File(result.modelPath), command };
}

/** Stage evaluate: candidate (this attempt's output) and champion on the snapshot's holdout. */
export async function evaluateStage(c: StageContext, run: Run__Output, attempt: number): Promise<GateResult> {
  const m = c.model;
  const data = await readDataset(run.dataset?.path ?? '', run.dataset?.sha256);
  const championDir = join(c.repo, run.model, run.parent_version);
  await verifyManifest(championDir, `champion version ${run.parent_version} of model '${run.model}'`);
  const candidate = join(outputDir(c, run, attempt), 'model.onnx');
  const sha = await sha256File(candidate).catch(() => '');
  if (sha !== run.candidate_sha256) throw new FailedPreconditionError(`the candidate ${candidate} changed after training (SHA-256 ${sha || 'unreadable'}, trained ${run.candidate_sha256})`);
  const ev = await evaluate(
    { input: m.input, output: m.output, outputKind: m.outputKind, task: m.settings.task, classes: data.manifest.classes, featureCount: m.featureCount },
    join(championDir, 'model.onnx'),
    candidate,
    data.holdout,
  );
  const d = decide(ev, m.settings.gate, m.settings.task);
  return {
    blessed: d.blessed,
    reason: d.reason,
    checks: d.checks,
    task: m.settings.task,
    candidate_reference: ev.candidate_reference,
    champion_reference: ev.champion_reference,
    candidate_drifted: ev.candidate_drifted,
    champion_drifted: ev.champion_drifted,
    drifted_candidate_better: ev.drifted_pairs.candidate_better,
    drifted_champion_better: ev.drifted_pairs.champion_better,
  };
}

/** What each gate check's `value` is, for the event's CriterionResult.statistic_name. */
const CHECK_STATISTIC: Record<string, string> = {
  min_accuracy: 'candidate accuracy, whole holdout',
  max_log_loss: 'candidate log loss, whole holdout',
  max_rmse: 'candidate RMSE, whole holdout',
  max_mae: 'candidate MAE, whole holdout',
  min_drifted_rows: 'drifted holdout rows',
  reference_margin: 'candidate accuracy (regressor: RMSE), reference-like rows',
  drifted_gain: 'candidate minus champion accuracy (regressor: relative RMSE decrease), drifted rows',
  drifted_significance: 'one-sided exact paired test p-value, drifted rows',
};

const GATE_SLICES = ['candidate_reference', 'champion_reference', 'candidate_drifted', 'champion_drifted'] as const;

/**
 * Every number of a gate decision as a flat ModelEvent metrics map: `blessed` (1/0); per slice
 * (`candidate_reference`, `champion_reference`, `candidate_drifted`, `champion_drifted`)
 * `<slice>_rows` and, for a classifier, `<slice>_accuracy`, `<slice>_log_loss` and
 * `<slice>_recall_<class>`, for a regressor `<slice>_rmse` and `<slice>_mae`;
 * `drifted_candidate_better` / `drifted_champion_better` (the paired test's counts); per check
 * `check_<name>_value`, `check_<name>_threshold` and `check_<name>_passed` (1/0); and the older
 * `reference_rows` / `drifted_rows`.
 */
export function gateEventMetrics(g: GateResult): Record<string, number> {
  const m: Record<string, number> = { blessed: g.blessed ? 1 : 0 };
  const cls = g.task !== 'regression';
  for (const name of GATE_SLICES) {
    const s = g[name];
    if (!s) continue;
    m[`${name}_rows`] = Number(s.rows ?? 0);
    if (cls) {
      m[`${name}_accuracy`] = Number(s.accuracy ?? 0);
      m[`${name}_log_loss`] = Number(s.log_loss ?? 0);
      for (const [label, recall] of Object.entries(s.per_class_recall ?? {})) m[`${name}_recall_${label}`] = Number(recall);
    } else {
      m[`${name}_rmse`] = Number(s.rmse ?? 0);
      m[`${name}_mae`] = Number(s.mae ?? 0);
    }
  }
  m['reference_rows'] = Number(g.candidate_reference?.rows ?? 0);
  m['drifted_rows'] = Number(g.candidate_drifted?.rows ?? 0);
  m['drifted_candidate_better'] = Number(g.drifted_candidate_better ?? 0);
  m['drifted_champion_better'] = Number(g.drifted_champion_better ?? 0);
  for (const c of g.checks ?? []) {
    m[`check_${c.name}_value`] = Number(c.value ?? 0);
    m[`check_${c.name}_threshold`] = Number(c.threshold ?? 0);
    m[`check_${c.name}_passed`] = c.passed ? 1 : 0;
  }
  return m;
}

/** The gate's checks as a ModelEvent's evidence: one CriterionResult per check, in order. */
export function gateEvidence(g: GateResult): CriterionResult[] {
  const rows = (s: GateResult['candidate_reference']): number => Number(s?.rows ?? 0);
  return (g.checks ?? []).map((c) => {
    const name = c.name ?? '';
    const reference = name === 'reference_margin';
    const drifted = name.startsWith('drifted_') || name === 'min_drifted_rows';
    const significance = name === 'drifted_significance';
    return {
      name,
      state: c.passed ? 'passed' : 'failed',
      statistic_name: CHECK_STATISTIC[name] ?? 'value',
      statistic: Number(c.value ?? 0),
      threshold: Number(c.threshold ?? 0),
      ...(significance ? { p_value: Number(c.value ?? 0), has_p_value: true } : {}),
      candidate_samples: reference ? rows(g.candidate_reference) : drifted ? rows(g.candidate_drifted) : rows(g.candidate_reference) + rows(g.candidate_drifted),
      baseline_samples: name.startsWith('min_') || name.startsWith('max_') ? 0 : reference ? rows(g.champion_reference) : rows(g.champion_drifted),
      detail: c.detail ?? '',
    };
  });
}

/** Stage register: writes the version (unless this run already did) and loads it with no traffic. */
export async function registerStage(c: StageContext, run: Run__Output, attempt: number, signal: AbortSignal): Promise<{ written: boolean; pinned: boolean }> {
  const out = outputDir(c, run, attempt);
  // Pinned first: a replica polling the repository must not serve the new folder to unrouted traffic.
  const pinned = await c.deployer.pinChampion(c.nc, run.model, run.parent_version, c.actor);
  const { written } = await registerVersion({
    signal,
    modelDir: join(c.repo, run.model),
    version: run.candidate_version,
    modelPath: join(out, 'model.onnx'),
    referenceDir: (await hasReference(join(out, 'reference'))) ? join(out, 'reference') : undefined,
    run,
    codeVersion: c.codeVersion,
    producedBy: c.producedBy,
  });
  await c.pause('register:renamed', run.id, signal);
  await c.deployer.loadBeside(run.model, run.candidate_version);
  return { written, pinned };
}

async function hasReference(dir: string): Promise<boolean> {
  return (await stat(join(dir, 'reference.json')).catch(() => undefined))?.isFile() === true;
}

/** Whether a rollout has ended. */
export const rolloutEnded = (r: Rollout__Output): boolean => (ROLLOUT_TERMINAL as readonly string[]).includes(r.state);
