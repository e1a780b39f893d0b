/** RouteStore against a real nats-server: bucket creation, compare-and-set writes, delete, watch. */
import test from 'ava';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { InvalidArgumentError } from '../../shared/errors/index.js';
import { encodeRoute } from '../../shared/events/index.js';
import { RouteConflictError, RouteStore, routeKey } from '../../shared/routes/index.js';
import type { RouteChange } from '../../shared/routes/index.js';
import { NatsServer } from '../helpers/nats-server.js';

let nats: NatsServer;
let nc: NatsConnection;

test.before(async () => {
  nats = await NatsServer.start();
  nc = await connect({ servers: nats.url });
});

test.after.always(async () => {
  await nc?.close();
  await nats?.dispose();
});

const split = (model: string, a: number, b: number) => ({
  model,
  versions: [
    { version: '1', weight: a },
    { version: '2', weight: b },
  ],
  written_by: 'test',
});

test('store - creates the bucket, puts with revision 1, then bumps by one', async (t) => {
  const store = await RouteStore.create(nc, { bucket: 'routes_a' });
  t.truthy(await nc.jetstreamManager().then((m) => m.streams.info('KV_routes_a')));
  t.is(await store.get('m1'), undefined);
  const first = await store.put(split('m1', 90, 10));
  t.is(Number(first.route.revision), 1);
  t.true(Number(first.route.updated_unix_ms) > 0);
  const got = await store.get('m1');
  t.is(got?.kvRevision, first.kvRevision);
  t.deepEqual(got?.route.versions, [
    { version: '1', weight: 90 },
    { version: '2', weight: 10 },
  ]);
  const second = await store.put(split('m1', 50, 50), { expectedKvRevision: first.kvRevision });
  t.is(Number(second.route.revision), 2);
  t.true(second.kvRevision > first.kvRevision);
  // A second store on the same bucket binds to it.
  const again = await RouteStore.create(nc, { bucket: 'routes_a' });
  t.is(Number((await again.get('m1'))?.route.revision), 2);
});

test('store - compare-and-set: a stale revision is refused and nothing is overwritten', async (t) => {
  const store = await RouteStore.create(nc, { bucket: 'routes_b' });
  const a = await store.put(split('m', 90, 10));
  const b = await store.put(split('m', 80, 20), { expectedKvRevision: a.kvRevision });
  const e = await t.throwsAsync(store.put(split('m', 1, 99), { expectedKvRevision: a.kvRevision }), { instanceOf: RouteConflictError });
  t.is(e.currentKvRevision, b.kvRevision);
  t.is(e.code, 10, 'ABORTED');
  await t.throwsAsync(store.put(split('m', 1, 99), { expectedKvRevision: 0 }), { instanceOf: RouteConflictError }, 'create refused when it exists');
  t.is((await store.get('m'))?.route.versions[0]?.weight, 80);
  // Two writers racing from the same read: exactly one wins.
  const results = await Promise.allSettled([store.put(split('m', 70, 30), { expectedKvRevision: b.kvRevision }), store.put(split('m', 60, 40), { expectedKvRevision: b.kvRevision })]);
  t.is(results.filter((r) => r.status === 'fulfilled').length, 1);
  t.true(results.some((r) => r.status === 'rejected' && r.reason instanceof RouteConflictError));
  t.is(Number((await store.get('m'))?.route.revision), 3);
});

test('store - an invalid route is refused before it is written', async (t) => {
  const store = await RouteStore.create(nc, { bucket: 'routes_c' });
  const e = await t.throwsAsync(store.put({ model: 'm', versions: [{ version: '1', weight: 0 }] }), { instanceOf: InvalidArgumentError });
  t.is(e.field, 'versions');
  t.is(await store.get('m'), undefined);
});

test('store - delete, with and without compare-and-set; a later put starts again at revision 1', async (t) => {
  const store = await RouteStore.create(nc, { bucket: 'routes_d' });
  t.false(await store.delete('m'));
  const a = await store.put(split('m', 90, 10));
  await t.throwsAsync(store.delete('m', { expectedKvRevision: a.kvRevision + 100 }), { instanceOf: RouteConflictError });
  t.true(await store.delete('m', { expectedKvRevision: a.kvRevision }));
  t.is(await store.get('m'), undefined);
  const b = await store.put(split('m', 50, 50), { expectedKvRevision: 0 });
  t.is(Number(b.route.revision), 1);
});

test('store - watch yields the current values first, then changes, deletes and invalid values', async (t) => {
  const store = await RouteStore.create(nc, { bucket: 'routes_e' });
  await store.put(split('x', 90, 10));
  await store.put(split('y.z', 50, 50));
  const w = await store.watch();
  const seen: RouteChange[] = [];
  let initialCount = -1;
  void w.initialized.then(() => {
    initialCount = seen.length;
  });
  const done = (async () => {
    for await (const c of w) {
      seen.push(c);
      if (seen.length === 5) break;
    }
  })();
  await w.initialized;
  await store.put(split('x', 10, 90));
  await store.delete('y.z');
  const kv = await nc.jetstream().views.kv('routes_e');
  await kv.put(routeKey('bad'), encodeRoute({ model: 'bad', versions: [] }));
  await done;
  w.stop();
  t.is(initialCount, 2);
  t.deepEqual(
    seen.map((c) => [c.type, c.key]),
    [
      ['put', 'x'],
      ['put', 'y_z'],
      ['put', 'x'],
      ['delete', 'y_z'],
      ['invalid', 'bad'],
    ],
  );
  const third = seen[2];
  t.is(third?.type === 'put' ? Number(third.route.revision) : -1, 2);
  t.is(seen[1]?.type === 'put' ? seen[1].route.model : '', 'y.z', 'the value carries the exact model name');
});

test('store - watch of an empty bucket is initialized at once', async (t) => {
  const store = await RouteStore.create(nc, { bucket: 'routes_f' });
  const w = await store.watch();
  await w.initialized;
  w.stop();
  t.pass();
});
