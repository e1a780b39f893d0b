/**
 * Reads one subject of a JetStream stream from a start sequence to the stream's end as it is
 * when the read begins: a pull consumer (no acks, in memory, removed afterwards) filtered on one
 * subject given as the single `filter_subject` (nats-server before 2.10, Debian's 2.9.10,
 * refuses a `filter_subjects` list), `deliver_policy: by_start_sequence`. The consumer's pending
 * count at creation says how many messages to fetch, so the read never waits on an empty tail.
 */
import { AckPolicy, DeliverPolicy, nanos } from 'nats';
import type { NatsConnection } from 'nats';
import { CancelledError, FailedPreconditionError, errorMessage } from '../../shared/errors/index.js';
import type { DatasetRange } from './types.js';

/** Messages fetched per pull request. */
const FETCH_BATCH = 256;
/** How long one pull waits for its messages (they are known to be there), ms. */
const FETCH_EXPIRES_MS = 10_000;

/** One message read. */
export interface RangeMessage {
  seq: number;
  subject: string;
  data: Uint8Array;
}

/**
 * Calls `onMessage` for every message of `subject` in `stream` from `firstSequence` (or the
 * stream's first, when older messages are gone) to the last one stored when the read starts.
 * Returns the range actually read: its first and last sequence (both 0 when none) and count.
 * `lastSequence`, when given, must be stored already (the read goes to the end in any case).
 * @throws FailedPreconditionError when the stream does not exist, or ends before lastSequence;
 *   CancelledError when `signal` aborts.
 */
export async function readStreamRange(
  nc: NatsConnection,
  stream: string,
  subject: string,
  firstSequence: number,
  onMessage: (m: RangeMessage) => void,
  signal?: AbortSignal,
  lastSequence?: number,
): Promise<DatasetRange> {
  const range: DatasetRange = { stream, subject, first_sequence: 0, last_sequence: 0, messages: 0 };
  const jsm = await nc.jetstreamManager();
  let state;
  try {
    state = (await jsm.streams.info(stream)).state;
  } catch (e: unknown) {
    throw new FailedPreconditionError(`stream ${stream}: cannot read it (${errorMessage(e)})`, { cause: e });
  }
  if (lastSequence !== undefined && state.last_seq < lastSequence) {
    throw new FailedPreconditionError(`stream ${stream}: ends at sequence ${state.last_seq}, before the range's last sequence ${lastSequence}`);
  }
  const start = Math.max(firstSequence, state.first_seq, 1);
  if (state.messages === 0 || start > state.last_seq) return range;
  const ci = await jsm.consumers.add(stream, {
    name: `retrainer_dataset_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 10)}`,
    filter_subject: subject,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: start,
    ack_policy: AckPolicy.None,
    mem_storage: true,
    num_replicas: 1,
    // Removed by the server if this process dies mid-read.
    inactive_threshold: nanos(60_000),
  });
  try {
    const consumer = await nc.jetstream().consumers.get(stream, ci.name);
    let pending = ci.num_pending;
    while (pending > 0) {
      if (signal?.aborted) throw new CancelledError(`reading ${stream} ${subject}: cancelled`, { cause: signal.reason });
      const iter = await consumer.fetch({ max_messages: Math.min(pending, FETCH_BATCH), expires: FETCH_EXPIRES_MS });
      let got = 0;
      for await (const m of iter) {
        got++;
        pending--;
        if (range.messages === 0) range.first_sequence = m.seq;
        range.last_sequence = m.seq;
        range.messages++;
        onMessage({ seq: m.seq, subject: m.subject, data: m.data });
      }
      // Nothing came although messages were pending: they aged out meanwhile; what is read is the range.
      if (got === 0) break;
    }
  } finally {
    // Best effort: the inactive threshold removes it anyway.
    await jsm.consumers.delete(stream, ci.name).catch(() => undefined);
  }
  return range;
}
