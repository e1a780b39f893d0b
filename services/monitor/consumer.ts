/**
 * Durable JetStream pull consumers feeding the engine: `<durable>` on MLMESH_PREDICTIONS
 * (`mlmesh.predictions.>`) and `<durable>-feedback` on MLMESH_FEEDBACK. Each loop fetches up to
 * `batch` messages, hands them to the engine, and acks them only after the engine has stored the
 * state that covers them; on failure it naks them (redelivered after a pause). Explicit acks,
 * so a monitor killed mid-batch gets the unacked messages again.
 */
import { AckPolicy, DeliverPolicy, nanos } from 'nats';
import type { JsMsg, NatsConnection } from 'nats';
import { STREAMS } from '../../shared/events/index.js';
import { errorMessage } from '../../shared/errors/index.js';
import type { Logger } from '../../shared/logging/index.js';
import type { BatchInfo, StreamMessage } from './engine.js';

/** Options of {@link runConsumer}. */
export interface ConsumerLoopOptions {
  nc: NatsConnection;
  stream: string;
  durable: string;
  filterSubject: string;
  /**
   * Applies a batch (with how many messages the stream still holds for the consumer after it);
   * resolves once its state is stored, optionally with sequences to retry later (nak).
   */
  apply: (batch: StreamMessage[], info: Required<BatchInfo>) => Promise<void | { retry: number[] }>;
  /** Called when a fetch found nothing: the consumer has caught up with the stream. */
  onIdle?: () => void;
  log: Logger;
  signal: AbortSignal;
  batch?: number;
  /** Max wait of one fetch, ms. */
  expiresMs?: number;
  /**
   * Ordered mode: at start and after any failed batch the durable consumer is deleted and
   * recreated to deliver from `resumeAfter() + 1` (the last sequence whose state is on disk), so
   * messages are always applied in stream order, with nothing skipped and no wait for ack_wait
   * after a crash. Without it the consumer is created once and failed batches are nak'ed.
   */
  resumeAfter?: () => number;
  /** Called once the consumer exists (readiness). */
  onReady?: () => void;
  /**
   * Fencing: checked right before a batch is acked; when false the batch is left unacked (it
   * comes again to whoever consumes next) and the loop stops fetching until `signal` aborts.
   */
  mayAck?: () => boolean;
}

/** Creates the durable consumer when it does not exist (idempotent). */
export async function ensureConsumer(nc: NatsConnection, stream: string, durable: string, filterSubject: string): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const exists = await jsm.consumers.info(stream, durable).then(
    () => true,
    () => false,
  );
  if (exists) return;
  await jsm.consumers.add(stream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: filterSubject,
    // Long enough for a batch whose windows close and run MMD (the worker takes < 2 s per window).
    ack_wait: nanos(60_000),
    max_ack_pending: 20_000,
  });
}

/** Deletes the durable consumer (if any) and creates it again, delivering from `seq + 1`. */
async function recreateConsumer(nc: NatsConnection, stream: string, durable: string, filterSubject: string, seq: number, batch: number): Promise<void> {
  const jsm = await nc.jetstreamManager();
  await jsm.consumers.delete(stream, durable).catch(() => false);
  await jsm.consumers.add(stream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    ...(seq > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: seq + 1 } : { deliver_policy: DeliverPolicy.All }),
    filter_subject: filterSubject,
    ack_wait: nanos(60_000),
    // One batch outstanding at a time: delivery order is stream order.
    max_ack_pending: batch,
  });
}

function toStreamMessage(m: JsMsg): StreamMessage {
  return { seq: m.seq, data: m.data, timeMs: Math.floor(m.info.timestampNanos / 1e6) };
}

/** Runs a fetch → apply → ack loop until `signal` aborts. Errors are logged and retried. */
export async function runConsumer(o: ConsumerLoopOptions): Promise<void> {
  const js = o.nc.jetstream();
  const batchSize = o.batch ?? 256;
  const fenced = async (): Promise<void> => {
    o.log.warn({ stream: o.stream }, 'lease lost: consumer stops');
    await new Promise<void>((r) => (o.signal.aborted ? r() : o.signal.addEventListener('abort', () => r(), { once: true })));
  };
  while (!o.signal.aborted) {
    try {
      // A replica that lost its lease must not recreate the consumer under the active one.
      if (o.mayAck && !o.mayAck()) return await fenced();
      if (o.resumeAfter) await recreateConsumer(o.nc, o.stream, o.durable, o.filterSubject, o.resumeAfter(), batchSize);
      else await ensureConsumer(o.nc, o.stream, o.durable, o.filterSubject);
      o.onReady?.();
      const consumer = await js.consumers.get(o.stream, o.durable);
      while (!o.signal.aborted) {
        const iter = await consumer.fetch({ max_messages: batchSize, expires: o.expiresMs ?? 1000 });
        const msgs: JsMsg[] = [];
        for await (const m of iter) msgs.push(m);
        if (msgs.length === 0) {
          o.onIdle?.();
          continue;
        }
        let retry: Set<number>;
        try {
          const r = await o.apply(msgs.map(toStreamMessage), { pending: (msgs[msgs.length - 1] as JsMsg).info.pending });
          retry = new Set(r?.retry ?? []);
        } catch (e: unknown) {
          o.log.warn({ err: errorMessage(e), stream: o.stream, count: msgs.length }, 'batch not applied: it will be delivered again');
          if (o.resumeAfter) {
            // Ordered mode: start over from the last stored sequence (after a short pause).
            await new Promise((r) => setTimeout(r, 1000));
            break;
          }
          for (const m of msgs) m.nak(1000);
          continue;
        }
        // Left unacked: it comes again to the replica that holds the lease.
        if (o.mayAck && !o.mayAck()) return await fenced();
        for (const m of msgs) {
          if (retry.has(m.seq)) m.nak(500);
          else m.ack();
        }
      }
    } catch (e: unknown) {
      if (o.signal.aborted) return;
      o.log.warn({ err: errorMessage(e), stream: o.stream }, 'consumer loop error: retrying');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Streams and subjects the monitor consumes. */
export const CONSUMED = {
  predictions: { stream: STREAMS.predictions.name, filter: 'mlmesh.predictions.>' },
  feedback: { stream: STREAMS.feedback.name, filter: 'mlmesh.feedback.>' },
} as const;
