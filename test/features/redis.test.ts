import { randomUUID } from 'node:crypto';
import test from 'ava';
import { FeaturesService, LATEST, RedisStore } from '../../services/features/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { TEST_REDIS_URL } from '../helpers/features.js';
import { featureSuite } from './suite.js';

featureSuite('redis');

test('redis: start - an unreachable Redis fails the start with UNAVAILABLE naming the URL', async (t) => {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  const err = await t.throwsAsync(
    FeaturesService.create({
      env: {},
      overrides: { backend: 'redis', redisUrl: 'redis://127.0.0.1:1', grpcPort: 0, httpPort: -1 },
      logger: createLogger({ service: 'features-test', level: 'silent' }),
    }),
  );
  t.regex(err?.message ?? '', /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  t.is((err as { code?: number } | undefined)?.code, 14);
});

test('redis: store - a replaced range settles the start of 150,000 carried entities in one write', async (t) => {
  // A daily Materialize of a window feature carries every entity's value from before its start:
  // the clear script takes them as one argument list (spread into a call, they overflow the stack).
  const store = await RedisStore.create({ url: TEST_REDIS_URL, keyPrefix: `mlmesh:test:${randomUUID()}:` });
  try {
    const k = { feature: 'f', version: 1 };
    await store.write([
      { ...k, entity: 'e0', eventMs: 5, json: '1' },
      { ...k, entity: 'e0', eventMs: 8, json: '2' },
      { ...k, entity: 'e1', eventMs: 6, json: '3' },
      { ...k, entity: 'x', eventMs: 2, json: '4' },
      { ...k, entity: 'y', eventMs: 4, json: '5' },
    ]);
    const carried = new Map(Array.from({ length: 150_000 }, (_, i) => [`e${i}`, 5] as const));
    await store.write([{ ...k, entity: 'e0', eventMs: 5, json: '1' }, { ...k, entity: 'e2', eventMs: 5, json: '9' }], { replace: { ...k, fromMs: 10, toMs: 20, atStart: { carried, clearFromMs: 3, empty: { json: '0' } } } });
    const read = (entity: string, asOfMs: number) => store.read([{ ...k, entity, asOfMs }]).then(([v]) => v);
    t.deepEqual(await read('e0', 9), { eventMs: 5, json: '1' }, 'the carried value stays, the stale one after it is gone');
    t.deepEqual(await read('e0', LATEST), { eventMs: 5, json: '1' }, 'and the latest hash follows');
    t.is(await read('e1', LATEST), undefined, 'carried without a row: its values after the carried time are deleted');
    t.deepEqual(await read('e2', LATEST), { eventMs: 5, json: '9' }, 'a carried entity new to the store gets its value');
    t.deepEqual(await read('x', 9), { eventMs: 3, json: '0' }, 'an entity not carried with a value before clearFromMs: the emptied window from clearFromMs on');
    t.deepEqual(await read('x', 2), { eventMs: 2, json: '4' }, 'and its value before is left');
    t.is(await read('y', LATEST), undefined, 'an entity not carried loses its values in [clearFromMs, fromMs)');
  } finally {
    await store.deleteAll();
    await store.close();
  }
});
