/** `mlmesh routes get|set|delete` against a real nats-server. */
import test from 'ava';
import { connect } from 'nats';
import type { NatsConnection } from 'nats';
import { RouteStore } from '../../shared/routes/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { runCli } from '../helpers/process.js';

let server: NatsServer;
let nc: NatsConnection;
let store: RouteStore;

test.before(async () => {
  server = await NatsServer.start();
  nc = await connect({ servers: server.url });
  store = await RouteStore.create(nc);
});

test.after.always(async () => {
  await nc?.close();
  await server?.dispose();
});

const cli = runCli;

const json = (line: string | undefined) => JSON.parse(line ?? 'null') as Record<string, unknown>;

test('cli - routes set writes a route (order kept, shadows, sticky) that routes get prints, text and JSON', async (t) => {
  const set = await cli(['routes', 'set', 'cli.a', '2=10', '1=90', '--shadow', '3=5', '--sticky', 'parameter:customer_id', '--nats', server.url, '--json']);
  t.is(set.code, 0, set.stderr);
  t.like(json(set.stdout[0]), { model: 'cli.a', revision: 1, previous_revision: 0, sticky: 'parameter', sticky_parameter: 'customer_id' });
  t.regex(set.stderr, /created \(revision 1\)/);
  const stored = await store.get('cli.a');
  t.deepEqual(
    stored?.route.versions.map((v) => [v.version, v.weight]),
    [
      ['2', 10],
      ['1', 90],
    ],
  );
  t.deepEqual(stored?.route.shadows.map((s) => [s.version, s.percent]), [['3', 5]]);
  t.regex(stored?.route.written_by ?? '', /^cli: mlmesh routes set by /);
  const get = await cli(['routes', 'get', 'cli.a', '--json'], { NATS_URL: server.url });
  t.is(get.code, 0, get.stderr);
  const g = json(get.stdout[0]);
  t.deepEqual(g['versions'], [
    { version: '2', weight: 10, share: 0.1 },
    { version: '1', weight: 90, share: 0.9 },
  ]);
  t.deepEqual(g['shadows'], [{ version: '3', percent: 5 }]);
  t.is(g['revision'], 1);
  const text = await cli(['routes', 'get', 'cli.a', '--nats', server.url]);
  t.is(text.code, 0, text.stderr);
  const out = text.stdout.join('\n');
  t.regex(out, /model cli\.a {2}revision 1 {2}written_by "cli: mlmesh routes set by /);
  t.regex(out, /\n {2}2 +10 {2}10%\n {2}1 +90 {2}90%/);
  t.regex(out, /shadows: 3 5%/);
  t.regex(out, /sticky: parameter:customer_id/);
  // A second set bumps the revision and replaces the whole route.
  const again = await cli(['routes', 'set', 'cli.a', '1=1', '--nats', server.url, '--json']);
  t.like(json(again.stdout[0]), { revision: 2, previous_revision: 1, sticky: 'none', shadows: [] });
});

test('cli - routes set says so when someone else changed the route meanwhile, and writes nothing', async (t) => {
  await store.put({ model: 'cli.b', versions: [{ version: '1', weight: 1 }], written_by: 'rollout r-1' });
  const first = await cli(['routes', 'set', 'cli.b', '1=50', '2=50', '--expect-revision', '1', '--nats', server.url]);
  t.is(first.code, 0, first.stderr);
  // Someone else writes revision 3 after our read of revision 2.
  await store.put({ model: 'cli.b', versions: [{ version: '2', weight: 1 }], written_by: 'rollout r-1' });
  const stale = await cli(['routes', 'set', 'cli.b', '1=100', '--expect-revision', '2', '--nats', server.url]);
  t.is(stale.code, 1);
  t.regex(stale.stderr, /changed by someone else meanwhile \(expected revision 2, found 3\): nothing written/);
  const now = await store.get('cli.b');
  t.is(Number(now?.route.revision), 3);
  t.is(now?.route.written_by, 'rollout r-1');
});

test('cli - routes delete, get of a model without a route, and bad command lines', async (t) => {
  await store.put({ model: 'cli.c', versions: [{ version: '1', weight: 1 }] });
  const del = await cli(['routes', 'delete', 'cli.c', '--nats', server.url, '--json']);
  t.is(del.code, 0, del.stderr);
  t.deepEqual(json(del.stdout[0]), { model: 'cli.c', deleted: true, revision: 1 });
  t.is(await store.get('cli.c'), undefined);
  const none = await cli(['routes', 'get', 'cli.c', '--nats', server.url]);
  t.is(none.code, 1);
  t.regex(none.stderr, /model 'cli\.c' has no route/);
  const again = await cli(['routes', 'delete', 'cli.c', '--nats', server.url]);
  t.is(again.code, 0);
  t.regex(again.stdout.join('\n'), /had no route/);
  const badPair = await cli(['routes', 'set', 'cli.c', '1=ten', '--nats', server.url]);
  t.is(badPair.code, 2);
  t.regex(badPair.stderr, /'1=ten' is not VERSION=WEIGHT/);
  const badSticky = await cli(['routes', 'set', 'cli.c', '1=1', '--sticky', 'cookie', '--nats', server.url]);
  t.is(badSticky.code, 2);
  t.regex(badSticky.stderr, /--sticky/);
  const badShadow = await cli(['routes', 'set', 'cli.c', '1=1', '--shadow', '1=5', '--nats', server.url]);
  t.is(badShadow.code, 1);
  t.regex(badShadow.stderr, /shadows\[0\]\.version: version '1' serves routed traffic/);
  const zero = await cli(['routes', 'set', 'cli.c', '1=0', '--nats', server.url]);
  t.is(zero.code, 1);
  t.regex(zero.stderr, /versions: the weights sum to 0/);
  const down = await cli(['routes', 'get', 'cli.c', '--nats', 'nats://127.0.0.1:1']);
  t.is(down.code, 1);
  t.regex(down.stderr, /cannot reach NATS at nats:\/\/127\.0\.0\.1:1/);
});
