/**
 * `logs tail` and `feedback` at work: an ordered JetStream consumer on MLMESH_PREDICTIONS, and a
 * Feedback publish with `Nats-Msg-Id: feedback-<request id>` (stored once per request id).
 */
import { randomUUID } from 'node:crypto';
import { DeliverPolicy, NatsError } from 'nats';
import type { ConsumerMessages, JetStreamManager } from 'nats';
import { errorMessage } from '../../shared/errors/index.js';
import { STREAMS, SUBJECTS, decodePredictionLog, encodeFeedback } from '../../shared/events/index.js';
import type { EventTensor, Feedback, PredictionLog__Output } from '../../shared/events/index.js';
import { ensureStreams } from '../../shared/nats/index.js';
import { DATATYPES, isDatatype, typedView } from '../../shared/tensors/index.js';
import { CommandError } from './errors.js';
import { connectCliNats } from './nats.js';
import type { FeedbackOptions, TailOptions } from './logs.js';
import { printer } from './output.js';

/** How long to wait for NATS to answer when connecting and for a publish ack. */
const NATS_TIMEOUT_MS = 5000;
/** Values printed per tensor. */
const MAX_VALUES = 8;
/** Limits for MLMESH_FEEDBACK when the CLI has to create it (an existing stream is left as is). */
const FEEDBACK_STREAM_LIMITS = { maxAgeMs: 0, maxBytes: -1, duplicateWindowMs: 3_600_000 } as const;


/** IEEE 754 half-precision bits → number. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

type Value = number | string | boolean;

/**
 * The first `max` values of raw little-endian tensor bytes: numbers, INT64/UINT64 as strings (no
 * precision lost), BOOL as booleans, non-finite floats as strings ('NaN', 'Infinity': JSON has
 * no such numbers), BYTES elements (4-byte length prefix each) as UTF-8 strings. Null for a
 * datatype the CLI does not know.
 */
function firstValues(datatype: string, raw: Uint8Array, max: number): Value[] | null {
  if (datatype === 'BYTES') {
    const out: string[] = [];
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let o = 0; out.length < max && o + 4 <= raw.byteLength; ) {
      const len = view.getUint32(o, true);
      out.push(Buffer.from(raw.subarray(o + 4, o + 4 + len)).toString('utf8'));
      o += 4 + len;
    }
    return out;
  }
  if (!isDatatype(datatype)) return null;
  const size = DATATYPES[datatype].bytes;
  const n = Math.min(Math.floor(raw.byteLength / size), max);
  // A fresh copy: typed views need an aligned offset, and the decoded Buffer's may not be.
  const bytes = new Uint8Array(raw.subarray(0, n * size));
  const view = typedView(datatype, bytes.buffer, 0, bytes.byteLength);
  return Array.from(view as ArrayLike<number | bigint>, (v): Value => {
    if (typeof v === 'bigint') return v.toString();
    if (datatype === 'BOOL') return v !== 0;
    const x = datatype === 'FP16' ? halfToNumber(v) : v;
    return Number.isFinite(x) ? x : String(x);
  });
}

function summariseTensor(t: EventTensor): Record<string, unknown> {
  const raw = t.raw instanceof Uint8Array ? t.raw : new Uint8Array(0);
  return {
    name: t.name ?? '',
    datatype: t.datatype ?? '',
    shape: (t.shape ?? []).map((d) => Number(d)),
    values: firstValues(t.datatype ?? '', raw, MAX_VALUES),
    bytes: raw.byteLength,
  };
}

/** One PredictionLog as the JSON object `logs tail` prints. */
function logToJson(log: PredictionLog__Output): Record<string, unknown> {
  const ms = Number(log.meta?.time_unix_ms ?? 0);
  return {
    time: ms > 0 ? new Date(ms).toISOString() : null,
    request_id: log.request_id,
    model: log.model,
    version: log.version,
    latency_us: Number(log.latency_us),
    route: log.route,
    parameters: log.parameters,
    inputs: log.inputs.map(summariseTensor),
    outputs: log.outputs.map(summariseTensor),
    inputs_omitted: log.inputs_omitted,
  };
}

/** JetStream's error code for "stream not found". */
const STREAM_NOT_FOUND = 10059;

/**
 * Whether the stream exists.
 * @throws what JetStream answers besides "stream not found" (timeout, JetStream disabled…).
 */
async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch (e: unknown) {
    if (e instanceof NatsError && e.api_error?.err_code === STREAM_NOT_FOUND) return false;
    throw e;
  }
}

/**
 * `logs tail`: prints logs until the limit, `timeoutMs` without a log, the signal, or a lost
 * connection (the only one that throws).
 */
export async function logsTail(o: TailOptions, signal: AbortSignal): Promise<void> {
  const nc = await connectCliNats(o.nats);
  let messages: ConsumerMessages | undefined;
  // Until the consumer runs, a signal closes the connection, which fails the setup under way.
  const stop = (): void => {
    if (messages) messages.stop();
    else void nc.close();
  };
  signal.addEventListener('abort', stop, { once: true });
  let idle: NodeJS.Timeout | undefined;
  try {
    const stream = STREAMS.predictions.name;
    const jsm = await nc.jetstreamManager();
    if (!(await streamExists(jsm, stream))) {
      throw new CommandError(`stream ${stream} does not exist on ${o.nats} (no service has logged a prediction there yet)`);
    }
    const subject = o.version === undefined ? SUBJECTS.predictionsOf(o.model) : SUBJECTS.prediction(o.model, o.version);
    const consumer = await nc.jetstream().consumers.get(stream, {
      // One subject as a string (filter_subject): filter_subjects needs nats-server 2.10.
      filterSubjects: subject,
      // --all leaves the ordered consumer's default, start sequence 1: with DeliverPolicy.All
      // it would also send opt_start_seq, which the server refuses.
      ...(o.all ? {} : { deliver_policy: DeliverPolicy.New }),
    });
    const running = await consumer.consume({ max_messages: 256, abort_on_missing_resource: true });
    messages = running;
    if (signal.aborted) running.stop();
    let lost: Error | undefined;
    void nc.closed().then((e) => {
      lost = e ?? new Error('connection closed');
      running.stop();
    });
    const armIdle = (): void => {
      if (o.timeoutMs === undefined) return;
      clearTimeout(idle);
      idle = setTimeout(() => running.stop(), o.timeoutMs);
    };
    process.stderr.write(`tailing ${subject} on ${stream} (${o.all ? 'from the oldest log' : 'new logs only'})\n`);
    armIdle();
    const out = printer(o.json);
    let printed = 0;
    for await (const m of running) {
      armIdle();
      let log: PredictionLog__Output;
      try {
        log = decodePredictionLog(m.data);
      } catch (e: unknown) {
        // One bad message must not end the tail: say so and go on.
        process.stderr.write(`skipping message ${m.seq} on ${m.subject}: not a PredictionLog (${errorMessage(e)})\n`);
        continue;
      }
      // Subject tokens map several names to one ('a.b' and 'a_b'): keep the exact model and version.
      if (log.model !== o.model || (o.version !== undefined && log.version !== o.version)) continue;
      out.record(logToJson(log), logText);
      printed++;
      if (o.limit !== undefined && printed >= o.limit) break;
    }
    // Set only when the connection closed by itself: ours is closed below, after this check.
    if (lost && !signal.aborted) throw new CommandError(`lost the connection to NATS at ${o.nats}: ${lost.message}`, { cause: lost });
  } catch (e: unknown) {
    // A signal during setup closed the connection on purpose: that is a clean stop.
    if (!signal.aborted) throw e;
  } finally {
    clearTimeout(idle);
    signal.removeEventListener('abort', stop);
    messages?.stop();
    if (!nc.isClosed()) await nc.close();
  }
}

/** `feedback`: publishes one Feedback and prints where JetStream stored it. */
export async function feedback(o: FeedbackOptions): Promise<void> {
  const nc = await connectCliNats(o.nats);
  try {
    const jsm = await nc.jetstreamManager();
    // Only when missing: ensureStreams would otherwise overwrite limits an operator has set.
    if (!(await streamExists(jsm, STREAMS.feedback.name))) await ensureStreams(jsm, ['feedback'], FEEDBACK_STREAM_LIMITS);
    const event: Feedback = {
      meta: { event_id: randomUUID(), time_unix_ms: Date.now(), source: 'cli' },
      request_id: o.requestId,
      model: o.model,
      ...(o.label !== undefined ? { label: o.label } : { numeric: o.value }),
    };
    const ack = await nc.jetstream().publish(SUBJECTS.feedback(o.model), encodeFeedback(event), { msgID: `feedback-${o.requestId}`, timeout: NATS_TIMEOUT_MS });
    printer(o.json).record({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate }, (r) => (r['duplicate'] ? `already stored: ${String(r['stream'])} seq ${String(r['seq'])}` : `stored: ${String(r['stream'])} seq ${String(r['seq'])}`));
  } catch (e: unknown) {
    if (e instanceof CommandError) throw e;
    throw new CommandError(`publishing to ${o.nats} failed: ${errorMessage(e)}`, { cause: e });
  } finally {
    await nc.close();
  }
}


/** One log as a line for people: time, request id, model@version, latency, route, tensors. */
function logText(r: Record<string, unknown>): string {
  const tensors = (list: unknown): string =>
    (list as Record<string, unknown>[]).map((t) => `${String(t['name'])} ${String(t['datatype'])}[${(t['shape'] as number[]).join(',')}] ${JSON.stringify(t['values'])}`).join(', ');
  const inputs = r['inputs_omitted'] ? '(inputs not logged)' : tensors(r['inputs']);
  return `${String(r['time'])} ${String(r['request_id'])} ${String(r['model'])}@${String(r['version'])} ${String(r['latency_us'])}us route=${typeof r['route'] === 'string' && r['route'] !== '' ? r['route'] : '-'} in: ${inputs} out: ${tensors(r['outputs'])}`;
}
