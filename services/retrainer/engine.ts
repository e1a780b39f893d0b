/**
 * The retrainer's engine: takes triggers (RetrainRequests, Retrain calls), keeps one run per model
 * at a time (triggers meanwhile are coalesced into it), and carries each run through its stages
 * (stages.ts), storing the run in KV mlmesh_retrainer after every step and publishing a
 * ModelEvent per stage. A run interrupted by a restart resumes at its stage: a training job left
 * behind is killed and trained again into a fresh folder; nothing registered twice; a rollout
 * already started for the candidate (ended or not) is adopted, never started again.
 *
 * One engine acts on the runs (one retrainer replica: docs/retrainer.md says why).
 */
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { JetStreamClient, NatsConnection } from 'nats';
import { SUBJECTS, encodeModelEvent } from '../../shared/events/index.js';
import type { CriterionResult, ModelEvent } from '../../shared/events/index.js';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, clip, errorMessage } from '../../shared/errors/index.js';
import type { Run, Run__Output } from '../../shared/generated/mlmesh/retrainer/v1/Run.js';
import type { Trigger } from '../../shared/generated/mlmesh/retrainer/v1/Trigger.js';
import type { Logger } from '../../shared/logging/index.js';
import { RouteStore } from '../../shared/routes/index.js';
import type { Deployer } from './deployer.js';
import { nextVersion, readProvenance } from './register.js';
import { RunConflictError, RunStore } from './run-store.js';
import type { StoredRun } from './run-store.js';
import { loadModelRetraining } from './settings.js';
import { datasetStage, evaluateStage, gateEventMetrics, gateEvidence, registerStage, rolloutEnded, trainStage } from './stages.js';
import type { StageContext } from './stages.js';
import type { PointInTimeSource } from './point-in-time.js';
import type { TestPause } from './test-pause.js';
import { TrainingError, killProcessGroup } from './trainer.js';

/** A run's stages in order. */
export const STAGES = ['dataset', 'train', 'evaluate', 'register', 'rollout', 'outcome'] as const;
export type StageName = (typeof STAGES)[number];
/** The states that end a run. */
export const RUN_TERMINAL = ['promoted', 'rolled_back', 'refused', 'failed', 'cancelled'] as const;
export type RunEnd = (typeof RUN_TERMINAL)[number];

/** Lines of a training job's output kept per run for WatchRun (the whole log is in the run's folder). */
const LOG_LINES_KEPT = 500;
/** Ended runs whose kept lines stay in memory (the newest). */
const LOG_RUNS_KEPT = 50;

/** What the engine needs. */
export interface EngineOptions {
  logger: Logger;
  repo: string;
  workDir: string;
  deployer: Deployer;
  pollMs: number;
  rolloutTimeoutMs: number;
  stateHistory: number;
  producerVersion: string;
  codeVersion: string;
  /** Where point-in-time feature rows of gateway rows come from (the feature and preprocess services). */
  pointInTime: PointInTimeSource;
  /** TEST ONLY (test-pause.ts): stops a run's work at a named point; by default, never. */
  pause?: TestPause;
}

/** Why a run's work was stopped: a cancel ends it, a drain leaves it to resume at the next start. */
type StopReason = 'cancel' | 'drain';

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

/** A run ended between a check and the write that relied on it. */
class RunEndedError extends Error {
  constructor(id: string) {
    super(`run ${id} has ended`);
  }
}

/** Whether the process `pid` still runs the training job of `runId` (its environment says so; Linux /proc). */
async function isJobOf(pid: number, runId: string): Promise<boolean> {
  const env = await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '');
  return env.split('\0').includes(`MLMESH_RUN_ID=${runId}`);
}

/** The engine. Emits `change` (run id) after every stored change and `log` (run id, line). */
export class RetrainEngine extends EventEmitter {
  /** Who acts, in events and routes. */
  readonly actor = `retrainer@${hostname()}-${process.pid}`;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private store: RunStore | undefined;
  private readonly runs = new Map<string, StoredRun>();
  private readonly working = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly logs = new Map<string, string[]>();
  private intake: Promise<unknown> = Promise.resolve();
  private closing = false;

  constructor(private readonly o: EngineOptions) {
    super();
    this.setMaxListeners(0);
  }

  /** True once the runs are loaded from NATS. */
  get natsUp(): boolean {
    return this.store !== undefined && this.nc !== undefined && !this.nc.isClosed();
  }

  /** Loads the runs, and resumes those that were running (killing a training job left behind). */
  async attach(nc: NatsConnection): Promise<void> {
    this.nc = nc;
    this.js = nc.jetstream();
    const store = await RunStore.create(nc, { history: this.o.stateHistory });
    for (const s of await store.list()) this.runs.set(s.run.id, s);
    this.store = store;
    for (const s of this.runs.values()) {
      if (s.run.state !== 'running' || this.working.has(s.run.id)) continue;
      const pid = s.run.training_pid;
      if (pid > 0 && (await isJobOf(pid, s.run.id))) {
        killProcessGroup(pid);
        this.o.logger.warn({ run: s.run.id, pid }, 'retrainer: killed the training job a previous retrainer left running');
      }
      this.o.logger.info({ run: s.run.id, model: s.run.model, stage: s.run.stage }, 'retrainer: resuming run');
      this.start(s.run.id);
    }
  }

  private need(): { store: RunStore; nc: NatsConnection } {
    if (!this.store || !this.nc) throw new FailedPreconditionError('the retrainer is not connected to NATS yet');
    return { store: this.store, nc: this.nc };
  }

  /** One run. @throws NotFoundError. */
  get(id: string): Run__Output {
    const s = this.runs.get(id);
    if (!s) throw new NotFoundError(`no run '${clip(id, 100)}'`, { resource: { type: 'run', name: clip(id, 100) } });
    return s.run;
  }

  /** Runs, newest first. */
  list(model = '', limit = 100): Run__Output[] {
    return [...this.runs.values()]
      .map((s) => s.run)
      .filter((r) => model === '' || r.model === model)
      .sort((a, b) => Number(b.created_unix_ms) - Number(a.created_unix_ms) || b.id.localeCompare(a.id))
      .slice(0, limit > 0 ? limit : 100);
  }

  /** The training output lines kept for a run. */
  logLines(id: string): readonly string[] {
    return this.logs.get(id) ?? [];
  }

  /** The model's active run, if any. */
  activeRun(model: string): Run__Output | undefined {
    return [...this.runs.values()].map((s) => s.run).find((r) => r.model === model && r.state === 'running');
  }

  /**
   * Takes a trigger: a new run, or (a run of the model active) the trigger coalesced into it.
   * Resolves once the run is stored. Triggers are taken one at a time.
   * @throws NotFoundError / FailedPreconditionError / InvalidArgumentError for a model that
   *   cannot be retrained (no folder, no retraining section, a bad field).
   */
  trigger(model: string, trigger: Trigger): Promise<{ run: Run__Output; coalesced: boolean }> {
    const p = this.intake.then(() => this.takeTrigger(model, trigger));
    this.intake = p.catch(() => undefined);
    return p;
  }

  private async takeTrigger(model: string, trigger: Trigger): Promise<{ run: Run__Output; coalesced: boolean }> {
    const { store } = this.need();
    if (this.closing) throw new FailedPreconditionError('the retrainer is draining');
    const settings = (await loadModelRetraining(this.o.repo, model)).settings;
    const t: Trigger = { ...trigger, time_unix_ms: trigger.time_unix_ms || Date.now() };
    // A RetrainRequest delivered again (a batch nak'ed after it was taken) is the run it made.
    if (t.retrain_request_id) {
      const seen = [...this.runs.values()].map((s) => s.run).find((r) => r.model === model && [r.trigger, ...r.coalesced].some((x) => x?.retrain_request_id === t.retrain_request_id));
      if (seen) return { run: seen, coalesced: true };
    }
    const active = this.activeRun(model);
    if (active) {
      // The state is checked again under the run's lock: the run may have ended meanwhile.
      const s = await this.save(active.id, (r) => {
        if (r.state !== 'running') throw new RunEndedError(active.id);
        r.coalesced?.push(t);
      }).catch((e: unknown) => {
        if (e instanceof RunEndedError) return undefined;
        throw e;
      });
      if (s) {
        this.revive(active.id);
        this.o.logger.info({ run: active.id, model, trigger: t.kind, request: t.retrain_request_id }, 'retrainer: trigger coalesced into the active run');
        return { run: s.run, coalesced: true };
      }
    }
    const champion = await this.champion(model, t.version ?? '');
    const now = Date.now();
    const id = `${model}-${now.toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    const run: Run = {
      id,
      model,
      parent_version: champion,
      state: 'running',
      stage: 'dataset',
      stages: [],
      trigger: t,
      coalesced: [],
      created_unix_ms: now,
      updated_unix_ms: now,
      seed: settings.seed,
      workdir: `${this.o.workDir}/${id}`,
    };
    const stored = await store.put(run, 0);
    this.runs.set(id, stored);
    this.emit('change', id);
    await this.publish(stored.run, 'retrain_started', 'running', t.reason ?? '', {});
    this.o.logger.info({ run: id, model, champion, trigger: t.kind }, 'retrainer: run started');
    this.start(id);
    return { run: stored.run, coalesced: false };
  }

  /** The version serving now: the route's heaviest version, else the newest inference serves, else `hint`. */
  private async champion(model: string, hint: string): Promise<string> {
    const { nc } = this.need();
    const route = await (await RouteStore.create(nc)).get(model);
    const heaviest = route?.route.versions.slice().sort((a, b) => b.weight - a.weight)[0];
    const served = (await this.o.deployer.served(model)).map(Number).filter(Number.isSafeInteger).sort((a, b) => b - a);
    const pick = heaviest && heaviest.weight > 0 ? heaviest.version : served[0] !== undefined ? String(served[0]) : hint;
    if (!pick) throw new FailedPreconditionError(`model '${model}' is not served by inference and the trigger names no version: no champion to retrain from`);
    // The champion's folder is read (its training data, its model): a version number, present with a manifest.
    if (!/^[1-9][0-9]*$/.test(pick)) throw new InvalidArgumentError(`version: ${clip(JSON.stringify(pick), 40)} is not a version number`, { field: 'version' });
    if (!(await readProvenance(join(this.o.repo, model, pick)))) throw new FailedPreconditionError(`the champion, version ${pick} of model '${model}', has no manifest.json in the repository`);
    return pick;
  }

  /** Cancels a run. @throws NotFoundError, FailedPreconditionError once ended. */
  async cancel(id: string, reason: string): Promise<Run__Output> {
    const run = this.get(id);
    if (run.state !== 'running') throw new FailedPreconditionError(`run ${id} has ended (${run.state})`);
    const s = await this.save(id, (r) => {
      if (r.state !== 'running') throw new FailedPreconditionError(`run ${id} has ended (${r.state})`);
      r.cancel_requested = true;
      r.reason = reason || 'cancelled';
    });
    const w = this.working.get(id);
    if (w) w.abort.abort('cancel' satisfies StopReason);
    else this.revive(id);
    return s.run;
  }

  /** Stops the work (runs stay stored as running and resume at the next start). */
  async close(): Promise<void> {
    this.closing = true;
    for (const w of this.working.values()) w.abort.abort('drain' satisfies StopReason);
    await Promise.all([...this.working.values()].map((w) => w.done));
    await this.intake;
  }

  /** Starts the work on a stored running run nobody works on (its worker stopped on an error it could not store). */
  private revive(id: string): void {
    if (this.working.has(id) || this.closing || this.runs.get(id)?.run.state !== 'running') return;
    this.o.logger.warn({ run: id }, 'retrainer: resuming a run whose work had stopped');
    this.start(id);
  }

  private start(id: string): void {
    const abort = new AbortController();
    if (this.closing) abort.abort('drain' satisfies StopReason);
    const done = this.execute(id, abort.signal)
      .catch((e: unknown) => this.o.logger.error({ run: id, err: errorMessage(e) }, 'retrainer: run stopped on an error it could not store'))
      .finally(() => this.working.delete(id));
    this.working.set(id, { abort, done });
  }

  /** Read-modify-write of a run (compare-and-set, re-read on a lost race). `mutate` is synchronous. */
  private save(id: string, mutate: (r: Run) => void): Promise<StoredRun> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const p = prev.then(async () => {
      const { store } = this.need();
      for (let attempt = 0; ; attempt++) {
        const cur = this.runs.get(id);
        if (!cur) throw new NotFoundError(`no run '${id}'`);
        const next = structuredClone(cur.run) as Run;
        mutate(next);
        next.updated_unix_ms = Date.now();
        try {
          const stored = await store.put(next, cur.kvRevision);
          this.runs.set(id, stored);
          this.emit('change', id);
          return stored;
        } catch (e: unknown) {
          if (!(e instanceof RunConflictError) || attempt >= 3) throw e;
          const fresh = await store.get(id);
          if (fresh) this.runs.set(id, fresh);
        }
      }
    });
    this.locks.set(id, p.catch(() => undefined));
    return p;
  }

  private async publish(run: Run__Output, kind: string, stageState: string, reason: string, metrics: Record<string, number>, evidence: CriterionResult[] = []): Promise<void> {
    if (!this.js) return;
    const attempt = run.stages.find((s) => `retrain_${s.name}` === kind)?.attempts ?? 1;
    const id = `${run.id}/${kind}/${attempt}`;
    const ev: ModelEvent = {
      meta: { event_id: id, time_unix_ms: Date.now(), source: 'retrainer', producer_version: this.o.producerVersion },
      model: run.model,
      kind,
      candidate: run.candidate_version,
      baseline: run.parent_version,
      rollout_id: run.rollout_id,
      reason,
      actor: this.actor,
      run_id: run.id,
      stage_state: stageState,
      metrics,
      evidence,
    };
    try {
      await this.js.publish(SUBJECTS.modelEvent(run.model), encodeModelEvent(ev), { msgID: id });
    } catch (err: unknown) {
      this.o.logger.warn({ err: errorMessage(err), run: run.id, event: kind }, 'retrainer: publishing a ModelEvent failed');
    }
  }

  /** Marks `stage` running (attempts + 1); returns the attempt number. */
  private async beginStage(id: string, stage: StageName): Promise<number> {
    let attempts = 0;
    await this.save(id, (r) => {
      r.stage = stage;
      const rec = r.stages?.find((s) => s.name === stage);
      if (rec) {
        rec.state = 'running';
        rec.attempts = (rec.attempts ?? 0) + 1;
        rec.started_unix_ms = Date.now();
        attempts = rec.attempts;
      } else {
        r.stages?.push({ name: stage, state: 'running', started_unix_ms: Date.now(), attempts: 1 });
        attempts = 1;
      }
    });
    return attempts;
  }

  /** Ends `stage` (state, detail), applies `mutate`, publishes retrain_<stage>. */
  private async endStage(id: string, stage: StageName, state: string, detail: string, mutate: (r: Run) => void, metrics: Record<string, number> = {}, evidence: CriterionResult[] = []): Promise<Run__Output> {
    const s = await this.save(id, (r) => {
      const rec = r.stages?.find((x) => x.name === stage);
      if (rec) Object.assign(rec, { state, detail, ended_unix_ms: Date.now() });
      mutate(r);
    });
    await this.publish(s.run, `retrain_${stage}`, state, detail, metrics, evidence);
    return s.run;
  }

  /**
   * Ends the run: the outcome stage, the final state, the retrain_outcome event. A run that was
   * gated carries every gate number in that event too ({@link gateEventMetrics}, {@link gateEvidence}).
   */
  private async finish(id: string, end: RunEnd, reason: string, metrics: Record<string, number> = {}): Promise<void> {
    const now = Date.now();
    const s = await this.save(id, (r) => {
      r.stages?.push({ name: 'outcome', state: 'done', started_unix_ms: now, ended_unix_ms: now, detail: `${end}: ${reason}`, attempts: 1 });
      r.stage = 'outcome';
      r.state = end;
      r.reason = reason;
      r.training_pid = 0;
    });
    const gate = s.run.gate;
    await this.publish(s.run, 'retrain_outcome', end, reason, gate ? { ...gateEventMetrics(gate), ...metrics } : metrics, gate ? gateEvidence(gate) : []);
    this.locks.delete(id);
    // The training output of the newest ended runs stays for the page; older ones are in train.log.
    const ended = [...this.logs.keys()].filter((k) => this.runs.get(k)?.run.state !== 'running');
    for (const k of ended.slice(0, Math.max(0, ended.length - LOG_RUNS_KEPT))) this.logs.delete(k);
    this.o.logger.info({ run: id, model: s.run.model, outcome: end, reason, candidate: s.run.candidate_version }, `retrainer: run ${end}`);
  }

  private async context(model: string): Promise<StageContext> {
    const { nc } = this.need();
    return {
      repo: this.o.repo,
      workDir: this.o.workDir,
      nc,
      deployer: this.o.deployer,
      pointInTime: this.o.pointInTime,
      model: await loadModelRetraining(this.o.repo, model),
      producedBy: this.o.producerVersion,
      codeVersion: this.o.codeVersion,
      actor: this.actor,
      pause: this.o.pause ?? (() => Promise.resolve()),
    };
  }

  private addLog(id: string, line: string): void {
    let l = this.logs.get(id);
    if (!l) this.logs.set(id, (l = []));
    l.push(line);
    if (l.length > LOG_LINES_KEPT) l.splice(0, l.length - LOG_LINES_KEPT);
    this.emit('log', id, line);
  }

  /** The last training attempt (its output folder is the candidate's). */
  private static trainAttempt(run: Run__Output): number {
    return run.stages.find((s) => s.name === 'train')?.attempts ?? 1;
  }

  private async execute(id: string, signal: AbortSignal): Promise<void> {
    for (;;) {
      const run = this.get(id);
      if (run.state !== 'running') return;
      if (signal.aborted && signal.reason === 'drain') return;
      if (run.cancel_requested) return this.finish(id, 'cancelled', run.reason || 'cancelled');
      const stage = run.stage as StageName;
      try {
        const c = await this.context(run.model);
        await this.step(c, id, stage, signal);
      } catch (e: unknown) {
        if (signal.aborted && signal.reason === 'drain') {
          this.o.logger.info({ run: id, stage }, 'retrainer: run paused by the drain (it resumes at the next start)');
          return;
        }
        const cancelled = this.get(id).cancel_requested || (e instanceof TrainingError && e.kind === 'cancelled');
        const msg = errorMessage(e);
        // The end must be stored, or the run would stay "running" with nobody working on it: retried
        // (NATS down, a lost race) until it is, or until the drain (then the next start resumes it).
        await this.storeRetrying(() => this.endStage(id, stage, cancelled ? 'cancelled' : 'failed', msg, (r) => void (r.training_pid = 0)), signal);
        await this.storeRetrying(() => this.finish(id, cancelled ? 'cancelled' : 'failed', cancelled ? this.get(id).reason || 'cancelled' : `${stage}: ${msg}`), signal);
        return;
      }
    }
  }

  /** Runs `f` until it succeeds, backing off; gives up (throws) only when the engine drains. */
  private async storeRetrying(f: () => Promise<unknown>, signal: AbortSignal): Promise<void> {
    for (let delay = 500; ; delay = Math.min(delay * 2, 30_000)) {
      try {
        await f();
        return;
      } catch (e: unknown) {
        if (this.closing || (signal.aborted && signal.reason === 'drain')) throw e;
        this.o.logger.warn({ err: errorMessage(e), retryMs: delay }, 'retrainer: storing the run failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Runs one stage of a run. */
  private async step(c: StageContext, id: string, stage: StageName, signal: AbortSignal): Promise<void> {
    switch (stage) {
      case 'dataset': {
        await this.beginStage(id, 'dataset');
        const d = await datasetStage(c, this.get(id), signal);
        const rows = d.rows_by_source ?? {};
        const p = d.point_in_time;
        const pit = p ? `; point-in-time rows ${Number(p.rows_found)} found + ${Number(p.rows_missing_features)} with missing features of ${Number(p.rows_asked)} asked, skew ${Number(p.skew_match)} match / ${Number(p.skew_differ)} differ, ${Number(p.rebuilt_rows)} inputs rebuilt` : '';
        const detail = `${Number(rows['base'] ?? 0)} base rows + ${Number(rows['logged'] ?? 0)} labelled logged rows (${Number(d.labelled_rows)} of ${Number(d.logged_rows)} logged rows labelled); train ${Number(d.train_rows)}, holdout ${Number(d.holdout_rows)}${pit}`;
        await this.endStage(id, 'dataset', 'done', detail, (r) => ((r.dataset = d), (r.stage = 'train')), {
          base_rows: Number(rows['base'] ?? 0),
          logged_rows: Number(d.logged_rows),
          labelled_rows: Number(d.labelled_rows),
          label_coverage: Number(d.label_coverage),
          train_rows: Number(d.train_rows),
          holdout_rows: Number(d.holdout_rows),
          ...(p
            ? {
                point_in_time_rows_asked: Number(p.rows_asked),
                point_in_time_rows_found: Number(p.rows_found),
                point_in_time_rows_missing_features: Number(p.rows_missing_features),
                point_in_time_skew_match: Number(p.skew_match),
                point_in_time_skew_differ: Number(p.skew_differ),
                point_in_time_rebuilt_rows: Number(p.rebuilt_rows),
              }
            : {}),
        });
        return;
      }
      case 'train': {
        const attempt = await this.beginStage(id, 'train');
        const res = await trainStage(c, this.get(id), attempt, {
          signal,
          onLine: (line) => this.addLog(id, line),
          onSpawn: (pid, command) => void this.save(id, (r) => ((r.training_pid = pid), (r.command = command))).catch(() => undefined),
        });
        await this.endStage(id, 'train', 'done', `trained in ${(res.durationMs / 1000).toFixed(1)} s; model.onnx ${res.sha256.slice(0, 12)}`, (r) => {
          r.training_metrics = res.metrics;
          r.candidate_sha256 = res.sha256;
          r.command = res.command;
          r.training_pid = 0;
          r.stage = 'evaluate';
        }, res.metrics);
        return;
      }
      case 'evaluate': {
        await this.beginStage(id, 'evaluate');
        const gate = await evaluateStage(c, this.get(id), RetrainEngine.trainAttempt(this.get(id)));
        await this.endStage(id, 'evaluate', 'done', gate.reason ?? '', (r) => {
          r.gate = gate;
          if (gate.blessed) r.stage = 'register';
        }, gateEventMetrics(gate), gateEvidence(gate));
        if (!gate.blessed) await this.finish(id, 'refused', gate.reason ?? '');
        return;
      }
      case 'register': {
        await this.beginStage(id, 'register');
        if (!this.get(id).candidate_version) {
          const v = await nextVersion(`${c.repo}/${this.get(id).model}`);
          await this.save(id, (r) => void (r.candidate_version = v));
        }
        const r0 = this.get(id);
        const { written, pinned } = await registerStage(c, r0, RetrainEngine.trainAttempt(r0), signal);
        await this.endStage(id, 'register', 'done', `version ${r0.candidate_version} ${written ? 'registered' : 'was already registered by this run'}; loaded beside version ${r0.parent_version} with no traffic${pinned ? ' (a route now pins the champion)' : ''}`, (r) => void (r.stage = 'rollout'), { version: Number(r0.candidate_version) });
        return;
      }
      case 'rollout':
        return this.followRollout(c, id, signal);
      default:
        // "outcome" with state running, or a stage this code does not know (a newer writer?).
        throw new Error(`the run is stored at stage '${String(stage)}', which has no work: it cannot go on`);
    }
  }

  private async followRollout(c: StageContext, id: string, signal: AbortSignal): Promise<void> {
    const started = this.get(id).stages.find((s) => s.name === 'rollout');
    if (!started || started.state !== 'running') await this.beginStage(id, 'rollout');
    let run = this.get(id);
    if (!run.rollout_id) {
      // A rollout of this candidate started during this run (by a retrainer killed before it
      // stored the id) is adopted, ended or not: never a second one.
      const { id: rid, adopted } = await c.deployer.startRollout(run.model, run.candidate_version, run.parent_version, Number(run.created_unix_ms));
      if (adopted) this.o.logger.warn({ run: id, rollout: rid, why: adopted }, 'retrainer: adopted the rollout a previous retrainer started');
      await c.pause('rollout:started', id, signal);
      run = (await this.save(id, (r) => void (r.rollout_id = rid))).run;
    }
    const since = Number(run.stages.find((s) => s.name === 'rollout')?.started_unix_ms ?? Date.now());
    for (;;) {
      if (signal.aborted && signal.reason !== 'cancel') throw new Error('draining');
      if (signal.aborted) {
        // A rollout that has ended is the outcome, cancel or not: only an active one is aborted.
        const now = await c.deployer.getRollout(run.model).catch(() => undefined);
        if (!now || now.id !== run.rollout_id || !rolloutEnded(now)) {
          await c.deployer.abortRollout(run.model, `retraining run ${id} cancelled`).catch((e: unknown) => this.o.logger.warn({ run: id, err: errorMessage(e) }, 'retrainer: aborting the rollout failed'));
          throw new Error('cancelled');
        }
      }
      const r = await c.deployer.getRollout(run.model).catch((e: unknown) => {
        this.o.logger.warn({ run: id, err: errorMessage(e) }, 'retrainer: the rollout service did not answer; asking again');
        return undefined;
      });
      if (r && r.id !== run.rollout_id) throw new Error(`the model's rollout is now ${r.id}, not ${run.rollout_id} (someone started another)`);
      if (r && rolloutEnded(r)) {
        const outcome = `${r.state}: ${r.reason}`;
        const end: RunEnd = r.state === 'completed' ? 'promoted' : 'rolled_back';
        await this.endStage(id, 'rollout', 'done', outcome, (x) => void (x.rollout_outcome = outcome), { step_index: r.step_index, candidate_percent: r.candidate_percent });
        await this.finish(id, end, end === 'promoted' ? `version ${run.candidate_version} promoted (${outcome})` : `version ${run.candidate_version} ${r.state} (${r.reason})`);
        return;
      }
      if (Date.now() - since > this.o.rolloutTimeoutMs) throw new Error(`rollout ${run.rollout_id} not ended after ${this.o.rolloutTimeoutMs} ms (it goes on in the rollout service)`);
      await sleep(this.o.pollMs, signal);
    }
  }
}
