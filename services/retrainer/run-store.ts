import { isLostCas } from '../../shared/nats/index.js';
import type { KV, KvEntry, NatsConnection } from 'nats';
import { KV_BUCKETS } from '../../shared/events/index.js';
import type { Run, Run__Output } from '../../shared/generated/mlmesh/retrainer/v1/Run.js';
import { decodeRun, encodeRun } from './codec.js';

/** A run as stored, with the KV revision to compare-and-set against. */
export interface StoredRun {
  readonly run: Run__Output;
  readonly kvRevision: number;
}

/** Thrown when a compare-and-set write lost: someone wrote the run since it was read. */
export class RunConflictError extends Error {
  constructor(runId: string, expected: number, options?: ErrorOptions) {
    super(`run ${runId} changed since revision ${expected}`, options);
    this.name = 'RunConflictError';
  }
}


/** The KV key of a run. */
export const runKey = (id: string): string => `run.${id}`;

/**
 * The durable runs: KV bucket mlmesh_retrainer, key `run.<id>`, value a protobuf Run. Every write
 * is compare-and-set on the KV revision.
 */
export class RunStore {
  private constructor(private readonly kv: KV) {}

  /** Binds to the bucket, creating it (file storage, `history` values per key) when missing. */
  static async create(nc: NatsConnection, opts: { history?: number } = {}): Promise<RunStore> {
    return new RunStore(await nc.jetstream().views.kv(KV_BUCKETS.retrainer, { history: opts.history ?? 5 }));
  }

  /** One run, or undefined. */
  async get(id: string): Promise<StoredRun | undefined> {
    const e = await this.kv.get(runKey(id));
    return e ? toStored(e) : undefined;
  }

  /** Every run. */
  async list(): Promise<StoredRun[]> {
    const out: StoredRun[] = [];
    for await (const k of await this.kv.keys('run.>')) {
      const e = await this.kv.get(k);
      const s = e ? toStored(e) : undefined;
      if (s) out.push(s);
    }
    return out;
  }

  /**
   * Writes the run if its entry is still at `expectedKvRevision` (0: there must be none).
   * Returns the stored run.
   * @throws RunConflictError when it is not.
   */
  async put(r: Run, expectedKvRevision: number): Promise<StoredRun> {
    const key = runKey(r.id ?? '');
    const bytes = encodeRun(r);
    try {
      const rev = expectedKvRevision === 0 ? await this.kv.create(key, bytes) : await this.kv.update(key, bytes, expectedKvRevision);
      return { run: decodeRun(bytes), kvRevision: rev };
    } catch (e: unknown) {
      if (isLostCas(e)) throw new RunConflictError(r.id ?? '', expectedKvRevision, { cause: e });
      throw e;
    }
  }
}

function toStored(e: KvEntry): StoredRun | undefined {
  if (e.operation !== 'PUT') return undefined;
  return { run: decodeRun(e.value), kvRevision: e.revision };
}
