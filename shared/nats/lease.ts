/**
 * Leader election on a NATS KV lease: of the replicas sharing a bucket and key, one at a time
 * holds the lease and acts; the others stand by and take over once it expires.
 *
 * - The entry's value is `<owner> <expiry, epoch ms>`. A replica takes the lease when the key is
 *   missing (KV `create`), or when it has expired or is its own (KV `update` at the revision it
 *   read): compare-and-set, so two replicas never both win the same revision.
 * - The holder renews every `renewEveryMs` (default a third of the TTL), again by
 *   compare-and-set. A renewal that loses the compare-and-set means another replica took over:
 *   the lease is lost at once. A renewal that fails (NATS down) keeps the lease only until the
 *   last successful renewal's expiry.
 * - Fencing: {@link Lease.held} is true only before the holder's own deadline, which is the
 *   expiry it wrote minus a safety margin, measured from *before* the write was sent. It is a
 *   clock check, not a timer, so a holder whose timers were late (event-loop stall, paused
 *   process) sees it lost as soon as it looks. Code that commits state or acks messages checks
 *   it right before doing so. Replicas' clocks must agree to well within the margin.
 * - {@link Lease.stop} gives the lease up (expiry 0), so a draining holder's successor takes over
 *   at its next attempt instead of after the TTL.
 */
import type { KV, NatsConnection } from 'nats';
import { errorMessage } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { isLostCas } from './kv.js';

/** Options of {@link Lease.open}. */
export interface LeaseOptions {
  /** KV bucket (created with history 1 when missing). */
  bucket: string;
  /** Key of this lease in the bucket (a subject token path, e.g. `monitor.mlmesh-monitor`). */
  key: string;
  /** This replica's name, unique among the replicas (host name + pid, say). */
  owner: string;
  /** How long a lease lasts without renewal, ms. */
  ttlMs: number;
  /** How often the holder renews and a standby tries, ms. @default ttlMs / 3 */
  renewEveryMs?: number;
  /** Time before the written expiry at which the holder stops trusting it, ms. @default min(ttlMs / 10, 1000) */
  safetyMs?: number;
  /** Called once this replica holds the lease (after a standby period or at start). */
  onAcquired: () => void;
  /** Called once the lease is lost (taken over, expired unrenewed, or given up by stop). */
  onLost: (why: string) => void;
  logger: Logger;
  /** @default Date.now */
  now?: () => number;
}

/** A held or wanted lease; see the module comment. */
export class Lease {
  /** This replica's deadline while it holds the lease (epoch ms); 0 when it does not. */
  private validUntil = 0;
  private holding = false;
  private timer: NodeJS.Timeout | undefined;
  /** Fires at the holder's deadline, in case no renewal came before it. */
  private expiry: NodeJS.Timeout | undefined;
  private stopped = false;
  private attempt: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly renewEveryMs: number;
  private readonly safetyMs: number;

  private constructor(
    private readonly kv: KV,
    private readonly o: LeaseOptions,
  ) {
    if (!Number.isInteger(o.ttlMs) || o.ttlMs < 100) throw new RangeError(`lease ttlMs must be an integer ≥ 100, got ${o.ttlMs}`);
    this.now = o.now ?? Date.now;
    this.renewEveryMs = o.renewEveryMs ?? Math.max(1, Math.floor(o.ttlMs / 3));
    this.safetyMs = o.safetyMs ?? Math.min(Math.floor(o.ttlMs / 10), 1000);
    if (this.renewEveryMs + this.safetyMs >= o.ttlMs) throw new RangeError(`lease renewEveryMs (${this.renewEveryMs}) + safetyMs (${this.safetyMs}) must be below ttlMs (${o.ttlMs})`);
    if (/\s/.test(o.owner) || o.owner === '') throw new RangeError(`lease owner must be a non-empty name without spaces, got ${JSON.stringify(o.owner)}`);
  }

  /** Binds (or creates) the bucket and starts trying for the lease at once. */
  static async open(nc: NatsConnection, o: LeaseOptions): Promise<Lease> {
    const kv = await nc.jetstream().views.kv(o.bucket, { history: 1 });
    const lease = new Lease(kv, o);
    lease.schedule(0);
    return lease;
  }

  /** True while this replica holds the lease and its own deadline has not passed. */
  get held(): boolean {
    return this.holding && this.now() < this.validUntil;
  }

  /** The owner name of this replica. */
  get owner(): string {
    return this.o.owner;
  }

  /** Stops renewing and, when held, gives the lease up so another replica can take it at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.expiry);
    await this.attempt;
    if (!this.holding) return;
    this.lose('stopped');
    try {
      const e = await this.kv.get(this.o.key);
      if (e && e.operation === 'PUT' && parse(e.string()).owner === this.o.owner) await this.kv.update(this.o.key, encode(this.o.owner, 0), e.revision);
    } catch (err: unknown) {
      this.o.logger.warn({ err: errorMessage(err), key: this.o.key }, 'lease: could not give the lease up (it expires by itself)');
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.attempt = this.tryOnce().finally(() => this.schedule(this.renewEveryMs));
    }, ms);
  }

  /** One acquire-or-renew round. */
  private async tryOnce(): Promise<void> {
    const started = this.now();
    if (this.holding && !this.held) this.lose('not renewed before its deadline');
    let won: boolean;
    try {
      won = await this.acquireOrRenew(started);
    } catch (e: unknown) {
      // NATS trouble: a holder keeps the lease until its deadline, checked on the next round and by `held`.
      this.o.logger.warn({ err: errorMessage(e), key: this.o.key, holding: this.holding }, 'lease: renewal failed');
      if (this.holding && !this.held) this.lose('not renewed before its deadline (NATS unreachable)');
      return;
    }
    if (this.stopped) return;
    if (won) {
      this.validUntil = started + this.o.ttlMs - this.safetyMs;
      clearTimeout(this.expiry);
      this.expiry = setTimeout(() => {
        if (this.holding && !this.held) this.lose('not renewed before its deadline');
      }, Math.max(0, this.validUntil - this.now()) + 1);
      if (!this.holding) {
        this.holding = true;
        this.o.logger.info({ key: this.o.key, owner: this.o.owner, ttlMs: this.o.ttlMs }, 'lease acquired: this replica is active');
        this.o.onAcquired();
      }
    } else if (this.holding) this.lose('taken over by another replica');
  }

  private async acquireOrRenew(now: number): Promise<boolean> {
    const value = encode(this.o.owner, now + this.o.ttlMs);
    const e = await this.kv.get(this.o.key);
    try {
      if (!e || e.operation !== 'PUT') {
        if (e) await this.kv.update(this.o.key, value, e.revision);
        else await this.kv.create(this.o.key, value);
        return true;
      }
      const cur = parse(e.string());
      if (cur.owner !== this.o.owner && cur.expiresMs > now) return false;
      // Our own entry but we do not hold it (a restart under the same name): take it like any expired one.
      await this.kv.update(this.o.key, value, e.revision);
      return true;
    } catch (err: unknown) {
      if (isLostCas(err)) return false;
      throw err;
    }
  }

  private lose(why: string): void {
    if (!this.holding) return;
    this.holding = false;
    this.validUntil = 0;
    clearTimeout(this.expiry);
    this.o.logger.warn({ key: this.o.key, owner: this.o.owner, why }, 'lease lost: this replica stands by');
    this.o.onLost(why);
  }
}

function encode(owner: string, expiresMs: number): Uint8Array {
  return new TextEncoder().encode(`${owner} ${expiresMs}`);
}

function parse(text: string): { owner: string; expiresMs: number } {
  const [owner = '', until = '0'] = text.split(' ');
  const expiresMs = Number(until);
  // A value this code did not write counts as expired.
  return { owner, expiresMs: Number.isFinite(expiresMs) ? expiresMs : 0 };
}
