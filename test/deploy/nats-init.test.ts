/**
 * The Kubernetes Job's NATS provisioning (tools/nats-init.ts) and ensureStreams' `replicas`
 * option, against a real nats-server. One node: a standalone 2.9 server stores the replica
 * count it is sent, which shows what is sent and kept; the 3-node cluster is in nats-cluster.test.ts.
 */
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { ensureStreams } from '../../shared/nats/index.js';
import { InvalidArgumentError } from '../../shared/errors/index.js';
import { DEFAULT_LIMITS, KV_HISTORY, provision } from '../../tools/nats-init.js';
import { NatsServer } from '../helpers/nats-server.js';
import { runNode } from '../helpers/process.js';

interface Ctx {
  nats: NatsServer;
  nc: NatsConnection;
}
const base = anyTest as TestFn<Ctx>;
const test = base.serial;

base.before(async (t) => {
  const nats = await NatsServer.start();
  t.context = { nats, nc: await connect({ servers: nats.url }) };
});
base.after.always(async (t) => {
  await t.context?.nc?.close();
  await t.context?.nats?.dispose();
});

test('nats-init - creates the three streams and three KV buckets with the replicas asked, idempotently', async (t) => {
  const first = await provision(t.context.nc, 1);
  t.deepEqual(
    first.map((r) => `${r.kind}:${r.name}:${r.replicas}`),
    ['stream:MLMESH_PREDICTIONS:1', 'stream:MLMESH_FEEDBACK:1', 'stream:MLMESH_EVENTS:1', 'kv:mlmesh_routes:1', 'kv:mlmesh_rollouts:1', 'kv:mlmesh_retrainer:1'],
  );
  const jsm = await t.context.nc.jetstreamManager();
  for (const [bucket, history] of Object.entries(KV_HISTORY)) {
    t.is((await jsm.streams.info(`KV_${bucket}`)).config.max_msgs_per_subject, history, bucket);
  }
  const predictions = await jsm.streams.info('MLMESH_PREDICTIONS');
  t.is(predictions.config.duplicate_window, DEFAULT_LIMITS.duplicateWindowMs * 1e6);
  t.deepEqual(predictions.config.subjects, ['mlmesh.predictions.>']);
  // Again: nothing changes, nothing fails.
  t.deepEqual(await provision(t.context.nc, 1), first);
});

test('nats-init - scales the streams and buckets up; the services\' own calls at start keep the replicas', async (t) => {
  // A standalone nats-server (2.9) stores num_replicas as asked: enough to see the value sent and kept.
  const scaled = await provision(t.context.nc, 3);
  t.true(scaled.every((r) => r.replicas === 3), JSON.stringify(scaled));
  const jsm = await t.context.nc.jetstreamManager();
  // What inference does at start: limits from its options, no replicas.
  await ensureStreams(jsm, ['predictions', 'feedback', 'events'], { ...DEFAULT_LIMITS, maxBytes: 1 << 20 });
  for (const name of ['MLMESH_PREDICTIONS', 'MLMESH_FEEDBACK', 'MLMESH_EVENTS']) {
    const info = await jsm.streams.info(name);
    t.is(info.config.num_replicas, 3, name);
    t.is(info.config.max_bytes, 1 << 20, name);
  }
  // What RouteStore.create does at start: binds to the existing bucket, replicas untouched.
  await t.context.nc.jetstream().views.kv('mlmesh_routes', { history: 10 });
  t.is((await jsm.streams.info('KV_mlmesh_routes')).config.num_replicas, 3);
  t.deepEqual(await provision(t.context.nc, 1).then((r) => r.map((x) => x.replicas)), [1, 1, 1, 1, 1, 1]);
});

test('ensureStreams - replicas out of range is refused naming the option', async (t) => {
  const jsm = await t.context.nc.jetstreamManager();
  for (const replicas of [0, 6, 1.5]) {
    const e = await t.throwsAsync(ensureStreams(jsm, ['events'], DEFAULT_LIMITS, { replicas }), { instanceOf: InvalidArgumentError });
    t.is(e?.field, 'replicas');
  }
});

test('nats-init - the command line: bad --replicas exits 2, a run against the server exits 0 and prints each object', async (t) => {
  const bad = runNode('tools/nats-init.js', ['--replicas', 'three']);
  t.is(await bad.exited, 2);
  t.regex(bad.stderr.join('\n'), /--replicas: expected an integer from 1 to 5/);
  const ok = runNode('tools/nats-init.js', ['--nats', t.context.nats.url, '--replicas', '1', '--timeout-ms', '5000']);
  t.is(await ok.exited, 0, ok.stderr.join('\n'));
  t.true(ok.stdout.includes('kv mlmesh_retrainer: 1 replica(s)'), ok.stdout.join('\n'));
  t.true(ok.stdout.includes('stream MLMESH_PREDICTIONS: 1 replica(s)'));
});
