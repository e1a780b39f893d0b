/**
 * What the candidate and the baseline did in one step, read from JetStream: the prediction logs
 * (MLMESH_PREDICTIONS, mlmesh.predictions.<model>.>), the feedback (MLMESH_FEEDBACK,
 * mlmesh.feedback.<model>, joined to predictions by request id) and the monitor's drift reports
 * (MLMESH_EVENTS, mlmesh.events.drift.<model>), each through an ordered (ephemeral) consumer that
 * starts at the step's start time — so a restarted controller reads the same step again.
 */
import { DeliverPolicy } from 'nats';
import type { ConsumerMessages, JetStreamClient } from 'nats';
import { STREAMS, SUBJECTS, decodeDriftReport, decodeFeedback, decodePredictionLog } from '../../shared/events/index.js';
import type { EventTensor, Feedback__Output, PredictionLog__Output } from '../../shared/events/index.js';
import { errorMessage } from '../../shared/errors/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { DATATYPES, isDatatype, typedView } from '../../shared/tensors/index.js';
import type { AnalysisInput, VersionSample } from './analysis.js';

/** One logged prediction's rows: the argmax class and the first value of each. */
interface Rows {
  classes: number[];
  values: number[];
}

/** The first output tensor as rows: argmax class and first column of each row; undefined when it cannot be read. */
export function outputRows(t: EventTensor | undefined): (Rows & { cols: number }) | undefined {
  if (!t || typeof t.datatype !== 'string' || !isDatatype(t.datatype) || t.datatype === 'FP16') return undefined;
  const shape = (t.shape ?? []).map(Number);
  const rows = shape.length === 0 ? 1 : (shape[0] as number);
  const cols = shape.length <= 1 ? 1 : shape.slice(1).reduce((a, b) => a * b, 1);
  const raw = t.raw instanceof Uint8Array ? t.raw : new Uint8Array(0);
  if (rows * cols * DATATYPES[t.datatype].bytes !== raw.byteLength || rows * cols === 0) return undefined;
  const aligned = new Uint8Array(raw.byteLength);
  aligned.set(raw);
  const view = typedView(t.datatype, aligned.buffer, 0, aligned.byteLength);
  const classes: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestV = -Infinity;
    for (let c = 0; c < cols; c++) {
      const v = Number(view[r * cols + c]);
      if (v > bestV) {
        bestV = v;
        best = c;
      }
    }
    classes.push(best);
    values.push(Number(view[r * cols]));
  }
  return { classes, values, cols };
}

interface MutableSample {
  latenciesUs: number[];
  classCounts: Map<number, number>;
  values: number[];
  labeled: number;
  correct: number;
}

function mutableSample(): MutableSample {
  return { latenciesUs: [], classCounts: new Map(), values: [], labeled: 0, correct: 0 };
}

/** Options of {@link StepCollector.start}. */
export interface StepCollectorOptions {
  model: string;
  candidate: string;
  baseline: string;
  /** The step's start, epoch ms: messages stored from then on are read. */
  fromMs: number;
  /** Most predictions remembered by request id (for feedback and shadow pairs). */
  maxTracked: number;
  logger: Logger;
}

/** Reads one step's logs, feedback and drift reports; {@link snapshot} gives the analysis input. */
export class StepCollector {
  private readonly samples: Record<'candidate' | 'baseline', MutableSample> = { candidate: mutableSample(), baseline: mutableSample() };
  private readonly primary = new Map<string, { side: 'candidate' | 'baseline'; rows: Rows }>();
  private readonly shadows = new Map<string, Rows>();
  private readonly pendingFeedback = new Map<string, Feedback__Output>();
  private pairs = 0;
  private agreed = 0;
  private anyLabel = false;
  private driftReports = 0;
  private driftedReports = 0;
  private cols = 0;
  private readonly iterators: ConsumerMessages[] = [];
  private stopped = false;
  /** Messages read, for logs and tests. */
  readMessages = 0;

  private constructor(private readonly o: StepCollectorOptions) {}

  /** Starts the three consumers. @throws when JetStream cannot create them (NATS down). */
  static async start(js: JetStreamClient, o: StepCollectorOptions): Promise<StepCollector> {
    const c = new StepCollector(o);
    const from = new Date(o.fromMs).toISOString();
    const feeds: Array<[string, string, (data: Uint8Array) => void]> = [
      [STREAMS.predictions.name, SUBJECTS.predictionsOf(o.model), (d) => c.onPrediction(decodePredictionLog(d))],
      [STREAMS.feedback.name, SUBJECTS.feedback(o.model), (d) => c.onFeedback(decodeFeedback(d))],
      [STREAMS.events.name, SUBJECTS.drift(o.model), (d) => c.onDrift(d)],
    ];
    try {
      // One subject as a string: nats-server before 2.10 takes no filter_subjects list (a list hangs consume()).
      for (const [stream, subject, handle] of feeds) {
        const consumer = await js.consumers.get(stream, { filterSubjects: subject, deliver_policy: DeliverPolicy.StartTime, opt_start_time: from });
        const it = await consumer.consume();
        c.iterators.push(it);
        void (async () => {
          for await (const m of it) {
            c.readMessages++;
            try {
              handle(m.data);
            } catch (e: unknown) {
              // A message that is not what its subject says: skipped (the analysis is on the rest).
              o.logger.debug({ err: errorMessage(e), subject: m.subject }, 'rollout: undecodable message skipped');
            }
          }
        })().catch((e: unknown) => o.logger.warn({ err: errorMessage(e), stream }, 'rollout: step consumer ended'));
      }
    } catch (e: unknown) {
      c.stop();
      throw e;
    }
    return c;
  }

  /** The first output's columns seen (0 before the first log): more than 1 means a classifier. */
  get outputCols(): number {
    return this.cols;
  }

  private sideOf(version: string): 'candidate' | 'baseline' | undefined {
    return version === this.o.candidate ? 'candidate' : version === this.o.baseline ? 'baseline' : undefined;
  }

  private track<V>(m: Map<string, V>, id: string, v: V): void {
    m.set(id, v);
    if (m.size > this.o.maxTracked) {
      const oldest = m.keys().next();
      if (!oldest.done) m.delete(oldest.value);
    }
  }

  private onPrediction(log: PredictionLog__Output): void {
    const side = this.sideOf(log.version);
    if (!side || log.model !== this.o.model) return;
    const rows = outputRows(log.outputs[0]);
    if (log.shadow) {
      if (side !== 'candidate' || !rows) return;
      this.track(this.shadows, log.request_id, rows);
      this.pair(log.request_id);
      return;
    }
    const s = this.samples[side];
    s.latenciesUs.push(Number(log.latency_us));
    if (!rows) return;
    this.cols = rows.cols;
    for (const k of rows.classes) s.classCounts.set(k, (s.classCounts.get(k) ?? 0) + 1);
    for (const v of rows.values) s.values.push(v);
    if (log.request_id !== '') {
      this.track(this.primary, log.request_id, { side, rows });
      this.pair(log.request_id);
      const fb = this.pendingFeedback.get(log.request_id);
      if (fb) {
        this.pendingFeedback.delete(log.request_id);
        this.onFeedback(fb);
      }
    }
  }

  private pair(id: string): void {
    const p = this.primary.get(id);
    const s = this.shadows.get(id);
    if (!p || !s || p.side !== 'baseline') return;
    this.shadows.delete(id);
    this.pairs++;
    const same = this.cols > 1 ? p.rows.classes.every((c, i) => c === s.classes[i]) : p.rows.values.every((v, i) => Math.abs(v - (s.values[i] ?? NaN)) <= 1e-6 * Math.max(1, Math.abs(v)));
    if (same && p.rows.classes.length === s.classes.length) this.agreed++;
  }

  private onFeedback(fb: Feedback__Output): void {
    if (fb.model !== this.o.model) return;
    const labels = fb.labels.length > 0 ? fb.labels : fb.value === 'label' && fb.label !== undefined ? [fb.label] : [];
    if (labels.length === 0) return;
    this.anyLabel = true;
    const p = this.primary.get(fb.request_id);
    if (!p) {
      // The label may come before its prediction log is read (two consumers): kept until it is.
      this.track(this.pendingFeedback, fb.request_id, fb);
      return;
    }
    const s = this.samples[p.side];
    const first = fb.labels.length > 0 ? 0 : (fb.row ?? 0);
    labels.forEach((label, i) => {
      const cls = p.rows.classes[first + i];
      if (cls === undefined) return;
      s.labeled++;
      if (String(cls) === label) s.correct++;
    });
  }

  private onDrift(data: Uint8Array): void {
    const r = decodeDriftReport(data);
    if (r.model !== this.o.model || r.version !== this.o.candidate) return;
    this.driftReports++;
    if (r.drifted) this.driftedReports++;
  }

  /** The analysis input so far; `requests` come from the inference metrics. */
  snapshot(counts: { candidate: { requests: number; errors: number }; baseline: { requests: number; errors: number } }, kind: 'class' | 'value', shadow: boolean): AnalysisInput {
    const sample = (side: 'candidate' | 'baseline'): VersionSample => ({ ...this.samples[side], ...counts[side] });
    return { candidate: sample('candidate'), baseline: sample('baseline'), kind, pairs: this.pairs, agreed: this.agreed, driftReports: this.driftReports, driftedReports: this.driftedReports, anyLabel: this.anyLabel, shadow };
  }

  /** Stops the consumers. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const it of this.iterators) it.stop();
  }
}
