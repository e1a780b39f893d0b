import { DiscardPolicy, RetentionPolicy, StorageType, nanos } from 'nats';
import type { JetStreamManager, StreamConfig } from 'nats';
import { STREAMS } from '../events/index.js';
import type { StreamKey } from '../events/index.js';

/** Retention limits of the mesh's streams. */
export interface StreamLimits {
  /** Oldest message kept, in ms (0: no limit). */
  maxAgeMs: number;
  /** Bytes kept per stream; oldest messages go first (-1: no limit). */
  maxBytes: number;
  /** Window in which a repeated `Nats-Msg-Id` is stored once, in ms. */
  duplicateWindowMs: number;
}

/**
 * Creates the streams a service uses, or updates their limits (unless `createOnly`): idempotent,
 * so every service calls it at start. File storage, limits retention, discard old.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  keys: readonly StreamKey[],
  limits: StreamLimits,
  opts: { createOnly?: boolean } = {},
): Promise<void> {
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
