import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { errorMessage } from '../errors/index.js';
import type { AckedPublisher } from './async-publish.js';
import type { Logger } from '../logging/index.js';
import { SpoolWriteError } from './errors.js';
import { Spool } from './spool.js';
import type { AppendResult, FsyncPolicy, SpoolRecord } from './spool.js';

/** Options for {@link DurablePublisher.create}. */
export interface DurablePublisherOptions {
  /** Folder of the on-disk spool. */
  spoolDir: string;
  /** Spool size cap in bytes; past it new records are dropped and counted. @default 1 GiB */
  spoolMaxBytes?: number;
  /** See {@link FsyncPolicy}. @default 'interval' */
  fsync?: FsyncPolicy;
  /** @default 100 */
  fsyncIntervalMs?: number;
  /** Records waiting in memory for a publish slot; past it records go to the spool. @default 10000 */
  queueMax?: number;
  /** Publishes awaiting their JetStream ack at once. @default 256 */
  maxInflight?: number;
  /** How long a publish may wait for its ack before the record is spooled. @default 2000 */
  publishTimeoutMs?: number;
  /** Records replayed from the spool per round (published together, then checkpointed). @default 256 */
  replayBatch?: number;
  /** See {@link PublishDurability}. @default 'memory' */
  durability?: PublishDurability;
  /**
   * `spool` durability: once the spool file holds this many bytes (published or not), the
   * publisher holds new writes for at most {@link RESET_HOLD_MS}, publishes the file to its end
   * and resets it, so that the file does not grow without bound under steady traffic. @default 16 MiB
   */
  spoolResetBytes?: number;
  logger: Logger;
  registry: Registry;
  /** Label for the metrics (`publisher` label), e.g. `predictions`. */
  name: string;
}

/** Where records go now: straight to JetStream, or to the spool until it is replayed. */
export type PublisherState = 'direct' | 'spooling' | 'closed';

/**
 * `memory`: records wait in memory for their publish and go to the spool only when NATS is slow
 * or down (a hard kill loses what is in memory); `spool`: every record is appended to the spool
 * first and published from it ({@link DurablePublisher.publishDurably} resolves once it is
 * fsynced), so a hard kill loses nothing that was acknowledged to the caller.
 */
export type PublishDurability = 'memory' | 'spool';

/** The durabilities, for validation. */
export const PUBLISH_DURABILITIES: readonly PublishDurability[] = ['memory', 'spool'];

interface Metrics {
  published: Counter;
  acked: Counter;
  duplicates: Counter;
  spooled: Counter;
  replayed: Counter;
  dropped: Counter;
  corrupt: Counter;
  deadLetters: Counter;
  refused: Counter;
  queue: Gauge;
  inflight: Gauge;
  spoolBytes: Gauge;
}

const RETRY_MS = [100, 250, 500, 1000, 2000] as const;

/** `spool` durability: the longest time acknowledged records wait for their checkpoint, in ms. */
export const CHECKPOINT_MS = 100;

/** `spool` durability: the longest time writes are held for a reset of the spool file, in ms. */
export const RESET_HOLD_MS = 200;

/** NATS errors that retrying cannot fix: the record is too large, malformed, or refused by JetStream (4xx). */
const PERMANENT_CODES = new Set(['MAX_PAYLOAD_EXCEEDED', 'BAD_HEADER', 'BAD_SUBJECT', 'BAD_PAYLOAD', 'BAD_JSON']);

function isPermanent(e: unknown): boolean {
  const err = e as { code?: unknown; api_error?: { code?: number } };
  if (typeof err?.code === 'string' && PERMANENT_CODES.has(err.code)) return true;
  const api = err?.api_error?.code;
  // 408 is a timeout and 503 "no responders" (no stream yet): both pass.
  return typeof api === 'number' && api >= 400 && api < 500 && api !== 408;
}

/**
 * Publishes records to JetStream without ever making the caller wait, and without losing or
 * duplicating one:
 * - `publish()` returns at once; a bounded in-memory queue feeds publishes that wait for the
 *   JetStream ack (`Nats-Msg-Id` = the record's id, so the stream stores a retried one once);
 * - when NATS is down or slow (a publish fails or times out) or the queue is full, records go to
 *   the on-disk spool, in order, and a replay loop publishes them back (retrying with backoff)
 *   once NATS answers, checkpointing what was acknowledged; then it returns to direct mode;
 * - records in flight when NATS fails are spooled too (after newer ones: order is kept except
 *   for those); JetStream's duplicate window removes any that had in fact been stored;
 * - past the spool's size cap new records are dropped and counted (`…_dropped_total`);
 * - the spool writes in the background (libuv's thread pool): `publish()` never waits for the disk;
 * - `drain()` flushes: in-flight publishes settle, the queue goes to the spool, the spool syncs.
 * Lost on a hard kill (SIGKILL, power loss): only records in memory (queue, in flight, and spool
 * writes not finished yet) and, with `fsync: 'interval'` on power loss, the last interval of
 * spool writes.
 *
 * With `durability: 'spool'` there is no memory queue: {@link publishDurably} appends to the spool
 * and resolves after the fsync of its write (group commit), and the replay loop publishes the
 * spool continuously (windows of `replayBatch`, each checkpointed once acknowledged; it sleeps
 * while the spool is empty). A hard kill then loses no record whose promise resolved; one
 * published but not checkpointed yet is published again at the next start, and JetStream drops
 * it as a duplicate within its duplicate window.
 */
export class DurablePublisher {
  private stateValue: PublisherState;
  private js: AckedPublisher | undefined;
  /** A pump is due on the next turn (see {@link publish}). */
  private pumpScheduled = false;
  private readonly queue: SpoolRecord[] = [];
  private inflight = 0;
  private replaying = false;
  /** NATS connection up (as its status events say). */
  private connected = false;
  /** The replay is on its last window: new records wait in memory instead of the spool. */
  private holding = false;
  private drained: Promise<void> | undefined;
  private droppedWarnings = 0;
  private idleWaiters: (() => void)[] = [];
  /** Spool writes finished so far (lets the replay loop sleep without missing one). */
  private writes = 0;
  /** Wakes the replay loop sleeping on an empty spool (`spool` durability). */
  private wake: (() => void) | undefined;
  private readonly o: Required<Omit<DurablePublisherOptions, 'logger' | 'registry' | 'name'>> & Pick<DurablePublisherOptions, 'logger' | 'name'>;
  private readonly m: Metrics;
  private readonly labels: { publisher: string };

  private constructor(
    private readonly spool: Spool,
    opts: DurablePublisher['o'],
    metrics: Metrics,
  ) {
    this.o = opts;
    this.m = metrics;
    this.labels = { publisher: opts.name };
    // With `spool` durability every record goes through the spool: it never publishes directly.
    this.stateValue = spool.pending || opts.durability === 'spool' ? 'spooling' : 'direct';
    this.m.spoolBytes.set(this.labels, spool.bytes);
  }

  /**
   * Opens the spool (validating it: corrupt records are skipped with a warning) and returns a
   * publisher with no connection yet: records go to the spool until {@link setJetStream}.
   */
  static create(opts: DurablePublisherOptions): DurablePublisher {
    const o = {
      spoolMaxBytes: 1024 ** 3,
      fsync: 'interval' as FsyncPolicy,
      fsyncIntervalMs: 100,
      queueMax: 10_000,
      maxInflight: 256,
      publishTimeoutMs: 2000,
      replayBatch: 256,
      durability: 'memory' as PublishDurability,
      spoolResetBytes: 16 * 1024 * 1024,
      ...opts,
    };
    if (!PUBLISH_DURABILITIES.includes(o.durability)) throw new Error(`publisher option durability must be one of ${PUBLISH_DURABILITIES.join(', ')}, got ${String(o.durability)}`);
    for (const k of ['spoolMaxBytes', 'fsyncIntervalMs', 'queueMax', 'maxInflight', 'publishTimeoutMs', 'replayBatch', 'spoolResetBytes'] as const) {
      if (!Number.isInteger(o[k]) || o[k] <= 0) throw new Error(`publisher option ${k} must be a positive integer, got ${o[k]}`);
    }
    const labelNames = ['publisher'] as const;
    const registers = [opts.registry];
    const counter = (name: string, help: string) => new Counter({ name: `mlmesh_publisher_${name}_total`, help, labelNames, registers });
    const gauge = (name: string, help: string) => new Gauge({ name: `mlmesh_publisher_${name}`, help, labelNames, registers });
    const metrics: Metrics = {
      published: counter('published', 'Publish attempts to JetStream (direct and replayed).'),
      acked: counter('acked', 'Records acknowledged by JetStream.'),
      duplicates: counter('duplicates', 'Acks that JetStream flagged as duplicates (already stored, not stored again).'),
      spooled: counter('spooled', 'Records written to the on-disk spool.'),
      replayed: counter('replayed', 'Spooled records acknowledged after replay.'),
      dropped: counter('dropped', 'Records dropped because the spool was at its size cap (or the disk refused them).'),
      corrupt: counter('spool_corrupt', 'Corrupt spool records skipped (bad checksum, torn tail).'),
      deadLetters: counter('rejected', 'Records NATS refused for good (too large, bad header, 4xx from JetStream): logged and skipped, never retried.'),
      refused: counter('durable_refused', 'Records of publishDurably() the spool refused (full, closed) or could not write and fsync: the caller was told, nothing was acknowledged.'),
      queue: gauge('queue_depth', 'Records waiting in memory for a publish slot.'),
      inflight: gauge('inflight', 'Publishes awaiting their ack.'),
      spoolBytes: gauge('spool_bytes', 'Size of the spool file.'),
    };
    const labels = { publisher: opts.name };
    const spool: Spool = Spool.open({
      dir: o.spoolDir,
      maxBytes: o.spoolMaxBytes,
      fsync: o.fsync,
      fsyncIntervalMs: o.fsyncIntervalMs,
      logger: o.logger,
      onCorrupt: () => metrics.corrupt.inc(labels),
      onWritten: (n) => {
        metrics.spooled.inc(labels, n);
        metrics.spoolBytes.set(labels, spool.bytes);
        publisher.written();
      },
      onWriteFailed: (n) => {
        metrics.dropped.inc(labels, n);
        metrics.spoolBytes.set(labels, spool.bytes);
      },
    });
    const publisher = new DurablePublisher(spool, o, metrics);
    return publisher;
  }

  /** Current state. */
  get state(): PublisherState {
    return this.stateValue;
  }

  /** The durability it was created with. */
  get durability(): PublishDurability {
    return this.o.durability;
  }

  /** Records in memory (queued or in flight). */
  get pendingInMemory(): number {
    return this.queue.length + this.inflight;
  }

  /** True when the spool holds records not yet replayed. */
  get spoolPending(): boolean {
    return this.spool.pending;
  }

  /**
   * Gives the publisher a JetStream client (on connect; undefined on close). Spooled records
   * start replaying.
   */
  setJetStream(js: AckedPublisher | undefined): void {
    this.js = js;
    this.connected = js !== undefined;
    if (js && this.stateValue === 'spooling') this.startReplay();
    this.pump();
  }

  /**
   * Follows the connection's status: on a disconnect, records go to the spool at once (rather
   * than waiting out publish timeouts in memory); on a reconnect, the spool replays.
   */
  setConnected(connected: boolean): void {
    this.connected = connected;
    if (!connected) {
      this.enterSpooling('NATS disconnected');
      this.wakeReplay();
    } else if (this.stateValue === 'spooling') this.startReplay();
  }

  /**
   * `spool` durability only: appends the record to the spool and resolves once it is written and
   * fsynced (group commit: records arriving during one fsync share the next); it is published
   * from the spool (then checkpointed), so it survives a hard kill from the moment this
   * resolves. The promise waits for the disk, never for NATS.
   * @throws (rejects) SpoolFullError (RESOURCE_EXHAUSTED) when the spool is at its size cap or
   *   64 MiB wait for the disk; SpoolWriteError (UNAVAILABLE) once closed or when the disk refuses
   *   the write or its fsync. Throws Error at once with `memory` durability (a programming error).
   */
  publishDurably(record: SpoolRecord): Promise<void> {
    if (this.o.durability !== 'spool') throw new Error("publishDurably needs durability 'spool'");
    if (this.stateValue === 'closed') {
      this.m.refused.inc(this.labels);
      return Promise.reject(new SpoolWriteError('closed'));
    }
    const p = this.spool.appendSynced(record);
    this.m.spoolBytes.set(this.labels, this.spool.bytes);
    return p.catch((e: unknown) => {
      this.m.refused.inc(this.labels);
      throw e;
    });
  }

  /** Queues a record; never blocks and never throws for NATS trouble. */
  publish(record: SpoolRecord): void {
    if (this.stateValue === 'closed') {
      this.m.dropped.inc(this.labels);
      this.o.logger.warn({ subject: record.subject, msgId: record.msgId }, 'publisher closed: record dropped');
      return;
    }
    if (this.o.durability === 'spool') {
      // Taken like the others, without a caller waiting for its fsync (e.g. a shadow copy's log).
      this.toSpool(record);
      return;
    }
    if (!this.js || !this.connected) this.enterSpooling('not connected');
    if (this.stateValue === 'spooling') {
      // While the replay finishes its last window, new records wait in memory (bounded), so the
      // spool can run dry and the publisher return to direct mode under steady traffic.
      if (this.holding && this.queue.length < this.o.queueMax) {
        this.queue.push(record);
        this.m.queue.set(this.labels, this.queue.length);
      } else this.toSpool(record);
      return;
    }
    if (this.queue.length >= this.o.queueMax) {
      this.enterSpooling('queue full');
      this.toSpool(record);
      return;
    }
    this.queue.push(record);
    // Sent on the next turn of the event loop, with every record queued before it: nats.js
    // writes its buffer to the socket once per microtask checkpoint, and each answer's log is
    // queued from its own callback, so publishing at once made one socket write per record
    // (7.8% of the inference service's CPU at 64 requests in flight).
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(() => {
        this.pumpScheduled = false;
        this.pump();
      });
    }
  }

  /**
   * Graceful stop: no new records are taken; in-flight publishes settle (or time out and are
   * spooled); the queue goes to the spool; the spool syncs and closes. Replay stops (the spool
   * is replayed by the next start).
   */
  drain(): Promise<void> {
    this.drained ??= this.doDrain();
    return this.drained;
  }

  private async doDrain(): Promise<void> {
    for (const r of this.queue.splice(0)) this.toSpool(r);
    this.m.queue.set(this.labels, 0);
    this.stateValue = 'closed';
    this.wakeReplay();
    if (this.inflight > 0 || this.replaying) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.spool.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drain();
  }

  /** Hands a record to the spool (written in the background: `…_spooled_total` counts it once written). */
  private toSpool(record: SpoolRecord): void {
    let result: AppendResult | 'error';
    try {
      result = this.spool.append(record);
    } catch (e: unknown) {
      this.o.logger.error({ err: e }, 'spool append failed: record dropped');
      result = 'error';
    }
    if (result !== 'queued') {
      this.m.dropped.inc(this.labels);
      // One warning per 1000 drops: a full spool under load must not flood the log.
      if (this.droppedWarnings++ % 1000 === 0) {
        const why = result === 'backlog' ? 'spool: too many bytes wait for the disk: records dropped' : 'spool full: records dropped';
        this.o.logger.warn({ msgId: record.msgId, spoolBytes: this.spool.bytes, dropped: this.droppedWarnings }, why);
      }
    }
    this.m.spoolBytes.set(this.labels, this.spool.bytes);
  }

  /** A spool write finished (called by the spool): wakes a replay loop waiting for records. */
  private written(): void {
    this.writes++;
    this.wakeReplay();
  }

  private wakeReplay(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private enterSpooling(why: string): void {
    if (this.stateValue === 'spooling' && this.holding) {
      // The connection failed while finishing a replay: what waited in memory goes to disk.
      this.holding = false;
      for (const r of this.queue.splice(0)) this.toSpool(r);
      this.m.queue.set(this.labels, 0);
      return;
    }
    if (this.stateValue !== 'direct') return;
    this.stateValue = 'spooling';
    this.o.logger.warn({ why, queued: this.queue.length }, 'publisher: spooling to disk');
    for (const r of this.queue.splice(0)) this.toSpool(r);
    this.m.queue.set(this.labels, 0);
    this.startReplay();
  }

  private pump(): void {
    const js = this.js;
    while (js && this.stateValue === 'direct' && this.inflight < this.o.maxInflight && this.queue.length > 0) {
      const r = this.queue.shift() as SpoolRecord;
      this.inflight++;
      this.m.inflight.set(this.labels, this.inflight);
      this.m.published.inc(this.labels);
      js.publish(r.subject, r.data, { msgID: r.msgId, timeout: this.o.publishTimeoutMs }).then(
        (ack) => {
          this.m.acked.inc(this.labels);
          if (ack.duplicate) this.m.duplicates.inc(this.labels);
          this.settled();
        },
        (e: unknown) => {
          if (isPermanent(e)) {
            this.reject(r, e);
          } else {
            // Not acknowledged (NATS down or slow): keep it on disk and replay later.
            // (While draining, the spool stays open until in-flight publishes settle.)
            this.o.logger.debug({ err: errorMessage(e) }, 'publish failed: spooling');
            this.enterSpooling(errorMessage(e));
            this.toSpool(r);
          }
          this.settled();
        },
      );
    }
    this.m.queue.set(this.labels, this.queue.length);
  }

  /** A record NATS will never take: counted, logged, skipped. */
  private reject(r: SpoolRecord, e: unknown): void {
    this.m.deadLetters.inc(this.labels);
    this.o.logger.error({ subject: r.subject, msgId: r.msgId, bytes: r.data.byteLength, err: errorMessage(e) }, 'NATS refused a record for good: skipped');
  }

  private settled(): void {
    this.inflight--;
    this.m.inflight.set(this.labels, this.inflight);
    if (this.stateValue === 'closed') this.checkIdle();
    else this.pump();
  }

  private checkIdle(): void {
    if (this.inflight === 0 && !this.replaying) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  private startReplay(): void {
    if (this.replaying || !this.js) return;
    this.replaying = true;
    (this.o.durability === 'spool' ? this.publishSpool() : this.replay())
      .catch((e: unknown) => {
        // A spool I/O error: log it and try again later rather than crash the service.
        this.o.logger.error({ err: e }, 'publisher: replay failed');
        return new Promise((r) => setTimeout(r, 1000));
      })
      .finally(() => {
        this.replaying = false;
        this.checkIdle();
        if (this.stateValue === 'spooling' && this.connected) this.startReplay();
      })
      .catch(() => undefined);
  }

  /**
   * `spool` durability: publishes the spool continuously, in order, in windows of `replayBatch`,
   * and sleeps while it is empty (a finished write wakes it). What is acknowledged is checkpointed
   * at most every {@link CHECKPOINT_MS} (and when the loop stops: disconnect, drain), not after
   * every window: each checkpoint is a file replaced and fsynced on the same queue of file
   * operations the answers' writes wait in. A hard kill re-publishes at the next start what was
   * acknowledged after the last checkpoint: JetStream drops those as duplicates (same id).
   */
  /**
   * Publishes one window of spooled records together and counts them. A permanent failure is
   * rejected (dead-lettered) and passed over; returns the index of the first record that failed
   * otherwise (retry from there) with its error, or -1 when every one was acknowledged or rejected.
   */
  private async publishWindow(js: AckedPublisher, records: readonly SpoolRecord[]): Promise<{ firstFail: number; reason: unknown }> {
    this.m.published.inc(this.labels, records.length);
    const results = await Promise.allSettled(records.map((r) => js.publish(r.subject, r.data, { msgID: r.msgId, timeout: this.o.publishTimeoutMs })));
    let firstFail = -1;
    results.forEach((res, i) => {
      if (res.status === 'fulfilled') {
        this.m.acked.inc(this.labels);
        this.m.replayed.inc(this.labels);
        if (res.value.duplicate) this.m.duplicates.inc(this.labels);
      } else if (isPermanent(res.reason)) {
        this.reject(records[i] as SpoolRecord, res.reason);
      } else if (firstFail === -1) {
        firstFail = i;
      }
    });
    return { firstFail, reason: firstFail === -1 ? undefined : (results[firstFail] as PromiseRejectedResult).reason };
  }

  private async publishSpool(): Promise<void> {
    let failures = 0;
    /** End of the records acknowledged so far, when past the last checkpoint. */
    let sent: number | undefined;
    let lastCommit = Date.now();
    /** Ends the hold of writes for a reset of the file (set while held). */
    let holdTimer: NodeJS.Timeout | undefined;
    /** File size at which the next reset is tried. */
    let resetAt = this.o.spoolResetBytes;
    const release = (): void => {
      if (!holdTimer) return;
      clearTimeout(holdTimer);
      holdTimer = undefined;
      this.spool.release();
    };
    const hold = (): void => {
      this.spool.hold();
      holdTimer = setTimeout(() => {
        // Not caught up in time (slow acks): the writes go on; next try one reset size later.
        resetAt = this.spool.fileBytes + this.o.spoolResetBytes;
        release();
      }, RESET_HOLD_MS);
    };
    const checkpoint = async (end: number): Promise<void> => {
      await this.spool.commit(end);
      sent = undefined;
      lastCommit = Date.now();
      if (this.spool.fileBytes === 0) {
        resetAt = this.o.spoolResetBytes;
        release();
      }
      this.m.spoolBytes.set(this.labels, this.spool.bytes);
    };
    try {
      while (this.stateValue === 'spooling') {
        const js = this.js;
        if (!js || !this.connected) return; // setConnected(true) starts it again
        const writes = this.writes;
        const { records, ends, end } = await this.spool.peek(this.o.replayBatch, sent);
        if (records.length === 0) {
          // Held for a reset, and the file is published to its end: reset it now.
          if (holdTimer) {
            await checkpoint(end);
            continue;
          }
          if (this.spool.writing) {
            await this.spool.flush();
            continue;
          }
          // Everything is published; what is not checkpointed yet (then the file is reset) is
          // checkpointed once due.
          const unchecked = this.spool.pending;
          const due = lastCommit + CHECKPOINT_MS - Date.now();
          if (unchecked && due <= 0) {
            await checkpoint(end);
            continue;
          }
          // Sleep until a write finishes (unless one did since the peek), the checkpoint is due,
          // a disconnect or the drain.
          if (this.writes === writes && this.stateValue === 'spooling' && this.connected) {
            await new Promise<void>((r) => {
              const timer = unchecked ? setTimeout(r, Math.max(due, 1)).unref() : undefined;
              this.wake = () => {
                if (timer) clearTimeout(timer);
                r();
              };
            });
            this.wake = undefined;
          }
          continue;
        }
        const { firstFail, reason } = await this.publishWindow(js, records);
        if (firstFail === -1) {
          sent = end;
          failures = 0;
          // The file is large: hold new writes so the publishing can reach its end and reset it.
          if (!holdTimer && this.spool.fileBytes >= resetAt) hold();
          if (Date.now() - lastCommit >= CHECKPOINT_MS) await checkpoint(end);
          continue;
        }
        release();
        // Acknowledged up to the first failure; later ones that were acked are deduplicated by
        // JetStream when they are sent again.
        if (firstFail > 0) await checkpoint(ends[firstFail - 1] as number);
        else if (sent !== undefined) await checkpoint(sent);
        if ((this.stateValue as PublisherState) === 'closed') return;
        const wait = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)] ?? 2000;
        failures++;
        if (failures === 1) this.o.logger.warn({ err: errorMessage(reason) }, 'publisher: publishing the spool failed, retrying');
        await new Promise((r) => setTimeout(r, wait));
      }
    } finally {
      release();
      // Stopping (disconnect, drain, error): keep what was acknowledged.
      if (sent !== undefined) await this.spool.commit(sent).catch((e: unknown) => this.o.logger.error({ err: e }, 'publisher: spool checkpoint failed'));
      this.m.spoolBytes.set(this.labels, this.spool.bytes);
    }
  }

  /** Publishes the spool back in order, in windows, checkpointing each acknowledged window. */
  private async replay(): Promise<void> {
    let failures = 0;
    while (this.stateValue === 'spooling') {
      const js = this.js;
      if (!js || !this.connected) return; // setConnected(true) starts it again
      const { records, ends, end } = await this.spool.peek(this.o.replayBatch);
      if (records.length === 0) {
        // Records still on their way to the file: wait for them.
        if (this.spool.writing) {
          await this.spool.flush();
          continue;
        }
        // Nothing left: commit (resets the file), wait for publishes from before the outage
        // (they may still land in the spool), then publish directly again.
        await this.spool.commit(end);
        this.m.spoolBytes.set(this.labels, this.spool.bytes);
        // Drained, or the connection failed again, while the commit ran.
        if ((this.stateValue as PublisherState) !== 'spooling' || !this.connected) continue;
        // Spooled while the commit ran (the queue was full).
        if (this.spool.pending) continue;
        if (this.inflight > 0) {
          this.holding = true;
          await new Promise((r) => setTimeout(r, 10));
          continue;
        }
        this.stateValue = 'direct';
        this.holding = false;
        this.o.logger.info('publisher: spool replayed, publishing directly again');
        this.pump();
        return;
      }
      // The last window: hold new records in memory so the spool can run dry.
      if (records.length < this.o.replayBatch && this.o.durability === 'memory') this.holding = true;
      const { firstFail, reason } = await this.publishWindow(js, records);
      if (firstFail === -1) {
        await this.spool.commit(end);
        failures = 0;
      } else {
        // Commit up to the first failure; later ones that were acked are deduplicated by
        // JetStream when they are sent again.
        if (firstFail > 0) await this.spool.commit(ends[firstFail - 1] as number);
        if (this.holding) this.enterSpooling('replay failed');
        if ((this.stateValue as PublisherState) === 'closed') return;
        const wait = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)] ?? 2000;
        failures++;
        if (failures === 1) this.o.logger.warn({ err: errorMessage(reason) }, 'publisher: replay failed, retrying');
        await new Promise((r) => setTimeout(r, wait));
      }
      this.m.spoolBytes.set(this.labels, this.spool.bytes);
    }
  }
}
