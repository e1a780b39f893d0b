/**
 * The monitor's core: applies prediction logs and feedback to per-version windows, closes
 * windows (count or age), runs the detectors, publishes DriftReports and RetrainRequests, and
 * stores its state so that acking a message only happens after the state covering it is on disk.
 *
 * Exactly-once, per version: every window file records the last stream sequence applied to that
 * version; a redelivered message at or below it is skipped. A batch is: apply in memory → close
 * full windows (publish reports with Nats-Msg-Id = report id, so a recomputed window after a
 * crash is stored once) → write the touched window files atomically → the caller acks. Any
 * failure before the write reloads the state from disk and the batch is redelivered.
 *
 * All mutations run one at a time through `serial()`.
 */
import { hostname } from 'node:os';
import type { Logger } from '../../shared/logging/index.js';
import { SUBJECTS, decodeFeedback, decodePredictionLog, encodeDriftReport, encodeRetrainRequest } from '../../shared/events/index.js';
import type { DriftReport, PredictionLog__Output, RetrainRequest } from '../../shared/events/index.js';
import { errorMessage } from '../../shared/errors/index.js';
import type { MonitorConfig } from './config.js';
import { skipped } from './detectors.js';
import type { DetectorSettings, Verdict, WindowData } from './detectors.js';
import { argmaxRows, softmaxRows, tensorToMatrix } from './matrix.js';
import type { Matrix } from './matrix.js';
import { loadModelMonitoring, parseMonitoring } from './model-monitoring.js';
import type { ModelMonitoring } from './model-monitoring.js';
import { loadReference } from './reference.js';
import type { Reference } from './reference.js';
import { ReportIndex } from './reports.js';
import type { ModelState, StateStore } from './state-store.js';
import { OpenWindow } from './window.js';
import type { MonitorMetrics } from './metrics.js';

/** One message from JetStream. */
export interface StreamMessage {
  seq: number;
  data: Uint8Array;
  /** Stream time of the message, ms. */
  timeMs: number;
}

/** Publishes an event to JetStream and resolves once it is stored. */
export type EventPublisher = (subject: string, data: Uint8Array, msgId: string) => Promise<void>;

/** Runs a window's detectors (in a worker thread, in the service: DetectorPool). */
export type DetectorRunner = (reference: Reference | undefined, window: WindowData, settings: DetectorSettings) => Promise<Verdict>;

/** Why a window closed. */
export type CloseReason = 'count' | 'time';

const SOURCE = `monitor@${hostname()}-${process.pid}`;

/** How long feedback waits (redelivered) for its prediction to be applied before it counts as unjoined, ms. */
export const FEEDBACK_JOIN_WAIT_MS = 60_000;

/** The drift monitor's state machine (NATS-free: the consumers feed it, tests can too). */
export class MonitorEngine {
  readonly reports = new ReportIndex();
  private readonly windows = new Map<string, OpenWindow>();
  private models: Record<string, ModelState> = {};
  private readonly monitoring = new Map<string, ModelMonitoring>();
  private readonly references = new Map<string, Reference | null>();
  private readonly referenceErrors = new Map<string, string>();
  /** request id → predicted label, newest last, for joining feedback (in memory only). */
  private readonly predictions = new Map<string, { model: string; version: string; label: number; joined: boolean }>();
  private chain: Promise<unknown> = Promise.resolve();
  /** Last MLMESH_PREDICTIONS sequence whose batch is fully stored: the consumer resumes after it. */
  private appliedSeq = 0;
  /** Rows of each version's last closed window (memory only), for the page's plots. */
  private readonly lastClosed = new Map<string, { inputs: Matrix | undefined; outputs: Matrix | undefined; windowIndex: number }>();

  constructor(
    private readonly config: MonitorConfig,
    private readonly store: StateStore,
    private readonly publish: EventPublisher,
    private readonly detect: DetectorRunner,
    private readonly log: Logger,
    private readonly metrics: MonitorMetrics,
    private readonly now: () => number = Date.now,
  ) {}

  /** Loads windows, model state and reports from the state folder. */
  async load(): Promise<void> {
    this.windows.clear();
    for (const w of await this.store.loadWindows()) this.windows.set(key(w.header.model, w.header.version), w);
    this.models = await this.store.loadModels();
    this.appliedSeq = await this.store.loadAppliedSeq();
    for (const r of await this.store.loadReports()) this.reports.add(r as DriftReport, false);
  }

  /** Last prediction sequence fully stored (the predictions consumer resumes after it). */
  get lastStoredSequence(): number {
    return this.appliedSeq;
  }

  /** Runs `fn` after every earlier mutation has finished. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Settings of a model (config.json `monitoring` over the monitor's options), cached. A
   * malformed section must not stop the stream for every model: it is logged and the model is
   * monitored with the defaults.
   */
  async monitoringOf(model: string): Promise<ModelMonitoring> {
    let m = this.monitoring.get(model);
    if (!m) {
      try {
        m = await loadModelMonitoring(this.config.modelRepository, model, this.config);
      } catch (e: unknown) {
        this.log.error({ model, err: errorMessage(e) }, 'monitoring section refused: using the monitor defaults for this model');
        m = parseMonitoring(undefined, this.config, `model '${model}'`);
      }
      this.monitoring.set(model, m);
    }
    return m;
  }

  /**
   * A version's reference (null when it has none, or when it cannot be used: the reason is kept
   * and reported as the detectors' skipped_reason), cached until replaced.
   */
  async referenceOf(model: string, version: string): Promise<Reference | null> {
    const k = key(model, version);
    if (!this.references.has(k)) {
      const mon = await this.monitoringOf(model);
      try {
        this.references.set(k, (await loadReference(this.config.modelRepository, model, version, mon)) ?? null);
        this.referenceErrors.delete(k);
      } catch (e: unknown) {
        // A corrupt or mismatched reference: this version's windows are reported untested.
        this.log.error({ model, version, err: errorMessage(e) }, 'reference refused');
        this.references.set(k, null);
        this.referenceErrors.set(k, errorMessage(e));
      }
    }
    return this.references.get(k) as Reference | null;
  }

  /** A version's reference if already loaded (null: known to have none; undefined: not loaded yet). */
  cachedReference(model: string, version: string): Reference | null | undefined {
    return this.references.get(key(model, version));
  }

  /** Installs a new reference for a version (after ReplaceReference wrote it). */
  setReference(ref: Reference): void {
    this.references.set(key(ref.model, ref.version), ref);
    this.referenceErrors.delete(key(ref.model, ref.version));
  }

  /** Every version's window (read-only use). */
  allWindows(): OpenWindow[] {
    return [...this.windows.values()];
  }

  /**
   * Rows to plot for a version: the open window when it has at least 2 rows, else the last
   * closed window seen by this process (undefined after a restart until one closes).
   */
  currentRows(model: string, version: string): { inputs: Matrix | undefined; outputs: Matrix | undefined; label: string } | undefined {
    const w = this.windows.get(key(model, version));
    if (w && w.header.rows >= 2) return { ...w.matrices(), label: `open window ${w.header.windowIndex} (${w.header.rows} rows)` };
    const c = this.lastClosed.get(key(model, version));
    return c ? { inputs: c.inputs, outputs: c.outputs, label: `closed window ${c.windowIndex}` } : undefined;
  }

  modelState(model: string): ModelState | undefined {
    return this.models[model];
  }

  private windowOf(model: string, version: string): OpenWindow {
    const k = key(model, version);
    let w = this.windows.get(k);
    if (!w) this.windows.set(k, (w = OpenWindow.empty(model, version)));
    return w;
  }

  /**
   * Applies a batch of prediction logs; resolves once the state covering them is on disk (then
   * the caller acks them). On failure the in-memory state is reloaded from disk and the error
   * rethrown (the caller naks; the batch comes again).
   */
  applyPredictions(batch: readonly StreamMessage[]): Promise<void> {
    return this.serial(async () => {
      const dirty = new Set<OpenWindow>();
      try {
        await this.finishPendingCloses();
        for (const msg of batch) await this.applyOne(msg, dirty);
        for (const w of dirty) await this.store.saveWindow(w);
        const last = batch.reduce((m, x) => Math.max(m, x.seq), this.appliedSeq);
        // Written after the windows: a crash in between only makes the per-version sequences skip
        // what the windows already hold.
        if (last > this.appliedSeq) await this.store.saveAppliedSeq(last);
        this.appliedSeq = last;
      } catch (e: unknown) {
        this.log.warn({ err: errorMessage(e) }, 'prediction batch failed: reloading state, the batch will be redelivered');
        await this.load();
        throw e;
      }
    });
  }

  /**
   * Applies one message. A fault of the message itself (anything before the window closes) is
   * logged, counted and skipped — one poison message must not stop every model. A failure to
   * close (publish, NATS down) fails the batch, which is retried.
   */
  private async applyOne(msg: StreamMessage, dirty: Set<OpenWindow>): Promise<void> {
    let full: { w: OpenWindow; mon: ModelMonitoring } | undefined;
    try {
      full = await this.appendOne(msg, dirty);
    } catch (e: unknown) {
      this.metrics.skipped.inc({ reason: 'error' });
      this.log.error({ seq: msg.seq, err: errorMessage(e) }, 'skipping a prediction log that could not be applied');
      return;
    }
    if (full) await this.close(full.w, 'count');
  }

  /** Decodes a log and appends its rows; returns the window when it is full. */
  private async appendOne(msg: StreamMessage, dirty: Set<OpenWindow>): Promise<{ w: OpenWindow; mon: ModelMonitoring } | undefined> {
    let log: PredictionLog__Output;
    try {
      log = decodePredictionLog(msg.data);
    } catch (e: unknown) {
      this.metrics.skipped.inc({ reason: 'undecodable' });
      this.log.warn({ seq: msg.seq, err: errorMessage(e) }, 'skipping a message that is not a PredictionLog');
      return undefined;
    }
    const w = this.windowOf(log.model, log.version);
    if (msg.seq <= w.header.lastAppliedSeq) {
      this.metrics.skipped.inc({ reason: 'redelivered' });
      return undefined;
    }
    w.header.lastAppliedSeq = msg.seq;
    dirty.add(w);
    const mon = await this.monitoringOf(log.model);
    const pick = (tensors: typeof log.inputs, name: string | undefined) => (name ? tensors.find((t) => t.name === name) : tensors[0]);
    let inputs: Matrix | undefined;
    let outputs: Matrix | undefined;
    try {
      const ti = log.inputs_omitted ? undefined : pick(log.inputs, mon.input);
      if (ti) inputs = tensorToMatrix(ti.datatype, ti.shape.map(Number), ti.raw);
      const to = mon.outputKind === 'none' ? undefined : pick(log.outputs, mon.output);
      if (to) {
        outputs = tensorToMatrix(to.datatype, to.shape.map(Number), to.raw);
        if (mon.outputKind === 'logits') outputs = softmaxRows(outputs);
      }
    } catch (e: unknown) {
      this.metrics.skipped.inc({ reason: 'bad_tensor' });
      this.log.warn({ seq: msg.seq, model: log.model, err: errorMessage(e) }, 'skipping a prediction log with a malformed tensor');
      return undefined;
    }
    const time = Number(log.meta?.time_unix_ms ?? 0) || msg.timeMs;
    const err = w.append(inputs, outputs, msg.seq, time);
    if (err) {
      this.metrics.skipped.inc({ reason: 'shape' });
      this.log.warn({ seq: msg.seq, model: log.model, version: log.version, err }, 'skipping a prediction log that does not fit the window');
      return undefined;
    }
    this.metrics.rows.inc({ model: log.model, version: log.version }, inputs?.rows ?? outputs?.rows ?? 0);
    if (outputs && outputs.rows === 1) this.remember(log.request_id, log.model, log.version, argmaxRows(outputs).labels[0] as number);
    return w.header.rows >= mon.windowRows ? { w, mon } : undefined;
  }

  private remember(requestId: string, model: string, version: string, label: number): void {
    if (this.config.feedbackRetentionRows === 0 || requestId === '') return;
    this.predictions.delete(requestId);
    this.predictions.set(requestId, { model, version, label, joined: false });
    while (this.predictions.size > this.config.feedbackRetentionRows) {
      const oldest = this.predictions.keys().next().value as string;
      this.predictions.delete(oldest);
    }
  }

  /**
   * Applies a batch of feedback (labels joined by request id); resolves once stored, with the
   * sequences of feedback whose prediction has not been applied yet (the two streams are
   * consumed independently): the caller naks those for a later retry, until they are older than
   * FEEDBACK_JOIN_WAIT_MS, when they are acked and counted as unjoined.
   */
  applyFeedback(batch: readonly StreamMessage[]): Promise<{ retry: number[] }> {
    return this.serial(async () => {
      const dirty = new Set<OpenWindow>();
      const retry: number[] = [];
      // Marked joined only once stored: a failed batch is redelivered and must count again.
      const joined: Array<{ joined: boolean }> = [];
      try {
        for (const msg of batch) {
          let fb;
          try {
            fb = decodeFeedback(msg.data);
          } catch {
            this.metrics.skipped.inc({ reason: 'undecodable' });
            continue;
          }
          const p = this.predictions.get(fb.request_id);
          if (!p) {
            if (this.now() - msg.timeMs < FEEDBACK_JOIN_WAIT_MS) retry.push(msg.seq);
            else this.metrics.feedback.inc({ outcome: 'unjoined' });
            continue;
          }
          if (fb.model !== p.model) {
            this.metrics.feedback.inc({ outcome: 'wrong_model' });
            continue;
          }
          if (fb.value !== 'label' || typeof fb.label !== 'string') {
            this.metrics.feedback.inc({ outcome: 'not_a_label' });
            continue;
          }
          // A request's label counts once (redelivered or repeated feedback is ignored).
          if (p.joined || joined.includes(p)) continue;
          joined.push(p);
          const w = this.windowOf(p.model, p.version);
          const correct = String(p.label) === fb.label ? 1 : 0;
          w.header.feedbackRows += 1;
          w.header.feedbackCorrect += correct;
          w.header.windowFeedbackRows += 1;
          w.header.windowFeedbackCorrect += correct;
          this.metrics.feedback.inc({ outcome: correct ? 'correct' : 'wrong' });
          dirty.add(w);
        }
        for (const w of dirty) await this.store.saveWindow(w);
        for (const p of joined) p.joined = true;
        return { retry };
      } catch (e: unknown) {
        await this.load();
        throw e;
      }
    });
  }

  /** Closes every window older than its model's windowSeconds (with at least minWindowRows). */
  tick(): Promise<void> {
    return this.serial(async () => {
      try {
        await this.finishPendingCloses();
      } catch (e: unknown) {
        this.log.warn({ err: errorMessage(e) }, 'finishing an interrupted close failed: retrying on the next batch');
        return;
      }
      const now = this.now();
      for (const w of this.windows.values()) {
        const mon = await this.monitoringOf(w.header.model);
        if (mon.windowSeconds === 0 || w.header.rows < mon.minWindowRows) continue;
        if (now - w.header.startMs < mon.windowSeconds * 1000) continue;
        try {
          await this.close(w, 'time');
          await this.store.saveWindow(w);
        } catch (e: unknown) {
          this.log.warn({ err: errorMessage(e), model: w.header.model }, 'time-based close failed: reloading state');
          await this.load();
          return;
        }
      }
    });
  }

  /**
   * Tests the window, stores its report locally, publishes it (and maybe a RetrainRequest) and
   * starts the next window. The report is stored before it is published: after a crash, a
   * window whose report is stored is finished from that report (see finishPendingCloses), so a
   * window is reported once, with exactly the rows it held.
   */
  private async close(w: OpenWindow, reason: CloseReason): Promise<void> {
    const h = w.header;
    const mon = await this.monitoringOf(h.model);
    const ref = await this.referenceOf(h.model, h.version);
    const reportId = `${h.model}/${h.version}/${h.windowIndex}`;
    const t0 = performance.now();
    const rows = w.matrices();
    const settings = { detectors: mon.detectors, alpha: mon.alpha, correction: mon.correction, detectorCorrection: mon.detectorCorrection, kernel: mon.kernel, permutations: mon.permutations, mmdMaxRows: this.config.mmdMaxRows, seed: reportId };
    let verdict: Verdict;
    try {
      verdict = await this.detect(ref ?? undefined, { ...rows, feedback: { rows: h.windowFeedbackRows, correct: h.windowFeedbackCorrect } }, settings);
    } catch (e: unknown) {
      // The worker itself failed (crashed, out of memory): the window is reported untested
      // rather than retried forever.
      this.log.error({ model: h.model, version: h.version, err: errorMessage(e) }, 'detectors failed: window reported untested');
      verdict = { drifted: false, results: mon.detectors.map((d) => skipped(d, `the detector worker failed: ${errorMessage(e)}`)) };
    }
    this.metrics.testSeconds.observe((performance.now() - t0) / 1000);
    const refError = this.referenceErrors.get(key(h.model, h.version));
    if (refError) for (const r of verdict.results) if (r.skipped_reason) r.skipped_reason = `reference refused: ${refError}`;
    updateStreak(h, verdict.drifted, reportId, h.firstSeq);
    const report: DriftReport = {
      meta: { event_id: reportId, time_unix_ms: String(this.now()), source: SOURCE, producer_version: '' },
      report_id: reportId,
      model: h.model,
      version: h.version,
      window_index: String(h.windowIndex),
      window_start_ms: String(h.startMs),
      window_end_ms: String(h.endMs),
      rows: String(h.rows),
      first_sequence: String(h.firstSeq),
      last_sequence: String(h.lastSeq),
      close_reason: reason,
      alpha: mon.alpha,
      drifted: verdict.drifted,
      detectors: verdict.results,
      reference_rows: String(ref?.rows ?? 0),
      reference_sha256: ref?.sha256 ?? '',
      consecutive_drifted: h.consecutiveDrifted,
    };
    if (this.reports.add(report)) await this.store.appendReport(h.model, report);
    this.lastClosed.set(key(h.model, h.version), { ...rows, windowIndex: h.windowIndex });
    await this.completeClose(w, report, mon);
  }

  /** Publishes a stored report (and maybe a RetrainRequest) and starts the next window. */
  private async completeClose(w: OpenWindow, report: DriftReport, mon: ModelMonitoring): Promise<void> {
    const h = w.header;
    await this.publish(SUBJECTS.drift(h.model), encodeDriftReport(report), report.report_id as string);
    this.metrics.windows.inc({ model: h.model, version: h.version, drifted: String(report.drifted) });
    if (report.drifted && h.consecutiveDrifted >= mon.consecutiveWindows) await this.maybeRetrain(w, report, mon);
    this.log.info({ model: h.model, version: h.version, window: h.windowIndex, rows: Number(report.rows), drifted: report.drifted, reason: report.close_reason }, 'window closed');
    // Redelivered messages up to the report's last row belong to the closed window.
    h.lastAppliedSeq = Math.max(h.lastAppliedSeq, Number(report.last_sequence));
    w.reset();
  }

  /**
   * Finishes closes a crash interrupted: a window whose report is stored but whose file still
   * holds the window (the crash came between the report and the window file) is closed from the
   * stored report — published again (its Nats-Msg-Id makes that idempotent), the streak updated
   * as the first close did, and its rows never counted again. Runs before every batch and tick.
   */
  private async finishPendingCloses(): Promise<void> {
    for (const w of this.windows.values()) {
      const h = w.header;
      const report = this.reports.get(`${h.model}/${h.version}/${h.windowIndex}`);
      if (!report) continue;
      const mon = await this.monitoringOf(h.model);
      updateStreak(h, report.drifted as boolean, report.report_id as string, Number(report.first_sequence));
      await this.completeClose(w, report, mon);
      await this.store.saveWindow(w);
      this.log.warn({ model: h.model, version: h.version, report: report.report_id }, 'finished a window close interrupted by a crash');
    }
  }

  private async maybeRetrain(w: OpenWindow, report: DriftReport, mon: ModelMonitoring): Promise<void> {
    const h = w.header;
    const state = (this.models[h.model] ??= { lastRetrainMs: 0, retrainRequests: 0 });
    const now = this.now();
    if (state.lastRetrainMs > 0 && now - state.lastRetrainMs < mon.cooldownSeconds * 1000) {
      this.metrics.retrainSuppressed.inc({ model: h.model });
      return;
    }
    const requestId = `${report.report_id as string}/retrain`;
    const req: RetrainRequest = {
      meta: { event_id: requestId, time_unix_ms: String(now), source: SOURCE, producer_version: '' },
      request_id: requestId,
      model: h.model,
      version: h.version,
      reason: `drift in ${h.consecutiveDrifted} consecutive windows (threshold ${mon.consecutiveWindows}) at alpha ${mon.alpha}`,
      report,
      first_sequence: String(h.streakFirstSeq),
      last_sequence: String(h.lastSeq),
      consecutive_windows: h.consecutiveDrifted,
      drifted_report_ids: [...h.streakReportIds],
    };
    await this.publish(SUBJECTS.retrain(h.model), encodeRetrainRequest(req), requestId);
    state.lastRetrainMs = now;
    state.retrainRequests += 1;
    await this.store.saveModels(this.models);
    this.metrics.retrains.inc({ model: h.model });
    this.log.warn({ model: h.model, version: h.version, requestId }, 'retrain requested');
  }
}

/** Updates a version's drift streak with one window's verdict. */
function updateStreak(h: OpenWindow['header'], drifted: boolean, reportId: string, firstSeq: number): void {
  if (drifted) {
    if (h.consecutiveDrifted === 0) {
      h.streakFirstSeq = firstSeq;
      h.streakReportIds = [];
    }
    h.consecutiveDrifted += 1;
    h.streakReportIds.push(reportId);
  } else {
    h.consecutiveDrifted = 0;
    h.streakReportIds = [];
    h.streakFirstSeq = 0;
  }
}

function key(model: string, version: string): string {
  return `${model}\u0000${version}`;
}
