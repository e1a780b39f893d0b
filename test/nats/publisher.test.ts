import { mkdtemp, rm, stat, truncate, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { Registry } from 'prom-client';
import { createLogger } from '../../shared/logging/index.js';
import { AsyncJetStreamPublisher, DurablePublisher, Spool, ensureStreams } from '../../shared/nats/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { waitFor } from '../helpers/inference.js';

interface Ctx {
  nats: NatsServer;
  nc: NatsConnection;
  dirs: string[];
}
const base = anyTest as TestFn<Ctx>;
const test = base.serial;
const logger = createLogger({ service: 'publisher-test', level: process.env['LOG_LEVEL'] ?? 'error' });
const STREAM = 'MLMESH_EVENTS';
const LIMITS = { maxAgeMs: 0, maxBytes: -1, duplicateWindowMs: 3_600_000 };

base.before(async (t) => {
  const nats = await NatsServer.start();
  const nc = await connect({ servers: nats.url });
  await ensureStreams(await nc.jetstreamManager(), ['events'], LIMITS);
  t.context = { nats, nc, dirs: [] };
});
base.after.always(async (t) => {
  await t.context?.nc?.close();
  await t.context?.nats?.dispose();
  for (const d of t.context?.dirs ?? []) await rm(d, { recursive: true, force: true });
});

async function tempDir(t: { context: Ctx }): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'mlmesh-spool-'));
  t.context.dirs.push(d);
  return d;
}

const rec = (i: number, subject = 'mlmesh.events.model.test') => ({ subject, msgId: `${subject}-${i}`, data: new TextEncoder().encode(`record ${i}`) });

async function count(nc: NatsConnection, subject: string): Promise<number> {
  const info = await (await nc.jetstreamManager()).streams.info(STREAM, { subjects_filter: subject });
  return (info.state.subjects)?.[subject] ?? 0;
}

/** The client the inference service gives its publisher (the first test uses nats.js's own JetStreamClient). */
const asyncJs = (nc: NatsConnection): AsyncJetStreamPublisher => new AsyncJetStreamPublisher(nc);

const metric = async (registry: Registry, name: string): Promise<number> => (await registry.getSingleMetric(`mlmesh_publisher_${name}`)?.get())?.values[0]?.value ?? 0;

test('publisher - records reach the stream, acknowledged, with their message ids', async (t) => {
  const registry = new Registry();
  const pub = DurablePublisher.create({ name: 'p', spoolDir: await tempDir(t), logger, registry });
  pub.setJetStream(t.context.nc.jetstream());
  for (let i = 0; i < 50; i++) pub.publish(rec(i, 'mlmesh.events.model.a'));
  await waitFor(async () => (await count(t.context.nc, 'mlmesh.events.model.a')) === 50, 10_000, '50 stored');
  await waitFor(async () => (await metric(registry, 'acked_total')) === 50, 5000, '50 acked');
  t.is(await metric(registry, 'spooled_total'), 0);
  t.is(pub.state, 'direct');
  const jsm = await t.context.nc.jetstreamManager();
  const last = await jsm.streams.getMessage(STREAM, { last_by_subj: 'mlmesh.events.model.a' });
  t.is(last.header?.get('Nats-Msg-Id'), 'mlmesh.events.model.a-49');
  await pub.drain();
});

test('publisher - a replay of already-acknowledged records does not store them twice', async (t) => {
  const subject = 'mlmesh.events.model.dup';
  const registry = new Registry();
  const first = DurablePublisher.create({ name: 'p', spoolDir: await tempDir(t), logger, registry });
  first.setJetStream(asyncJs(t.context.nc));
  for (let i = 0; i < 30; i++) first.publish(rec(i, subject));
  await waitFor(async () => (await count(t.context.nc, subject)) === 30, 10_000, '30 stored');
  await first.drain();
  // The same records, as a crash before the checkpoint would leave them, replayed from a spool.
  const dir = await tempDir(t);
  const spool = Spool.open({ dir, maxBytes: 1 << 20, fsync: 'never', fsyncIntervalMs: 100, logger });
  for (let i = 0; i < 30; i++) spool.append(rec(i, subject));
  await spool.close();
  const reg2 = new Registry();
  const second = DurablePublisher.create({ name: 'p', spoolDir: dir, logger, registry: reg2 });
  t.is(second.state, 'spooling');
  second.setJetStream(asyncJs(t.context.nc));
  await waitFor(() => second.state === 'direct', 10_000, 'replay done');
  t.is(await count(t.context.nc, subject), 30, 'still 30: JetStream dropped the duplicates');
  t.is(await metric(reg2, 'duplicates_total'), 30);
  t.is(await metric(reg2, 'replayed_total'), 30);
  await second.drain();
});

test('publisher - a truncated last record in the spool is skipped with a warning; the rest is replayed', async (t) => {
  const subject = 'mlmesh.events.model.torn';
  const dir = await tempDir(t);
  const spool = Spool.open({ dir, maxBytes: 1 << 20, fsync: 'never', fsyncIntervalMs: 100, logger });
  for (let i = 0; i < 10; i++) spool.append(rec(100 + i, subject));
  await spool.close();
  const file = join(dir, 'spool.log');
  await truncate(file, (await stat(file)).size - 3);
  const registry = new Registry();
  const pub = DurablePublisher.create({ name: 'p', spoolDir: dir, logger, registry });
  t.is(await metric(registry, 'spool_corrupt_total'), 1);
  pub.setJetStream(asyncJs(t.context.nc));
  await waitFor(() => pub.state === 'direct', 10_000, 'replay done');
  t.is(await count(t.context.nc, subject), 9);
  const last = await (await t.context.nc.jetstreamManager()).streams.getMessage(STREAM, { last_by_subj: subject });
  t.is(last.header?.get('Nats-Msg-Id'), `${subject}-108`, 'the torn record (…-109) was not replayed as garbage');
  await pub.drain();
});

test('publisher - a record with a bad checksum is skipped, the records after it are replayed', async (t) => {
  const subject = 'mlmesh.events.model.crc';
  const dir = await tempDir(t);
  const spool = Spool.open({ dir, maxBytes: 1 << 20, fsync: 'never', fsyncIntervalMs: 100, logger });
  for (let i = 0; i < 3; i++) spool.append(rec(200 + i, subject));
  await spool.close();
  const file = join(dir, 'spool.log');
  const bytes = await readFile(file);
  const recordLen = bytes.length / 3;
  bytes[recordLen + 20] = (bytes[recordLen + 20] as number) ^ 0xff; // inside the second record's payload
  await writeFile(file, bytes);
  const registry = new Registry();
  const pub = DurablePublisher.create({ name: 'p', spoolDir: dir, logger, registry });
  pub.setJetStream(asyncJs(t.context.nc));
  await waitFor(() => pub.state === 'direct', 10_000, 'replay done');
  t.is(await count(t.context.nc, subject), 2);
  t.is(await metric(registry, 'spool_corrupt_total'), 1);
  await pub.drain();
});

test('publisher - without NATS, records go to the spool; drain syncs it; the next start replays them', async (t) => {
  const subject = 'mlmesh.events.model.later';
  const dir = await tempDir(t);
  const registry = new Registry();
  const pub = DurablePublisher.create({ name: 'p', spoolDir: dir, logger, registry });
  for (let i = 0; i < 25; i++) pub.publish(rec(300 + i, subject));
  await waitFor(async () => (await metric(registry, 'spooled_total')) === 25, 10_000, '25 written to the spool');
  t.true(await metric(registry, 'spool_bytes') > 0);
  await pub.drain();
  pub.publish(rec(999, subject));
  t.is(await metric(registry, 'dropped_total'), 1, 'a record after drain is dropped and counted');
  const next = DurablePublisher.create({ name: 'p', spoolDir: dir, logger, registry: new Registry() });
  next.setJetStream(asyncJs(t.context.nc));
  await waitFor(async () => (await count(t.context.nc, subject)) === 25, 10_000, '25 replayed');
  await waitFor(() => next.state === 'direct', 5000, 'direct again');
  t.is((await stat(join(dir, 'spool.log'))).size, 0, 'the replayed spool is reset');
  await next.drain();
});

test('publisher - past the spool cap, new records are dropped and counted', async (t) => {
  const registry = new Registry();
  const pub = DurablePublisher.create({ name: 'p', spoolDir: await tempDir(t), spoolMaxBytes: 1024, logger, registry });
  for (let i = 0; i < 100; i++) pub.publish(rec(i));
  await pub.drain();
  const spooled = await metric(registry, 'spooled_total');
  const dropped = await metric(registry, 'dropped_total');
  t.true(spooled > 0 && spooled < 100);
  t.is(spooled + dropped, 100);
  t.true((await metric(registry, 'spool_bytes')) <= 1024);
});

test('publisher - bad options are refused naming the option', (t) => {
  t.throws(() => DurablePublisher.create({ name: 'p', spoolDir: '/tmp/x', queueMax: 0, logger, registry: new Registry() }), { message: /queueMax must be a positive integer/ });
});

test('publisher - a record NATS refuses for good (over max_payload) is skipped and counted; the records after it go through', async (t) => {
  const subject = 'mlmesh.events.model.huge';
  const dir = await tempDir(t);
  const spool = Spool.open({ dir, maxBytes: 64 << 20, fsync: 'never', fsyncIntervalMs: 100, logger });
  spool.append(rec(1, subject));
  spool.append({ subject, msgId: `${subject}-huge`, data: new Uint8Array(2 * 1024 * 1024) });
  for (let i = 2; i < 6; i++) spool.append(rec(i, subject));
  await spool.close();
  const registry = new Registry();
  const pub = DurablePublisher.create({ name: 'p', spoolDir: dir, logger, registry });
  pub.setJetStream(asyncJs(t.context.nc));
  await waitFor(() => pub.state === 'direct', 10_000, 'replay done');
  t.is(await count(t.context.nc, subject), 5);
  t.is(await metric(registry, 'rejected_total'), 1);
  // Direct publishes of an oversized record are refused the same way, without spooling.
  pub.publish({ subject, msgId: `${subject}-huge2`, data: new Uint8Array(2 * 1024 * 1024) });
  pub.publish(rec(6, subject));
  await waitFor(async () => (await count(t.context.nc, subject)) === 6, 10_000, 'the next record');
  t.is(await metric(registry, 'rejected_total'), 2);
  t.is(pub.state, 'direct');
  await pub.drain();
});

test('publisher - a zero-filled tail (power loss after the size was saved) is cut off at open, not replayed or crashed on', async (t) => {
  const subject = 'mlmesh.events.model.zeros';
  const dir = await tempDir(t);
  const spool = Spool.open({ dir, maxBytes: 1 << 20, fsync: 'never', fsyncIntervalMs: 100, logger });
  for (let i = 0; i < 4; i++) spool.append(rec(i, subject));
  await spool.close();
  const file = join(dir, 'spool.log');
  await writeFile(file, Buffer.concat([await readFile(file), Buffer.alloc(4096)]));
  const registry = new Registry();
  const pub = DurablePublisher.create({ name: 'p', spoolDir: dir, logger, registry });
  t.is(await metric(registry, 'spool_corrupt_total'), 1);
  pub.setJetStream(asyncJs(t.context.nc));
  await waitFor(() => pub.state === 'direct', 10_000, 'replay done');
  t.is(await count(t.context.nc, subject), 4);
  await pub.drain();
});

test('publisher - a disconnect sends new records to the spool at once; the reconnect replays them', async (t) => {
  const subject = 'mlmesh.events.model.status';
  const registry = new Registry();
  const pub = DurablePublisher.create({ name: 'p', spoolDir: await tempDir(t), logger, registry });
  pub.setJetStream(asyncJs(t.context.nc));
  pub.setConnected(false);
  for (let i = 0; i < 10; i++) pub.publish(rec(i, subject));
  t.is(pub.state, 'spooling');
  t.is(pub.pendingInMemory, 0, 'nothing waits in the publish queue while disconnected');
  await waitFor(async () => (await metric(registry, 'spooled_total')) === 10, 10_000, '10 written to the spool');
  pub.setConnected(true);
  await waitFor(() => pub.state === 'direct', 10_000, 'replayed');
  t.is(await count(t.context.nc, subject), 10);
  await pub.drain();
});

test('spool - append returns before any byte reaches the file; the write runs in the background and flush() waits for it', async (t) => {
  const dir = await tempDir(t);
  const written: number[] = [];
  const spool = Spool.open({ dir, maxBytes: 1 << 20, fsync: 'always', fsyncIntervalMs: 100, logger, onWritten: (n) => written.push(n) });
  const file = join(dir, 'spool.log');
  t.is(spool.append(rec(1)), 'queued');
  t.is((await stat(file)).size, 0, 'nothing written on the caller\'s turn');
  t.true(spool.pending && spool.writing);
  await spool.flush();
  t.true((await stat(file)).size > 0);
  t.false(spool.writing);
  t.deepEqual(written, [1]);
  const { records } = await spool.peek(10);
  t.deepEqual(records.map((r) => r.msgId), [rec(1).msgId]);
  await spool.close();
  t.throws(() => spool.append(rec(2)), { message: /spool is closed/ });
});

test('spool - records appended while a write and its fsync run go together in the next write (one fsync for them all)', async (t) => {
  const written: number[] = [];
  const spool = Spool.open({ dir: await tempDir(t), maxBytes: 1 << 20, fsync: 'always', fsyncIntervalMs: 100, logger, onWritten: (n) => written.push(n) });
  spool.append(rec(0));
  // The first write starts on the next microtask; it cannot finish before this turn ends.
  await Promise.resolve();
  for (let i = 1; i < 100; i++) spool.append(rec(i));
  await spool.flush();
  t.deepEqual(written, [1, 99]);
  const { records, ends, end } = await spool.peek(1000);
  t.deepEqual(records.map((r) => r.msgId), Array.from({ length: 100 }, (_, i) => rec(i).msgId), 'in order');
  t.is(ends.length, 100);
  t.is(ends.at(-1), end);
  await spool.commit(ends[49] as number);
  t.deepEqual((await spool.peek(1000)).records.map((r) => r.msgId)[0], rec(50).msgId, 'a commit moves the replay position');
  await spool.commit(end);
  t.false(spool.pending);
  t.is(spool.bytes, 0, 'fully replayed: the file is reset');
  await spool.close();
});

test('publisher - durability spool: publishDurably resolves once the record is in the spool file, with or without NATS; the spool is published and runs empty, never bypassed', async (t) => {
  const subject = 'mlmesh.events.model.durable';
  const dir = await tempDir(t);
  const registry = new Registry();
  // fsync 'never' as the policy: publishDurably fsyncs its writes whatever the policy says.
  const pub = DurablePublisher.create({ name: 'p', spoolDir: dir, fsync: 'never', durability: 'spool', logger, registry });
  t.is(pub.durability, 'spool');
  t.is(pub.state, 'spooling');
  // No NATS yet: durable all the same.
  await Promise.all(Array.from({ length: 20 }, (_, i) => pub.publishDurably(rec(i, subject))));
  t.is(await metric(registry, 'spooled_total'), 20, 'every resolved record is in the file');
  t.true((await stat(join(dir, 'spool.log'))).size > 20 * 10, 'the records are in spool.log');
  pub.setJetStream(asyncJs(t.context.nc));
  await waitFor(async () => (await count(t.context.nc, subject)) === 20, 10_000, '20 published from the spool');
  // With NATS up: still through the spool, and published without delay.
  for (let i = 20; i < 60; i++) await pub.publishDurably(rec(i, subject));
  pub.publish(rec(60, subject)); // a record without a waiter (e.g. a shadow's log) takes the same way
  await waitFor(async () => (await count(t.context.nc, subject)) === 61, 10_000, '61 stored');
  t.is(pub.state, 'spooling', 'never publishes directly');
  t.is(await metric(registry, 'spooled_total'), 61);
  await waitFor(async () => (await stat(join(dir, 'spool.log'))).size === 0, 10_000, 'the published spool is reset');
  t.is(await metric(registry, 'duplicates_total'), 0);
  await pub.drain();
  await t.throwsAsync(pub.publishDurably(rec(99, subject)), { name: 'SpoolWriteError', message: /closed/ });
  t.is(await metric(registry, 'durable_refused_total'), 1);
});

test('publisher - durability spool: a full spool refuses publishDurably (RESOURCE_EXHAUSTED, counted); memory durability has no publishDurably', async (t) => {
  const registry = new Registry();
  const pub = DurablePublisher.create({ name: 'p', spoolDir: await tempDir(t), spoolMaxBytes: 1024, durability: 'spool', logger, registry });
  const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => pub.publishDurably(rec(i))));
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  t.true(refused.length > 0 && refused.length < 100, `${refused.length} of 100 refused`);
  for (const r of refused) t.like(r.reason, { name: 'SpoolFullError', reason: 'full', code: 8 });
  t.is(await metric(registry, 'durable_refused_total'), refused.length);
  t.is(await metric(registry, 'spooled_total'), 100 - refused.length, 'the others are in the spool');
  await pub.drain();
  const mem = DurablePublisher.create({ name: 'p', spoolDir: await tempDir(t), logger, registry: new Registry() });
  t.throws(() => mem.publishDurably(rec(1)), { message: /durability 'spool'/ });
  await mem.drain();
  t.throws(() => DurablePublisher.create({ name: 'p', spoolDir: '/tmp/x', durability: 'disk' as 'spool', logger, registry: new Registry() }), { message: /durability must be one of memory, spool/ });
});

test('spool - appendSynced: records appended during a write and its fsync share the next one; each promise resolves after its own write', async (t) => {
  const written: number[] = [];
  const spool = Spool.open({ dir: await tempDir(t), maxBytes: 1 << 20, fsync: 'never', fsyncIntervalMs: 100, logger, onWritten: (n) => written.push(n) });
  const order: string[] = [];
  const first = spool.appendSynced(rec(0)).then(() => order.push(`0 after ${written.length} writes`));
  await Promise.resolve();
  const rest = Array.from({ length: 49 }, (_, i) => spool.appendSynced(rec(i + 1)).then(() => order.push(`${i + 1} after ${written.length} writes`)));
  await Promise.all([first, ...rest]);
  t.deepEqual(written, [1, 49], 'two writes (two fsyncs) for 50 records');
  t.is(order[0], '0 after 1 writes');
  t.true(order.slice(1).every((o) => o.endsWith('after 2 writes')));
  await spool.close();
  await t.throwsAsync(spool.appendSynced(rec(60)), { name: 'SpoolWriteError' });
});

test('publisher - durability spool: under steady traffic the spool file is reset once it passes spoolResetBytes (writes held briefly), and every record is stored once', async (t) => {
  const subject = 'mlmesh.events.model.reset';
  const dir = await tempDir(t);
  const registry = new Registry();
  const pub = DurablePublisher.create({ name: 'p', spoolDir: dir, durability: 'spool', spoolResetBytes: 8192, logger, registry });
  pub.setJetStream(asyncJs(t.context.nc));
  const N = 2000;
  let next = 0;
  let maxSize = 0;
  let bytes = 0;
  // 8 callers, each waiting for its record's fsync before sending the next: steady traffic, never idle for long.
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < N) {
        const r = rec(next++, subject);
        bytes += r.data.byteLength + r.subject.length + r.msgId.length + 12;
        await pub.publishDurably(r);
        maxSize = Math.max(maxSize, (await stat(join(dir, 'spool.log'))).size);
      }
    }),
  );
  await waitFor(async () => (await count(t.context.nc, subject)) === N, 20_000, `${N} stored`);
  t.log(`${bytes} bytes spooled in all; the file never held more than ${maxSize}`);
  t.true(maxSize < bytes / 2, 'the file was reset while the traffic went on');
  t.is(await metric(registry, 'duplicates_total'), 0);
  await pub.drain();
});
