import { DiscardPolicy, RetentionPolicy, StorageType, nanos } from 'nats';
import type { JetStreamManager, StreamConfig } from 'nats';
import { STREAMS } from '../events/index.js';
import type { StreamKey } from '../events/index.js';
import { InvalidArgumentError } from '../errors/index.js';

/** Retention limits of the mesh's streams. */
export interface StreamLimits {
  /** Oldest message kept, in ms (0: no limit). */
  maxAgeMs: number;
  /** Bytes kept per stream; oldest messages go first (-1: no limit). */
  maxBytes: number;
  /** Window in which a repeated `Nats-Msg-Id` is stored once, in ms. */
  duplicateWindowMs: number;
}

/** Options of {@link ensureStreams}. */
export interface EnsureStreamsOptions {
  /** Leave a stream that exists as it is (a consumer-side service must not reset the producer's limits). @default false */
  createOnly?: boolean;
  /**
   * Copies of each stream in a JetStream cluster (`num_replicas`), set on create and on update.
   * Unset: a new stream gets the server's default (1) and an update keeps the replicas the
   * stream has, so a service's own call at start never scales down a stream that an operator
   * (`node dist/tools/nats-init.js --replicas 3`) replicated. @default unset
   */
  replicas?: number;
}

/**
 * Creates the streams a service uses, or updates their limits (unless `createOnly`): idempotent,
 * so every service calls it at start. File storage, limits retention, discard old.
 * @throws InvalidArgumentError when `replicas` is not an integer from 1 to 5 (JetStream's range);
 * the server's error when it refuses the config (e.g. more replicas than servers).
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  keys: readonly StreamKey[],
  limits: StreamLimits,
  opts: EnsureStreamsOptions = {},
): Promise<void> {
  if (opts.replicas !== undefined && (!Number.isInteger(opts.replicas) || opts.replicas < 1 || opts.replicas > 5)) {
    throw new InvalidArgumentError(`replicas: expected an integer from 1 to 5, got ${String(opts.replicas)}`, { field: 'replicas' });
  }
  for (const key of keys) {
    const s = STREAMS[key];
    const cfg: Partial<StreamConfig> = {
      name: s.name,
      subjects: [...s.subjects],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: limits.maxAgeMs > 0 ? nanos(limits.maxAgeMs) : 0,
      max_bytes: limits.maxBytes,
      duplicate_window: nanos(limits.duplicateWindowMs),
      // Unset on update: nats.js merges this config into the stream's own, so its replicas stay.
      ...(opts.replicas !== undefined ? { num_replicas: opts.replicas } : {}),
    };
    const exists = await jsm.streams.info(s.name).then(
      () => true,
      () => false,
    );
    // createOnly: a consumer-side service (the monitor) must not reset limits the producer set.
    if (exists && opts.createOnly) continue;
    if (exists) await jsm.streams.update(s.name, cfg);
    else await jsm.streams.add(cfg);
  }
}
