/**
 * The monitor's core: applies prediction logs and feedback to per-version windows, closes
 * windows (count or event time), runs the detectors, publishes DriftReports and RetrainRequests,
 * and stores its state so that acking a message only happens after the state covering it is on
 * disk.
 *
 * Windows hold exactly `window_rows` rows (a multi-row log is split between two windows when it
 * does not fit) and are cut in event time: a log stamped `window_seconds` or more after the open
 * window's first row closes it before joining the next one. A wall-clock tick closes windows of
 * versions whose traffic stopped, only once the predictions consumer has caught up with the
 * stream (so a backlog after an outage is cut by its own timestamps, not by batches).
 *
 * Exactly-once, per version: every window file records how far that version has applied the
 * stream (message and row); a redelivered row before it is skipped. A batch is: apply in memory →
 * close full windows (publish reports with Nats-Msg-Id = report id, so a recomputed window after
 * a crash is stored once) → store the batch's prediction rows in the feedback join → write the
 * touched window files atomically → the caller acks. Any failure before the write reloads the
 * state from disk and the batch is redelivered.
 *
 * All mutations run one at a time through `serial()`.
 */
import { hostname } from 'node:os';
import type { Logger } from '../../shared/logging/index.js';
import { SUBJECTS, decodePredictionLog, encodeDriftReport, encodeQualityAlert, encodeRetrainRequest } from '../../shared/events/index.js';
import type { DriftReport, PredictionLog__Output } from '../../shared/events/index.js';
import { errorMessage } from '../../shared/errors/index.js';
import { LeaseLostError } from '../../shared/nats/index.js';
import type { MonitorConfig } from './config.js';
import { c2stSettingsOf, skippedAll } from './detectors.js';
import type { DetectorSettings, Verdict, WindowData } from './detectors.js';
import { matchFeedback } from './feedback.js';
import type { Credit, PredictionRow, WindowLabels } from './join-store.js';
import { queueItems } from './label-queue.js';
import type { QueueItem, QueueQuery } from './label-queue.js';
import { alertsFor, qualityOf } from './quality.js';
import type { CalibrationBin, QualityAlertRecord, WindowQuality } from './quality.js';
import { segmentFeatureIndex, segmentOf } from './segments.js';
import type { SegmentReport } from './segments.js';
import { argmaxRows } from './matrix.js';
import { logMatrices } from './log-rows.js';
import type { Matrix } from './matrix.js';
import { loadModelMonitoring, parseMonitoring } from './model-monitoring.js';
import type { ModelMonitoring } from './model-monitoring.js';
import { loadReference } from './reference.js';
import type { Reference } from './reference.js';
import { ReportIndex, buildDriftReport } from './reports.js';
import { reportIdOf, retrainDue, retrainRequest, updateStreak } from './retrain.js';
import { cusumAfterReport, cusumWindow } from './sequential-detector.js';
import { OnlineDetectors, configureInProcess, onlineAfterClose } from './online-detector.js';
import type { OnlineConfigurer } from './online-detector.js';
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

/** What the consumer knows about a batch beyond its messages. */
export interface BatchInfo {
  /** Messages left in the stream after this batch (0: caught up). @default 0 */
  pending?: number;
}

/** Publishes an event to JetStream and resolves once it is stored. */
export type EventPublisher = (subject: string, data: Uint8Array, msgId: string) => Promise<void>;

/** Runs a window's detectors (in a worker thread, in the service: DetectorPool). */
export type DetectorRunner = (reference: Reference | undefined, window: WindowData, settings: DetectorSettings) => Promise<Verdict>;

/** Why a window closed. */
export type CloseReason = 'count' | 'time';

/** Feedback joined to one closed window, whenever it arrived (WindowPerformance on the wire). */
export interface WindowPerformanceRecord extends WindowLabels {
  reportId: string;
}

const SOURCE = `monitor@${hostname()}-${process.pid}`;

/**
 * How long feedback waits (redelivered) for its prediction to be applied before it counts as
 * unjoined, ms of stream time past the feedback's own: it waits while the predictions consumer
 * is behind (a backlog, a restart), and this long once it has caught up.
 */
export const FEEDBACK_JOIN_WAIT_MS = 60_000;

/** A log decoded and checked, ready to be applied. */
interface ParsedLog {
  log: PredictionLog__Output;
  w: OpenWindow;
  mon: ModelMonitoring;
  inputs: Matrix | undefined;
  outputs: Matrix | undefined;
  rows: number;
  /** First row not applied yet (> 0 when a crash interrupted a split). */
  from: number;
  timeMs: number;
}

/** The drift monitor's state machine (NATS-free: the consumers feed it, tests can too). */
export class MonitorEngine {
  readonly reports = new ReportIndex();
  private readonly windows = new Map<string, OpenWindow>();
  /** Versions whose too-large windows were already warned about (once each). */
  private readonly tooLargeWarned = new Set<string>();
  /** The per-row online detectors (online-detector.ts), and the versions whose detector could not run (warned once each). */
  private readonly online: OnlineDetectors;
  private readonly onlineWarned = new Set<string>();
  private models: Record<string, ModelState> = {};
  private readonly monitoring = new Map<string, ModelMonitoring>();
  private readonly references = new Map<string, Reference | null>();
  private readonly referenceErrors = new Map<string, string>();
  private chain: Promise<unknown> = Promise.resolve();
  /** Last MLMESH_PREDICTIONS sequence whose batch is fully stored: the consumer resumes after it. */
  private appliedSeq = 0;
  /** Whether the last predictions batch (or an empty fetch) left nothing pending in the stream. */
  private caughtUp = false;
  /** Newest stream time of an applied prediction log, ms. */
  private appliedThroughMs = 0;
  /** Join rows of the batch being applied (not stored yet): a window closing mid-batch queues them too. */
  private pendingJoin: readonly PredictionRow[] = [];
  /** Fencing: when set, state is committed only while it returns true (the monitor's lease). */
  private fence: (() => boolean) | undefined;
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
    configureOnline: OnlineConfigurer = configureInProcess,
  ) {
    this.online = new OnlineDetectors(configureOnline);
  }

  /** Loads windows, model state and reports from the state folder. */
  async load(): Promise<void> {
    this.windows.clear();
    // Rebuilt from the window headers just loaded.
    this.online.clear();
    for (const w of await this.store.loadWindows()) this.windows.set(key(w.header.model, w.header.version), w);
    this.models = await this.store.loadModels();
    this.appliedSeq = await this.store.loadAppliedSeq();
    for (const r of await this.store.loadReports()) this.reports.add(r, false);
    // Until the consumer says otherwise, the stream may hold a backlog.
    this.caughtUp = false;
  }

  /**
   * Fences the state: from now on every commit (batch, window close, feedback, tick) first
   * checks `active()` and is refused with LeaseLostError when it returns false, so a replica
   * that lost its lease writes nothing more (its batch is not acked and comes again to the
   * replica that holds the lease).
   */
  setFence(active: () => boolean): void {
    this.fence = active;
  }

  /** Whether this engine may commit state now (no fence, or the fence says active). */
  get active(): boolean {
    return this.fence === undefined || this.fence();
  }

  private assertActive(action: string): void {
    if (!this.active) throw new LeaseLostError(action);
  }

  /** Closes the state's files (the feedback join's database). */
  close(): void {
    this.store.close();
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

  /** The predictions consumer found nothing to fetch: the stream has no backlog. */
  markCaughtUp(): void {
    this.caughtUp = true;
  }

  /**
   * Feedback joined to the window of a report, late labels included (undefined: no such report).
   */
  performance(reportId: string): WindowPerformanceRecord | undefined {
    const r = this.reports.get(reportId);
    if (!r) return undefined;
    return { reportId, ...this.store.join.window(r.model as string, r.version as string, Number(r.window_index)) };
  }

  /** Feedback joined to a version, all windows (the open one included). */
  versionFeedback(model: string, version: string): { labelled: number; correct: number } {
    return this.store.join.version(model, version);
  }

  /** Rows of the labelling queue (label-queue.ts). */
  labelQueue(q: QueueQuery): QueueItem[] {
    return this.store.join.queue.list(q);
  }

  /** Versions of a model with a window or a report, in version order. */
  versionsOf(model: string): string[] {
    const vs = new Set(this.allWindows().filter((w) => w.header.model === model).map((w) => w.header.version));
    for (const r of this.reports.list(model, '', 0, 0, Number.MAX_SAFE_INTEGER)) vs.add(r.version as string);
    return [...vs].sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Live quality of a version: per window, total, calibration and its expected calibration error. */
  quality(model: string, version: string): { windows: WindowQuality[]; total: WindowQuality; calibration: CalibrationBin[]; ece: number } {
    const q = this.store.join.quality;
    const calibration = q.calibration(model, version);
    const n = calibration.reduce((a, b) => a + b.rows, 0);
    const ece = n > 0 ? calibration.reduce((a, b) => a + (b.rows / n) * Math.abs(b.accuracy - b.meanConfidence), 0) : 0;
    return { windows: q.series(model, version), total: q.total(model, version), calibration, ece };
  }

  /** Quality alerts of a model, oldest first. */
  qualityAlerts(model: string): QualityAlertRecord[] {
    return this.store.join.quality.alerts(model);
  }

  /** RetrainRequests this monitor published for a model (from feedback.sqlite), oldest first. */
  retrainLog(model: string): Array<{ requestId: string; version: string; windowIndex: number; timeMs: number; reason: string }> {
    return this.store.join.quality.retrains(model);
  }

  /** Per-segment metrics of windows [from, to] of a version (segments.ts). */
  async segments(model: string, version: string, fromWindow: number, toWindow: number, maxSegments: number): Promise<SegmentReport> {
    const mon = await this.monitoringOf(model);
    const segmentBy = mon.segmentParameter !== undefined ? `parameter ${mon.segmentParameter}` : mon.segmentFeature !== undefined ? `feature ${mon.segmentFeature}` : '';
    return this.store.join.segments.report(model, version, fromWindow, toWindow, { alpha: mon.alpha, maxSegments, segmentBy });
  }

  /**
   * Applies a batch of prediction logs; resolves once the state covering them is on disk (then
   * the caller acks them). On failure the in-memory state is reloaded from disk and the error
   * rethrown (the caller naks; the batch comes again).
   */
  applyPredictions(batch: readonly StreamMessage[], info: BatchInfo = {}): Promise<void> {
    return this.serial(async () => {
      const dirty = new Set<OpenWindow>();
      const joinRows: PredictionRow[] = [];
      this.pendingJoin = joinRows;
      try {
        this.assertActive('apply a prediction batch');
        await this.finishPendingCloses();
        for (const msg of batch) await this.applyOne(msg, dirty, joinRows);
        this.assertActive('store a prediction batch');
        // The join before the windows: once a window file says a row is applied, its join row is stored.
        if (this.config.feedbackRetentionRows > 0) await this.store.rememberPredictions(joinRows, this.config.feedbackRetentionRows);
        for (const w of dirty) await this.store.saveWindow(w);
        const last = batch.reduce((m, x) => Math.max(m, x.seq), this.appliedSeq);
        // Written after the windows: a crash in between only makes the per-version positions skip
        // what the windows already hold.
        if (last > this.appliedSeq) await this.store.saveAppliedSeq(last);
        this.appliedSeq = last;
        this.appliedThroughMs = batch.reduce((m, x) => Math.max(m, x.timeMs), this.appliedThroughMs);
        this.caughtUp = (info.pending ?? 0) === 0;
      } catch (e: unknown) {
        this.log.warn({ err: errorMessage(e) }, 'prediction batch failed: reloading state, the batch will be redelivered');
        await this.load();
        throw e;
      } finally {
        this.pendingJoin = [];
      }
    });
  }

  /**
   * Applies one message. A fault of the message itself (anything before its rows are appended)
   * is logged, counted and skipped — one poison message must not stop every model. A failure to
   * close (publish, NATS down) fails the batch, which is retried.
   */
  private async applyOne(msg: StreamMessage, dirty: Set<OpenWindow>, joinRows: PredictionRow[]): Promise<void> {
    let p: ParsedLog | undefined;
    try {
      p = await this.parse(msg, dirty);
    } catch (e: unknown) {
      this.metrics.skipped.inc({ reason: 'error' });
      this.log.error({ seq: msg.seq, err: errorMessage(e) }, 'skipping a prediction log that could not be applied');
      return;
    }
    if (!p) return;
    const { log, w, mon } = p;
    const h = w.header;
    // Event time: a log W or more after the window's first row ends the window (if it has enough rows).
    if (p.from === 0 && mon.windowSeconds > 0 && h.rows >= mon.minWindowRows && p.timeMs - h.startMs >= mon.windowSeconds * 1000) await this.closeWindow(w, 'time');
    const err = w.check(p.inputs, p.outputs);
    if (err) {
      this.metrics.skipped.inc({ reason: 'shape' });
      this.log.warn({ seq: msg.seq, model: log.model, version: log.version, err }, 'skipping a prediction log that does not fit the window');
      h.lastAppliedSeq = msg.seq;
      h.lastAppliedRows = p.rows;
      return;
    }
    // A window that could not fit its bound when full is refused from its first row (float32 rows).
    const rowBytes = ((p.inputs?.cols ?? 0) + (p.outputs?.cols ?? 0)) * 4;
    const maxBytes = mon.maxWindowBytes ?? this.config.windowMaxBytes;
    if (mon.windowRows * rowBytes > maxBytes) {
      this.metrics.skipped.inc({ reason: 'too_large' });
      const k = key(log.model, log.version);
      if (!this.tooLargeWarned.has(k)) {
        this.tooLargeWarned.add(k);
        this.log.warn({ model: log.model, version: log.version, windowRows: mon.windowRows, rowBytes, maxBytes }, `skipping prediction logs: a full window would take ${mon.windowRows * rowBytes} bytes, over the bound of ${maxBytes} (windowMaxBytes / monitoring.max_window_bytes); lower window_rows or raise the bound`);
      }
      h.lastAppliedSeq = msg.seq;
      h.lastAppliedRows = p.rows;
      return;
    }
    const best = p.outputs && this.config.feedbackRetentionRows > 0 && log.request_id !== '' ? argmaxRows(p.outputs) : undefined;
    const labels = best?.labels;
    // A one-column output is a regressor's predicted value: no classes, no confidence.
    const regressor = p.outputs?.cols === 1;
    const segSpec = { parameter: mon.segmentParameter, featureIndex: segmentFeatureIndex(mon.segmentFeature, mon.featureNames) };
    let from = p.from;
    while (from < p.rows) {
      // A window fuller than window_rows (the setting was lowered) closes before taking more.
      if (h.rows >= mon.windowRows) await this.closeWindow(w, 'count');
      const count = Math.min(p.rows - from, mon.windowRows - h.rows);
      w.append(p.inputs, p.outputs, msg.seq, from, count, p.timeMs);
      if (mon.online) await this.feedOnline(w, mon, p.inputs, from, count, msg.seq);
      if (labels) {
        for (let i = from; i < from + count; i++) {
          joinRows.push({
            model: log.model, requestId: log.request_id, row: i, rows: p.rows, version: log.version, windowIndex: h.windowIndex, label: labels[i] as number, seq: msg.seq,
            pos: h.rows - count + (i - from),
            confidence: regressor ? null : (best?.max[i]),
            value: regressor ? (p.outputs?.data[i]) : null,
            segment: segmentOf(segSpec, log.parameters, p.inputs, i),
          });
        }
      }
      from += count;
      h.lastAppliedSeq = msg.seq;
      h.lastAppliedRows = from;
      this.metrics.rows.inc({ model: log.model, version: log.version }, count);
      if (h.rows >= mon.windowRows) await this.closeWindow(w, 'count');
    }
  }

  /** Decodes a log and its tensors; undefined when it is skipped (counted). */
  private async parse(msg: StreamMessage, dirty: Set<OpenWindow>): Promise<ParsedLog | undefined> {
    let log: PredictionLog__Output;
    try {
      log = decodePredictionLog(msg.data);
    } catch (e: unknown) {
      this.metrics.skipped.inc({ reason: 'undecodable' });
      this.log.warn({ seq: msg.seq, err: errorMessage(e) }, 'skipping a message that is not a PredictionLog');
      return undefined;
    }
    const w = this.windowOf(log.model, log.version);
    const h = w.header;
    const from = msg.seq === h.lastAppliedSeq ? h.lastAppliedRows : 0;
    if (msg.seq < h.lastAppliedSeq) {
      this.metrics.skipped.inc({ reason: 'redelivered' });
      return undefined;
    }
    dirty.add(w);
    const mon = await this.monitoringOf(log.model);
    let inputs: Matrix | undefined;
    let outputs: Matrix | undefined;
    try {
      ({ inputs, outputs } = logMatrices(log, mon));
    } catch (e: unknown) {
      this.metrics.skipped.inc({ reason: 'bad_tensor' });
      this.log.warn({ seq: msg.seq, model: log.model, err: errorMessage(e) }, 'skipping a prediction log with a malformed tensor');
      h.lastAppliedSeq = msg.seq;
      h.lastAppliedRows = Number.MAX_SAFE_INTEGER;
      return undefined;
    }
    const rows = inputs?.rows ?? outputs?.rows ?? 0;
    if (from > 0 && from >= rows) {
      this.metrics.skipped.inc({ reason: 'redelivered' });
      return undefined;
    }
    const timeMs = Number(log.meta?.time_unix_ms ?? 0) || msg.timeMs;
    return { log, w, mon, inputs, outputs, rows, from, timeMs };
  }

  /**
   * Applies a batch of feedback: each label is credited to the window (and version) of the
   * prediction row it labels, reported or not. Resolves once stored, with the sequences of
   * feedback whose prediction may not be applied yet (the two streams are consumed
   * independently): the caller naks those for a later retry, until the predictions consumer is
   * FEEDBACK_JOIN_WAIT_MS of stream time past them, when they are acked and counted as unjoined.
   */
  applyFeedback(batch: readonly StreamMessage[]): Promise<{ retry: number[] }> {
    return this.serial(async () => {
      try {
        const match = matchFeedback(batch, {
          join: this.store.join,
          reported: (model, version, index) => this.reports.get(reportIdOf(model, version, index)) !== undefined,
          predictionsAppliedThroughMs: this.caughtUp ? Math.max(this.now(), this.appliedThroughMs) : this.appliedThroughMs,
          waitMs: FEEDBACK_JOIN_WAIT_MS,
        });
        this.assertActive('store a feedback batch');
        await this.store.commitFeedback(match.credits, this.now());
        for (const [outcome, n] of match.outcomes) this.metrics.feedback.inc({ outcome }, n);
        for (const c of match.credits) if (c.late) this.metrics.lateLabels.inc({ model: c.model, version: c.version });
        // The labels are committed: a failure from here on must not redeliver the batch (its
        // labels would come back as duplicates). Alerts are recorded before they are published,
        // and the next credit of the window checks it again.
        await this.checkQuality(match.credits).catch((e: unknown) => this.log.error({ err: errorMessage(e) }, 'checking quality alerts failed'));
        return { retry: match.retry };
      } catch (e: unknown) {
        this.log.warn({ err: errorMessage(e) }, 'feedback batch failed: it will be redelivered');
        throw e;
      }
    });
  }

  /**
   * Closes every window whose first row is windowSeconds old by the wall clock (with at least
   * minWindowRows): the versions whose traffic stopped. Only once the predictions consumer has
   * caught up, so that rows still in the stream are cut by their own times.
   */
  tick(): Promise<void> {
    return this.serial(async () => {
      // A standby (no lease) closes nothing: the active replica does.
      if (!this.active) return;
      try {
        await this.finishPendingCloses();
      } catch (e: unknown) {
        this.log.warn({ err: errorMessage(e) }, 'finishing an interrupted close failed: retrying on the next batch');
        return;
      }
      await this.publishAlerts();
      if (!this.caughtUp) return;
      const now = this.now();
      for (const w of this.windows.values()) {
        const mon = await this.monitoringOf(w.header.model);
        if (mon.windowSeconds === 0 || w.header.rows < mon.minWindowRows) continue;
        if (now - w.header.startMs < mon.windowSeconds * 1000) continue;
        try {
          await this.closeWindow(w, 'time');
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
  private async closeWindow(w: OpenWindow, reason: CloseReason): Promise<void> {
    const h = w.header;
    const mon = await this.monitoringOf(h.model);
    const ref = await this.referenceOf(h.model, h.version);
    const reportId = reportIdOf(h.model, h.version, h.windowIndex);
    const t0 = performance.now();
    const rows = w.matrices();
    const labelled = this.store.join.window(h.model, h.version, h.windowIndex);
    const settings = { detectors: mon.detectors, alpha: mon.alpha, correction: mon.correction, detectorCorrection: mon.detectorCorrection, kernel: mon.kernel, mmdKernels: mon.mmdKernels, permutations: mon.permutations, mmdMaxRows: this.config.mmdMaxRows, seed: reportId, c2st: c2stSettingsOf(this.config), rankPermutations: this.config.rankPermutations, outputKind: mon.outputKind };
    let verdict: Verdict;
    try {
      verdict = await this.detect(ref ?? undefined, { ...rows, feedback: { rows: labelled.labelled, correct: labelled.correct } }, settings);
    } catch (e: unknown) {
      // The worker itself failed (crashed, out of memory): the window is reported untested
      // rather than retried forever.
      this.log.error({ model: h.model, version: h.version, err: errorMessage(e) }, 'detectors failed: window reported untested');
      verdict = { drifted: false, results: skippedAll(settings, `the detector worker failed: ${errorMessage(e)}`) };
    }
    this.metrics.testSeconds.observe((performance.now() - t0) / 1000);
    const refError = this.referenceErrors.get(key(h.model, h.version));
    if (refError) for (const r of verdict.results) if (r.skipped_reason) r.skipped_reason = `reference refused: ${refError}`;
    updateStreak(h, verdict.drifted, h.windowIndex);
    if ((mon.cusumErtWindows ?? 0) > 0) {
      // After the window's decision: the CUSUM is reported beside the detectors, never part of it.
      const step = cusumWindow(verdict.results, { s: h.cusumS, runStart: h.cusumRunStart }, h.windowIndex, mon.cusumErtWindows as number, mon.cusumK ?? 0.5);
      verdict.results.push(step.result);
      h.cusumS = step.after.s;
      h.cusumRunStart = step.after.runStart;
    }
    // Likewise the online detector's alarms among the window's rows.
    if (mon.online) verdict.results.push(await this.online.entry(h, mon.online, ref));
    const report = buildDriftReport(h, reason, mon.alpha, verdict, ref, SOURCE, this.now());
    // The first write of the close: a replica that lost its lease during the test stops here.
    this.assertActive(`close window ${h.windowIndex} of ${h.model}@${h.version}`);
    // The labelling queue before the report: a close finished from a stored report has no rows to sample.
    if ((mon.labelQueueRows ?? 0) > 0 && this.config.feedbackRetentionRows > 0) this.queueWindow(h, rows, mon, reportId);
    // Indexed once stored: a report that failed to reach the disk is not finished from memory.
    if (!this.reports.get(reportId)) {
      await this.store.appendReport(h.model, report);
      this.reports.add(report);
    }
    this.lastClosed.set(key(h.model, h.version), { ...rows, windowIndex: h.windowIndex });
    await this.completeClose(w, report, mon);
  }

  /** Feeds appended rows to the version's online detector; an alarm is logged and counted at once (the report carries it at the close). */
  private async feedOnline(w: OpenWindow, mon: ModelMonitoring, inputs: Matrix | undefined, from: number, count: number, seq: number): Promise<void> {
    const h = w.header;
    const ref = await this.referenceOf(h.model, h.version);
    const r = await this.online.feed(h, mon.online as NonNullable<ModelMonitoring['online']>, ref, inputs, from, count, seq);
    const k = key(h.model, h.version);
    if (r.error && !this.onlineWarned.has(k)) {
      this.onlineWarned.add(k);
      this.log.warn({ model: h.model, version: h.version, err: r.error }, 'the online detector cannot run for this version: its report entries are skipped with the reason');
    }
    for (const a of r.alarms) {
      this.metrics.onlineAlarms.inc({ model: h.model, version: h.version });
      this.log.warn({ model: h.model, version: h.version, window: h.windowIndex, seq: a.seq, row: a.row, rowsSinceReset: a.t, statistic: a.statistic, threshold: a.threshold }, 'online detector alarm');
    }
  }

  /** Samples the closing window's rows for the labelling queue (label-queue.ts) and stores the sample. */
  private queueWindow(h: OpenWindow['header'], rows: { inputs: Matrix | undefined; outputs: Matrix | undefined }, mon: ModelMonitoring, reportId: string): void {
    const positions = this.store.join.queue.storedPositions(h.model, h.version, h.windowIndex);
    for (const r of this.pendingJoin) if (r.model === h.model && r.version === h.version && r.windowIndex === h.windowIndex) if (r.pos !== undefined) positions.set(r.pos, { requestId: r.requestId, row: r.row });
    const items = queueItems({
      model: h.model, version: h.version, windowIndex: h.windowIndex, inputs: rows.inputs, outputs: rows.outputs, positions, nowMs: this.now(),
      settings: { rows: mon.labelQueueRows ?? 0, strategy: mon.labelQueueStrategy ?? 'stratified_uncertainty', uncertainShare: mon.labelQueueUncertainShare ?? 0.5, seed: reportId },
    });
    this.store.join.queue.replace(h.model, h.version, h.windowIndex, items);
  }

  /**
   * Raises the quality alerts the credited windows now call for (once per window and metric,
   * recorded in feedback.sqlite), updates the live-quality gauges, and publishes the alerts not
   * published yet. A failed publish is retried at the next feedback batch or tick.
   */
  private async checkQuality(credits: readonly Credit[]): Promise<void> {
    const seen = new Set<string>();
    for (const c of credits) {
      const k = key(c.model, `${c.version}\u0000${c.windowIndex}`);
      if (seen.has(k)) continue;
      seen.add(k);
      const mon = await this.monitoringOf(c.model);
      const q = qualityOf(c.windowIndex, this.store.join.window(c.model, c.version, c.windowIndex));
      const reportId = reportIdOf(c.model, c.version, c.windowIndex);
      for (const a of alertsFor(q, { accuracyThreshold: mon.accuracyThreshold ?? 0, maeThreshold: mon.maeThreshold ?? 0, minLabels: mon.qualityMinLabels ?? 30 })) {
        const rec = {
          alertId: `${reportId}/${a.metric}`, model: c.model, version: c.version, windowIndex: c.windowIndex, ...a,
          ciLow: a.metric === 'accuracy' ? q.ciLow : 0, ciHigh: a.metric === 'accuracy' ? q.ciHigh : 0, labelled: a.metric === 'accuracy' ? q.labelled : q.numeric,
          reportId: this.reports.get(reportId) ? reportId : '', timeMs: this.now(),
        };
        if (this.store.join.quality.recordAlert(rec)) {
          this.metrics.qualityAlerts.inc({ model: c.model, version: c.version, metric: a.metric });
          this.log.warn({ model: c.model, version: c.version, window: c.windowIndex, metric: a.metric, value: a.value, threshold: a.threshold }, 'quality alert');
        }
      }
    }
    for (const k of new Set(credits.map((c) => key(c.model, c.version)))) {
      const [model, version] = k.split('\u0000') as [string, string];
      const t = this.store.join.quality.total(model, version);
      if (t.labelled > 0) this.metrics.liveAccuracy.set({ model, version }, t.accuracy);
      if (t.numeric > 0) this.metrics.liveMae.set({ model, version }, t.mae);
    }
    await this.publishAlerts();
  }

  /** Publishes recorded alerts not published yet (QualityAlert, Nats-Msg-Id = alert id); stops at the first failure. */
  private async publishAlerts(): Promise<void> {
    for (const a of this.store.join.quality.pendingAlerts()) {
      try {
        await this.publish(
          SUBJECTS.quality(a.model),
          encodeQualityAlert({
            meta: { event_id: a.alertId, time_unix_ms: String(a.timeMs), source: SOURCE, producer_version: '' },
            alert_id: a.alertId, model: a.model, version: a.version, window_index: String(a.windowIndex), metric: a.metric, value: a.value, threshold: a.threshold,
            ci_low: a.ciLow, ci_high: a.ciHigh, labelled_rows: String(a.labelled), report_id: a.reportId,
          }),
          a.alertId,
        );
        this.store.join.quality.published(a.alertId);
      } catch (e: unknown) {
        // Recorded, so not lost: the next feedback batch or tick publishes it again.
        this.log.warn({ alert: a.alertId, err: errorMessage(e) }, 'publishing a quality alert failed: retrying later');
        return;
      }
    }
  }

  /** Publishes a stored report (and maybe a RetrainRequest) and starts the next window. */
  private async completeClose(w: OpenWindow, report: DriftReport, mon: ModelMonitoring): Promise<void> {
    const h = w.header;
    await this.publish(SUBJECTS.drift(h.model), encodeDriftReport(report), report.report_id as string);
    this.metrics.windows.inc({ model: h.model, version: h.version, drifted: String(report.drifted) });
    if (retrainDue(report, h.consecutiveDrifted, mon)) await this.maybeRetrain(w, report, mon);
    this.log.info({ model: h.model, version: h.version, window: h.windowIndex, rows: Number(report.rows), drifted: report.drifted, reason: report.close_reason }, 'window closed');
    // Redelivered rows up to the report's last row belong to the closed window.
    const lastSeq = Number(report.last_sequence);
    const lastRows = Number(report.last_row ?? 0) + 1;
    if (lastSeq > h.lastAppliedSeq || (lastSeq === h.lastAppliedSeq && lastRows > h.lastAppliedRows)) {
      h.lastAppliedSeq = lastSeq;
      h.lastAppliedRows = lastRows;
    }
    onlineAfterClose(h);
    w.reset();
  }

  /**
   * Finishes closes a crash interrupted: while the open window's report is already stored (the
   * crash came between the report and the window file; one batch can close several windows of
   * a version), the window is closed from the stored report — published again (its Nats-Msg-Id
   * makes that idempotent), the streak updated as the first close did, and its rows never
   * counted again. Runs before every batch and tick.
   */
  private async finishPendingCloses(): Promise<void> {
    for (const w of this.windows.values()) {
      const h = w.header;
      let finished = false;
      for (let report = this.reports.get(reportIdOf(h.model, h.version, h.windowIndex)); report; report = this.reports.get(reportIdOf(h.model, h.version, h.windowIndex))) {
        const mon = await this.monitoringOf(h.model);
        updateStreak(h, report.drifted as boolean, h.windowIndex);
        const after = cusumAfterReport(report.detectors?.find((d) => d.detector === 'cusum'), { s: h.cusumS, runStart: h.cusumRunStart });
        h.cusumS = after.s;
        h.cusumRunStart = after.runStart;
        await this.completeClose(w, report, mon);
        finished = true;
        this.log.warn({ model: h.model, version: h.version, report: report.report_id }, 'finished a window close interrupted by a crash');
      }
      if (finished) await this.store.saveWindow(w);
    }
  }

  /**
   * Publishes a RetrainRequest for the streak unless the model's cooldown holds it. A close
   * redone after a crash finds its request already recorded in models.json: it is published
   * again (the same Nats-Msg-Id, stored once) without a cooldown check, so the next request
   * still starts after this one's range.
   */
  private async maybeRetrain(w: OpenWindow, report: DriftReport, mon: ModelMonitoring): Promise<void> {
    const h = w.header;
    const state = (this.models[h.model] ??= { lastRetrainMs: 0, retrainRequests: 0 });
    const now = this.now();
    const req = retrainRequest(h, report, mon, SOURCE, now, (id) => this.reports.get(id));
    const redo = state.lastRequestId === req.request_id;
    if (!redo && state.lastRetrainMs > 0 && now - state.lastRetrainMs < mon.cooldownSeconds * 1000) {
      this.metrics.retrainSuppressed.inc({ model: h.model });
      return;
    }
    await this.publish(SUBJECTS.retrain(h.model), encodeRetrainRequest(req), req.request_id as string);
    h.retrainedThroughIndex = h.windowIndex;
    if (redo) return;
    state.lastRetrainMs = now;
    state.retrainRequests += 1;
    state.lastRequestId = req.request_id;
    await this.store.saveModels(this.models);
    this.store.join.quality.logRetrain(req.request_id as string, h.model, h.version, h.windowIndex, now, req.reason as string);
    this.metrics.retrains.inc({ model: h.model });
    this.log.warn({ model: h.model, version: h.version, requestId: req.request_id, firstSequence: req.first_sequence, windows: req.drifted_report_ids?.length }, 'retrain requested');
  }
}

function key(model: string, version: string): string {
  return `${model}\u0000${version}`;
}
