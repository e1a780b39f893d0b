/**
 * Model lifecycle events (ModelEvent on `mlmesh.events.model.<model>`, stream MLMESH_EVENTS) for
 * the drift page's time axis: rollout starts, steps, promotions, roll-backs, retirements and
 * route changes. Read from the stream when a page is rendered (an ordered consumer from the
 * page's first window on), so they survive a monitor restart without state of the monitor's own.
 */
import { DeliverPolicy } from 'nats';
import type { NatsConnection } from 'nats';
import { STREAMS, SUBJECTS, decodeModelEvent } from '../../shared/events/index.js';
import type { ModelEvent__Output } from '../../shared/events/index.js';
import { errorMessage } from '../../shared/errors/index.js';

/** What the page shows of one ModelEvent. */
export interface ModelEventMarker {
  timeMs: number;
  kind: string;
  text: string;
}

/** The events of a model read for a page, or why they could not be. */
export interface ModelEventsRead {
  markers: ModelEventMarker[];
  /** Set when the stream could not be read (NATS down, no stream): the page says so. */
  unavailable?: string;
  /** Messages on the subject that did not decode as a ModelEvent (skipped). */
  undecodable: number;
}

/** Most events a page reads (the newest are kept). */
export const MAX_MODEL_EVENTS = 500;
/** Most messages one page render reads from the stream, and how long it may take. */
const READ_LIMIT = 5000;
const READ_BUDGET_MS = 3000;

/** One line for people, e.g. "rolled_back r-1 (candidate 2 at 10%): error_rate failed …". */
export function describeModelEvent(e: ModelEvent__Output): string {
  const who = e.rollout_id !== '' ? ` ${e.rollout_id}` : '';
  const step = e.candidate !== '' ? ` (candidate ${e.candidate}${e.baseline !== '' ? ` vs ${e.baseline}` : ''}, step ${e.step_index + 1} at ${String(e.candidate_percent)}%)` : '';
  const rev = Number(e.route_revision) > 0 ? ` route revision ${String(e.route_revision)}` : '';
  const reason = e.reason !== '' ? `: ${e.reason}` : '';
  const by = e.actor !== '' ? ` [${e.actor}]` : '';
  return `${e.kind}${who}${step}${rev}${reason}${by}`;
}

function isNoMessage(e: unknown): boolean {
  const msg = errorMessage(e).toLowerCase();
  return msg.includes('no message found') || msg.includes('404');
}

/**
 * The model's events since `sinceMs` (event time of the message in the stream), oldest first, at
 * most {@link MAX_MODEL_EVENTS} (the newest). Never throws: a failure is reported in `unavailable`.
 */
export async function readModelEvents(nc: NatsConnection, model: string, sinceMs: number): Promise<ModelEventsRead> {
  const subject = SUBJECTS.modelEvent(model);
  const stream = STREAMS.events.name;
  const out: ModelEventsRead = { markers: [], undecodable: 0 };
  try {
    const jsm = await nc.jetstreamManager();
    // The newest event first: none at all, or none since `sinceMs`, needs no consumer (and no
    // wait for a fetch to expire).
    try {
      const last = await jsm.streams.getMessage(stream, { last_by_subj: subject });
      if (last.time.getTime() < sinceMs) return out;
    } catch (e: unknown) {
      if (isNoMessage(e)) return out;
      throw e;
    }
    // One subject as a string: filter_subject (a list needs nats-server 2.10; Debian has 2.9).
    const consumer = await nc.jetstream().consumers.get(stream, { filterSubjects: subject, deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(sinceMs).toISOString() });
    const deadline = Date.now() + READ_BUDGET_MS;
    try {
      for (let read = 0; read < READ_LIMIT && Date.now() < deadline; read++) {
        const m = await consumer.next({ expires: 1000 });
        if (m === null) break;
        try {
          const ev = decodeModelEvent(m.data);
          // Subject tokens replace special characters: the event names its model exactly.
          if (ev.model === model) out.markers.push({ timeMs: Number(ev.meta?.time_unix_ms ?? 0) || m.info.timestampNanos / 1e6, kind: ev.kind, text: describeModelEvent(ev) });
        } catch {
          out.undecodable++;
        }
        if (out.markers.length > MAX_MODEL_EVENTS) out.markers.shift();
        if (m.info.pending === 0) break;
      }
    } finally {
      await consumer.delete().catch(() => undefined);
    }
  } catch (e: unknown) {
    out.unavailable = errorMessage(e);
  }
  return out;
}
