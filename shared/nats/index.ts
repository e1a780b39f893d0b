/**
 * NATS platform: background connection, stream provisioning, and the durable publisher (queue,
 * JetStream acks, on-disk spool with replay) every service uses to emit events.
 */
export { connectInBackground } from './connection.js';
export type { BackgroundConnection } from './connection.js';
export { ensureStreams } from './streams.js';
export type { EnsureStreamsOptions, StreamLimits } from './streams.js';
export { DurablePublisher } from './publisher.js';
export type { DurablePublisherOptions, PublisherState } from './publisher.js';
export { Spool } from './spool.js';
export type { SpoolOptions, SpoolRecord, FsyncPolicy } from './spool.js';
