/**
 * `mlmesh`: the mesh's command line, for the events it carries on NATS JetStream.
 *
 *   npm run cli -- logs tail --model <name> [--version <v>] [--all] [--limit N] [--timeout-ms N] [--nats URL]
 *   npm run cli -- feedback --model <name> --request-id <id> (--label <string> | --value <number>) [--nats URL]
 *   npm run cli -- --help
 *
 * `logs tail` follows a model's PredictionLogs in stream MLMESH_PREDICTIONS with an ordered
 * consumer (new logs only unless `--all`) and prints each as one JSON line, tensors summarised
 * (shape, byte count, the first 8 values decoded). It stops after `--limit` logs, after
 * `--timeout-ms` without one, or on SIGINT/SIGTERM, with exit code 0.
 *
 * `feedback` publishes a Feedback event (ground truth for an earlier prediction) with
 * `Nats-Msg-Id: feedback-<request id>`, so sending it twice stores it once, creating stream
 * MLMESH_FEEDBACK if it is missing, and prints `{ stream, seq, duplicate }`.
 *
 * NATS is `--nats`, else `$NATS_URL`, else `nats://127.0.0.1:4222`. Exit codes: 0 done,
 * 1 failure (NATS unreachable, stream missing, connection lost), 2 bad usage.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DeliverPolicy, NatsError, connect } from 'nats';
import type { ConsumerMessages, JetStreamManager, NatsConnection } from 'nats';
import { errorMessage } from '../shared/errors/index.js';
import { STREAMS, SUBJECTS, decodePredictionLog, encodeFeedback } from '../shared/events/index.js';
import type { EventTensor, Feedback, PredictionLog__Output } from '../shared/events/index.js';
import { ensureStreams } from '../shared/nats/index.js';
import { DATATYPES, isDatatype, typedView } from '../shared/tensors/index.js';

/** NATS when neither `--nats` nor `$NATS_URL` is given. */
const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
/** How long to wait for NATS to answer when connecting and for a publish ack. */
const NATS_TIMEOUT_MS = 5000;
/** Values printed per tensor. */
const MAX_VALUES = 8;
/** Limits for MLMESH_FEEDBACK when the CLI has to create it (an existing stream is left as is). */
const FEEDBACK_STREAM_LIMITS = { maxAgeMs: 0, maxBytes: -1, duplicateWindowMs: 3_600_000 } as const;

const HELP = `mlmesh - command line for the mlmesh events on NATS JetStream

Usage:
  mlmesh logs tail --model <name> [--version <v>] [--all] [--limit N] [--timeout-ms N] [--nats URL]
  mlmesh feedback --model <name> --request-id <id> (--label <string> | --value <number>) [--nats URL]
  mlmesh features ...   (the feature service: mlmesh features --help)
  mlmesh --help

Commands:
  logs tail   Follow a model's PredictionLogs (stream ${STREAMS.predictions.name}); prints one JSON
              line per log: time, request_id, model, version, latency_us, route, parameters,
              inputs and outputs (name, datatype, shape, first ${MAX_VALUES} values, bytes), inputs_omitted.
  feedback    Publish ground truth for an earlier prediction (a Feedback event, stored once per
              request id) to stream ${STREAMS.feedback.name}; prints {stream, seq, duplicate}.

Options of logs tail:
  --model <name>      Model whose logs to follow (required).
  --version <v>       Only this version (default: every version).
  --all               Start at the oldest log in the stream (default: new logs only).
  --limit N           Stop after N logs.
  --timeout-ms N      Stop after N ms without a log (default: run until SIGINT/SIGTERM).

Options of feedback:
  --model <name>      Model that made the prediction (required).
  --request-id <id>   Request id of the prediction (required).
  --label <string>    A class label, or
  --value <number>    a numeric target (exactly one of the two; write a negative one as --value=-1).

Common options:
  --nats <URL>        NATS server (default: $NATS_URL, else ${DEFAULT_NATS_URL}).
  -h, --help          Show this help.

Exit codes: 0 done, 1 failure (NATS unreachable, stream missing), 2 bad usage.

Pipelines (offline preprocessing): mlmesh pipeline fit|transform|list …  (mlmesh pipeline --help)
`;

/** Bad command line: reported with a hint to `--help`, exit code 2. */
class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** NATS could not be reached, or refused what the command needs: exit code 1. */
class NatsCommandError extends Error {
  constructor(
    message: string,
    readonly natsUrl: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NatsCommandError';
  }
}

/** Options of `logs tail`, validated. */
interface TailOptions {
  model: string;
  version: string | undefined;
  all: boolean;
  limit: number | undefined;
  timeoutMs: number | undefined;
  natsUrl: string;
}

/** Options of `feedback`, validated. */
interface FeedbackOptions {
  model: string;
  requestId: string;
  value: { label: string } | { numeric: number };
  natsUrl: string;
}

/** What the command line asks for. */
type Command = { kind: 'help' } | { kind: 'logs-tail'; opts: TailOptions } | { kind: 'feedback'; opts: FeedbackOptions };

const NATS_OPTION = { nats: { type: 'string' } } as const;

const TAIL_OPTIONS = {
  model: { type: 'string' },
  version: { type: 'string' },
  all: { type: 'boolean', default: false },
  limit: { type: 'string' },
  'timeout-ms': { type: 'string' },
  ...NATS_OPTION,
} as const;

const FEEDBACK_OPTIONS = {
  model: { type: 'string' },
  'request-id': { type: 'string' },
  label: { type: 'string' },
  value: { type: 'string' },
  ...NATS_OPTION,
} as const;

function isParseArgsError(e: unknown): e is Error & { code: string } {
  if (!(e instanceof Error)) return false;
  const code: unknown = (e as Error & { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** `parseArgs`, strict, with its errors as {@link UsageError}. */
function parseStrict<O extends Parameters<typeof parseArgs>[0] & object>(config: O): ReturnType<typeof parseArgs<O>> {
  try {
    return parseArgs(config);
  } catch (e: unknown) {
    if (isParseArgsError(e)) throw new UsageError(e.message.replace(/\n/g, ' '), { cause: e });
    throw e;
  }
}

function required(name: string, v: string | undefined, command: string): string {
  if (v === undefined) throw new UsageError(`${command}: --${name} is required`);
  if (v.trim() === '') throw new UsageError(`${command}: --${name} must not be empty`);
  return v;
}

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got '${v}'`);
  return n;
}

function natsUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag !== undefined && flag.trim() === '') throw new UsageError('--nats must not be empty');
  return flag ?? (env['NATS_URL'] || DEFAULT_NATS_URL);
}

/**
 * Reads the command line (without `node` and the script).
 * @throws UsageError naming what is wrong: unknown command or option, a missing or malformed
 *   option, `--label` together with `--value`.
 */
function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  // Help wins wherever it is, so `mlmesh feedback --help` works without the required options.
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  const [command, ...rest] = argv;
  switch (command) {
    case 'logs': {
      const [sub, ...args] = rest;
      if (sub !== 'tail') throw new UsageError(sub === undefined ? 'logs: missing subcommand (expected: logs tail)' : `logs: unknown subcommand '${sub}' (expected: tail)`);
      const { values } = parseStrict({ args, options: TAIL_OPTIONS, strict: true, allowPositionals: false });
      return {
        kind: 'logs-tail',
        opts: {
          model: required('model', values.model, 'logs tail'),
          version: values.version === undefined ? undefined : required('version', values.version, 'logs tail'),
          all: values.all,
          limit: positiveInt('limit', values.limit),
          timeoutMs: positiveInt('timeout-ms', values['timeout-ms']),
          natsUrl: natsUrl(values.nats, env),
        },
      };
    }
    case 'feedback': {
      const { values } = parseStrict({ args: rest, options: FEEDBACK_OPTIONS, strict: true, allowPositionals: false });
      const model = required('model', values.model, 'feedback');
      const requestId = required('request-id', values['request-id'], 'feedback');
      if (values.label !== undefined && values.value !== undefined) throw new UsageError('feedback: give either --label or --value, not both');
      let value: FeedbackOptions['value'];
      if (values.label !== undefined) value = { label: values.label };
      else if (values.value !== undefined) {
        const n = Number(values.value);
        if (values.value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`feedback: --value must be a finite number, got '${values.value}'`);
        value = { numeric: n };
      } else throw new UsageError('feedback: one of --label or --value is required');
      return { kind: 'feedback', opts: { model, requestId, value, natsUrl: natsUrl(values.nats, env) } };
    }
    case undefined:
      return { kind: 'help' };
    default:
      throw new UsageError(`unknown command '${command}' (expected: logs tail, feedback, pipeline, features)`);
  }
}

async function connectNats(url: string): Promise<NatsConnection> {
  try {
    return await connect({ servers: url, name: 'mlmesh-cli', timeout: NATS_TIMEOUT_MS });
  } catch (e: unknown) {
    throw new NatsCommandError(`cannot reach NATS at ${url}: ${errorMessage(e)}`, url, { cause: e });
  }
}

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
async function logsTail(o: TailOptions, signal: AbortSignal): Promise<void> {
  const nc = await connectNats(o.natsUrl);
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
      throw new NatsCommandError(`stream ${stream} does not exist on ${o.natsUrl} (no service has logged a prediction there yet)`, o.natsUrl);
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
      process.stdout.write(JSON.stringify(logToJson(log)) + '\n');
      printed++;
      if (o.limit !== undefined && printed >= o.limit) break;
    }
    // Set only when the connection closed by itself: ours is closed below, after this check.
    if (lost && !signal.aborted) throw new NatsCommandError(`lost the connection to NATS at ${o.natsUrl}: ${lost.message}`, o.natsUrl, { cause: lost });
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
async function feedback(o: FeedbackOptions): Promise<void> {
  const nc = await connectNats(o.natsUrl);
  try {
    const jsm = await nc.jetstreamManager();
    // Only when missing: ensureStreams would otherwise overwrite limits an operator has set.
    if (!(await streamExists(jsm, STREAMS.feedback.name))) await ensureStreams(jsm, ['feedback'], FEEDBACK_STREAM_LIMITS);
    const event: Feedback = {
      meta: { event_id: randomUUID(), time_unix_ms: Date.now(), source: 'cli' },
      request_id: o.requestId,
      model: o.model,
      ...o.value,
    };
    const ack = await nc.jetstream().publish(SUBJECTS.feedback(o.model), encodeFeedback(event), { msgID: `feedback-${o.requestId}`, timeout: NATS_TIMEOUT_MS });
    process.stdout.write(JSON.stringify({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate }) + '\n');
  } catch (e: unknown) {
    if (e instanceof NatsCommandError) throw e;
    throw new NatsCommandError(`feedback: publishing to ${o.natsUrl} failed: ${errorMessage(e)}`, o.natsUrl, { cause: e });
  } finally {
    await nc.close();
  }
}

/** Runs the command line; returns the exit code. */
async function main(argv: readonly string[]): Promise<number> {
  // Loaded only when used: the NATS commands should not pay for the preprocessing modules.
  if (argv[0] === 'pipeline') return (await import('./cli-preprocess.js')).pipelineMain(argv.slice(1));
  // Loaded only when asked for: it pulls in the feature service's stores (SQLite, Redis, pg).
  if (argv[0] === 'features') return (await import('./cli-features.js')).featuresMain(argv.slice(1), process.env);
  let command: Command;
  try {
    command = parseCommand(argv, process.env);
  } catch (e: unknown) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`mlmesh: ${e.message}\nRun 'mlmesh --help' for usage.\n`);
    return 2;
  }
  const shutdown = new AbortController();
  const onSignal = (): void => shutdown.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    switch (command.kind) {
      case 'help':
        process.stdout.write(HELP);
        return 0;
      case 'logs-tail':
        await logsTail(command.opts, shutdown.signal);
        return 0;
      case 'feedback':
        await feedback(command.opts);
        return 0;
    }
  } catch (e: unknown) {
    process.stderr.write(`mlmesh: ${errorMessage(e)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

// exitCode rather than exit(): stdout may still be flushing into a pipe.
process.exitCode = await main(process.argv.slice(2));
