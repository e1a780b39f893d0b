import { isLostCas } from '../../shared/nats/index.js';
import type { KV, KvEntry, NatsConnection } from 'nats';
import { subjectToken } from '../../shared/events/index.js';
import type { Rollout, Rollout__Output } from '../../shared/generated/mlmesh/rollout/v1/Rollout.js';
import { decodeRollout, encodeRollout } from './codec.js';
import { StateConflictError } from './errors.js';

/** The KV bucket of the rollout state. */
export const ROLLOUT_BUCKET = 'mlmesh_rollouts';
/** The key of the acting controller's lease (a model key is a subject token: it has no '.'). */
export const LEASE_KEY = 'lease.controller';

/** A rollout as stored, with the KV revision to compare-and-set against. */
export interface StoredRollout {
  readonly rollout: Rollout__Output;
  readonly kvRevision: number;
}


/**
 * The durable rollout state: KV bucket mlmesh_rollouts, key = the model (as a subject token),
 * value = a protobuf Rollout. Every write is compare-and-set on the KV revision, so two writers
 * never overwrite each other unseen. Also holds the controllers' lease (key `lease.controller`,
 * value `<owner> <expiry epoch ms>`).
 */
export class StateStore {
  private constructor(private readonly kv: KV) {}

  /** Binds to the bucket, creating it (file storage, `history` values per key) when missing. */
  static async create(nc: NatsConnection, opts: { history?: number; bucket?: string } = {}): Promise<StateStore> {
    return new StateStore(await nc.jetstream().views.kv(opts.bucket ?? ROLLOUT_BUCKET, { history: opts.history ?? 5 }));
  }

  /** The model's rollout (current or last), or undefined. */
  async get(model: string): Promise<StoredRollout | undefined> {
    const e = await this.kv.get(subjectToken(model));
    return e ? toStored(e) : undefined;
  }

  /** Every model's rollout. */
  async list(): Promise<StoredRollout[]> {
    const out: StoredRollout[] = [];
    const keys = await this.kv.keys();
    for await (const k of keys) {
      if (k === LEASE_KEY) continue;
      const e = await this.kv.get(k);
      const s = e ? toStored(e) : undefined;
      if (s) out.push(s);
    }
    return out;
  }

  /**
   * Writes the model's state if its entry is still at `expectedKvRevision` (0: there must be
   * none). Returns the new KV revision.
   * @throws StateConflictError when it is not.
   */
  async put(r: Rollout, expectedKvRevision: number): Promise<number> {
    const model = r.model ?? '';
    const key = subjectToken(model);
    const bytes = encodeRollout(r);
    try {
      return expectedKvRevision === 0 ? await this.kv.create(key, bytes) : await this.kv.update(key, bytes, expectedKvRevision);
    } catch (e: unknown) {
      if (isLostCas(e)) throw new StateConflictError(model, expectedKvRevision, { cause: e });
      throw e;
    }
  }

  /**
   * Takes or renews the lease for `owner` until now + ttlMs when it is free, expired or already
   * its own. Returns whether `owner` holds it now. Compare-and-set, so two replicas never both
   * hold it (expiry compares clocks: replicas' clocks must agree to well within ttlMs).
   */
  async lease(owner: string, ttlMs: number, now = Date.now()): Promise<boolean> {
    const e = await this.kv.get(LEASE_KEY);
    const value = new TextEncoder().encode(`${owner} ${now + ttlMs}`);
    try {
      if (!e || e.operation !== 'PUT') {
        await this.kv.create(LEASE_KEY, value);
        return true;
      }
      const [holder, until] = e.string().split(' ');
      if (holder !== owner && Number(until) > now) return false;
      await this.kv.update(LEASE_KEY, value, e.revision);
      return true;
    } catch (err: unknown) {
      if (isLostCas(err)) return false;
      throw err;
    }
  }

  /** Gives the lease up when `owner` holds it (a draining controller lets another act at once). */
  async release(owner: string): Promise<void> {
    const e = await this.kv.get(LEASE_KEY);
    if (!e || e.operation !== 'PUT' || e.string().split(' ')[0] !== owner) return;
    await this.kv.update(LEASE_KEY, new TextEncoder().encode(`${owner} 0`), e.revision).catch(() => undefined);
  }
}

function toStored(e: KvEntry): StoredRollout | undefined {
  if (e.operation !== 'PUT') return undefined;
  return { rollout: decodeRollout(e.value), kvRevision: e.revision };
}
