/**
 * NATS platform: credentials and TLS of a connection, background connection, stream provisioning, leader election on a KV lease, and the durable publisher (queue,
 * JetStream acks, on-disk spool with replay) every service uses to emit events.
 */
export { connectInBackground, isNatsAuthError } from './connection.js';
export { checkNatsClientOptions, describeNatsAuth, hasNatsClientOptions, NATS_CLIENT_OPTION_NAMES, natsClientOptions, natsConnectOptions, natsInboxPrefix } from './auth.js';
export type { NatsAuthMethod, NatsClientConfig, NatsClientOptionSpecs } from './auth.js';
export type { BackgroundConnection } from './connection.js';
export { ensureStreams } from './streams.js';
export { isLostCas, WRONG_LAST_SEQUENCE } from './kv.js';
export type { EnsureStreamsOptions, StreamLimits } from './streams.js';
export { AsyncJetStreamPublisher, JetStreamPublishError } from './async-publish.js';
export type { AckedPublisher } from './async-publish.js';
export { DurablePublisher, PUBLISH_DURABILITIES } from './publisher.js';
export type { DurablePublisherOptions, PublishDurability, PublisherState } from './publisher.js';
export { SpoolFullError, SpoolWriteError, LeaseLostError } from './errors.js';
export { Lease } from './lease.js';
export type { LeaseOptions } from './lease.js';
export { Spool } from './spool.js';
export type { SpoolOptions, SpoolRecord, FsyncPolicy } from './spool.js';
