import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { SUBJECTS, encodePredictionLog } from '../../shared/events/index.js';
import type { PredictionLog } from '../../shared/events/index.js';
import type { InferParameter__Output } from '../../shared/generated/inference/InferParameter.js';
import type { DurablePublisher, SpoolRecord } from '../../shared/nats/index.js';
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { DecodedInput, JobOutput } from './batcher.js';
import type { ModelConfig } from './model-config.js';

/** One served prediction, as the handler knows it. */
export interface Prediction {
  /**
   * The caller's request id (validated: printable, ≤ 128 chars), kept in the log to join
   * feedback. Callers reuse ids, so it is not what deduplicates the log (see `meta.event_id`).
   */
  requestId: string;
  model: string;
  version: string;
  config: ModelConfig;
  latencyUs: number;
  /** When it was answered, ms since the epoch. */
  timeMs: number;
  inputs: readonly DecodedInput[];
  outputs: readonly JobOutput[];
  parameters: Record<string, InferParameter__Output>;
  /** How the version was chosen: `weights`, `sticky`, `shadow`; absent when the caller named it or there was no route. */
  route?: string;
  /** Route.revision of the route that chose it (0 or absent: none). */
  routeRevision?: number;
  /** A shadow copy: its outputs never reached the caller. */
  shadow?: boolean;
}

function paramString(p: InferParameter__Output): string {
  switch (p.parameter_choice) {
    case 'bool_param':
      return String(p.bool_param);
    case 'int64_param':
      return String(p.int64_param);
    default:
      return p.string_param ?? '';
  }
}

/**
 * Turns served predictions into PredictionLog events (protobuf) and hands them to the durable
 * publisher: subject `mlmesh.predictions.<model>.<version>`. Each log gets an event id of its own
 * (a random UUID made here), which is its `meta.event_id` and its `Nats-Msg-Id`, and travels
 * with it through the spool and the replay: JetStream stores a retried publish once, and
 * predictions that share a request id are all stored. By default ({@link record}) it never fails
 * nor delays a prediction: called after the answer has been sent (`CallContext.afterAnswer`), the
 * publisher queues or spools. With `publishDurability: spool` the handler awaits
 * {@link recordDurably} (the log fsynced in the spool) before it answers.
 */
export class PredictionLogger {
  private readonly source = `inference@${hostname()}-${process.pid}`;
  private readonly oversize: Counter<'action'>;

  /**
   * @param maxBytes largest encoded log (NATS refuses messages over its max_payload, 1 MiB by
   *   default): a larger one is sent without its inputs, and dropped if still too large.
   */
  constructor(
    private readonly publisher: DurablePublisher,
    private readonly producerVersion: string,
    registry: Registry,
    private readonly maxBytes = 1_000_000,
    private readonly random: () => number = Math.random,
  ) {
    this.oversize = new Counter({
      name: 'mlmesh_prediction_log_oversize_total',
      help: 'Prediction logs over the size limit: sent without inputs (inputs_dropped) or not sent (dropped).',
      labelNames: ['action'],
      registers: [registry],
    });
  }

  /**
   * With `publishDurability: spool` the handler awaits {@link recordDurably} before it answers;
   * otherwise it calls {@link record} after the answer.
   */
  get durable(): boolean {
    return this.publisher.durability === 'spool';
  }

  /** Logs a prediction, subject to the model's sample rate and input logging. Never blocks, never throws for NATS or the disk. */
  record(p: Prediction): void {
    const r = this.encode(p);
    if (r) this.publisher.publish(r);
  }

  /**
   * Logs a prediction and resolves once its log is fsynced in the spool (`publishDurability:
   * spool`); at once when the sample rate leaves it out or it is too large to send.
   * @throws (rejects) SpoolFullError (RESOURCE_EXHAUSTED) or SpoolWriteError (UNAVAILABLE): the
   *   log is not durable, and the caller must not be answered as if it were.
   */
  recordDurably(p: Prediction): Promise<void> {
    const r = this.encode(p);
    return r ? this.publisher.publishDurably(r) : Promise.resolve();
  }

  /** The log's record (subject, event id, protobuf), or undefined when sampled out or too large. */
  private encode(p: Prediction): SpoolRecord | undefined {
    const { sampleRate, logInputs } = p.config.predictionLog;
    if (sampleRate < 1 && this.random() >= sampleRate) return undefined;
    const eventId = randomUUID();
    const log: PredictionLog = {
      meta: { event_id: eventId, time_unix_ms: p.timeMs, source: this.source, producer_version: this.producerVersion },
      request_id: p.requestId,
      model: p.model,
      version: p.version,
      latency_us: Math.round(p.latencyUs),
      inputs: logInputs ? p.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, raw: t.bytes })) : [],
      outputs: p.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, raw: t.bytes })),
      parameters: Object.fromEntries(Object.entries(p.parameters).map(([k, v]) => [k, paramString(v)])),
      route: p.route ?? '',
      route_revision: p.routeRevision ?? 0,
      shadow: p.shadow ?? false,
      inputs_omitted: !logInputs,
    };
    let data = encodePredictionLog(log);
    if (data.byteLength > this.maxBytes && logInputs) {
      this.oversize.inc({ action: 'inputs_dropped' });
      data = encodePredictionLog({ ...log, inputs: [], inputs_omitted: true });
    }
    if (data.byteLength > this.maxBytes) {
      this.oversize.inc({ action: 'dropped' });
      return undefined;
    }
    return { subject: SUBJECTS.prediction(p.model, p.version), msgId: eventId, data };
  }
}
