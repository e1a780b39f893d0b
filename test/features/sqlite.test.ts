import test from 'ava';
import { metricValue } from '../helpers/inference.js';
import { TestClock } from '../helpers/features.js';
import { featureSuite, pushDef, withService, T0 } from './suite.js';

featureSuite('sqlite');

test('sqlite: metrics - values served by status, cache hits and misses, values written', async (t) => {
  // A clock that stands still: on a loaded machine 1 s (the cache TTL) can pass between two reads.
  const clock = new TestClock(T0);
  await withService('sqlite', async (f) => {
    await f.client.register(pushDef('m'));
    await f.client.write([{ feature: 'm@1', entity_id: 'a', event_time_ms: T0, value: { float_value: 1 } }]);
    for (let i = 0; i < 3; i++) await f.client.online({ features: { refs: ['m@1'] }, entity_ids: ['a', 'b'] });
    await f.client.online({ features: { refs: ['m@1'] }, entity_ids: ['a'], as_of_ms: T0 - 1 });
    t.is(await metricValue(f.http, 'mlmesh_features_values_total', { status: 'PRESENT', read: 'online' }), 3);
    t.is(await metricValue(f.http, 'mlmesh_features_values_total', { status: 'NOT_FOUND', read: 'online' }), 4);
    t.is(await metricValue(f.http, 'mlmesh_features_cache_total', { result: 'miss' }), 2);
    t.is(await metricValue(f.http, 'mlmesh_features_cache_total', { result: 'hit' }), 4);
    t.is(await metricValue(f.http, 'mlmesh_features_written_total', { via: 'write' }), 1);
    t.is(await metricValue(f.http, 'grpc_server_handled_total', { grpc_method: 'GetOnlineFeatures', grpc_code: 'OK' }), 4);
  }, { now: clock.now });
});
