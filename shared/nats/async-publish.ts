/**
 * JetStream publishes with their acks awaited in bulk, for the prediction-log publisher's hot
 * path (one publish per answered request).
 *
 * nats.js's `js.publish()` is a request per message: it builds a `NatsError` up front (its stack
 * trace taken on every call, for the timeout it may report), arms a timer, and registers the
 * request in the connection's reply mux. On the inference service at 64 requests in flight that
 * cost ~117 µs of CPU per logged prediction on the gRPC thread, and logging on ran at 0.37× the
 * rate of logging off (`node dist/bench/inference.js`, 2026-12-02). This is what the other NATS
 * clients call an async publish (Go's `PublishAsync`): every message goes out with a reply
 * subject under one inbox this client subscribes to once, the ack is matched by the reply
 * subject's last token, and one sweep timer fails the acks that are late.
 *
 * The answers are the same as `js.publish()`'s: a PubAck (`duplicate` true when the stream had
 * the `Nats-Msg-Id` already), or an error the publisher tells apart as nats.js's: `code` "503"
 * when no stream takes the subject (no responders), "TIMEOUT" when no ack came in time, the
 * JetStream API error in `api_error` (4xx are refused for good), nats.js's own error when the
 * connection refuses the publish (closed, payload over the server's max_payload).
 */
import { createInbox, headers } from 'nats';
import type { Msg, NatsConnection, Subscription } from 'nats';

/** What the prediction-log publisher needs of a JetStream client (nats.js's `JetStreamClient` has it too). */
export interface AckedPublisher {
  publish(subject: string, data: Uint8Array, opts: { msgID: string; timeout: number }): Promise<{ stream: string; seq: number; duplicate: boolean }>;
}

/** A publish that got no PubAck: `code` and `api_error` as nats.js's NatsError has them. */
export class JetStreamPublishError extends Error {
  override readonly name = 'JetStreamPublishError';
  constructor(
    message: string,
    readonly code: string,
    readonly api_error?: { code: number; err_code?: number; description: string },
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (ack: { stream: string; seq: number; duplicate: boolean }) => void;
  reject: (e: Error) => void;
  /** performance.now() past which the ack is late. */
  due: number;
}

/** How often late acks are looked for, in ms: a publish times out within this much of its timeout. */
export const SWEEP_MS = 50;

const decoder = new TextDecoder();

export class AsyncJetStreamPublisher implements AckedPublisher {
  private readonly inbox: string;
  private readonly sub: Subscription;
  /** Acks awaited, by reply token. */
  private readonly pending = new Map<string, Pending>();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  /**
   * @param inboxPrefix the connection's inbox prefix (`natsInboxPrefix(service)`), so that its
   *   NATS permissions, which allow it its own replies only, cover the acks.
   */
  constructor(
    private readonly nc: NatsConnection,
    inboxPrefix?: string,
  ) {
    this.inbox = createInbox(inboxPrefix);
    this.sub = nc.subscribe(`${this.inbox}.*`, { callback: (err, msg) => (err ? this.failAll(err) : this.onAck(msg)) });
  }

  /** Acks awaited. */
  get inflight(): number {
    return this.pending.size;
  }

  publish(subject: string, data: Uint8Array, opts: { msgID: string; timeout: number }): Promise<{ stream: string; seq: number; duplicate: boolean }> {
    if (this.closed) return Promise.reject(new JetStreamPublishError('publisher closed', 'CONNECTION_CLOSED'));
    const token = (++this.seq).toString(36);
    const h = headers();
    h.set('Nats-Msg-Id', opts.msgID);
    try {
      this.nc.publish(subject, data, { reply: `${this.inbox}.${token}`, headers: h });
    } catch (e: unknown) {
      // nats.js refuses at once: connection closed or draining, payload over max_payload, a bad subject.
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return new Promise((resolve, reject) => {
      this.pending.set(token, { resolve, reject, due: performance.now() + opts.timeout });
      this.timer ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    });
  }

  /** Stops taking publishes; acks still awaited fail (not acknowledged, so the publisher spools them). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sub.unsubscribe();
    this.failAll(new JetStreamPublishError('publisher closed before the ack', 'CONNECTION_CLOSED'));
  }

  private onAck(msg: Msg): void {
    const token = msg.subject.slice(this.inbox.length + 1);
    const p = this.pending.get(token);
    if (!p) return; // late: it timed out already (and was spooled; the stream's dedup drops the copy)
    this.pending.delete(token);
    if (msg.data.length === 0 && msg.headers?.code === 503) {
      p.reject(new JetStreamPublishError('no stream takes this subject (no responders)', '503'));
      return;
    }
    let ack: { stream?: string; seq?: number; duplicate?: boolean; error?: { code: number; err_code?: number; description: string } };
    try {
      ack = JSON.parse(decoder.decode(msg.data)) as typeof ack;
    } catch {
      p.reject(new JetStreamPublishError('the ack is not JSON', 'JetStreamInvalidAck'));
      return;
    }
    if (ack.error) p.reject(new JetStreamPublishError(ack.error.description, String(ack.error.code), ack.error));
    else if (!ack.stream) p.reject(new JetStreamPublishError('the ack names no stream', 'JetStreamInvalidAck'));
    else p.resolve({ stream: ack.stream, seq: ack.seq ?? 0, duplicate: ack.duplicate === true });
  }

  private sweep(): void {
    const now = performance.now();
    for (const [token, p] of this.pending) {
      if (p.due > now) continue;
      this.pending.delete(token);
      p.reject(new JetStreamPublishError('no ack in time', 'TIMEOUT'));
    }
    if (this.pending.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private failAll(e: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const p of all) p.reject(e);
  }
}
