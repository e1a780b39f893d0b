import test from 'ava';
import { assertStatus, grpc, healthCheck } from '../helpers/grpc.js';
import { startFeatures } from '../helpers/features.js';
import { waitFor } from '../helpers/inference.js';
import { RedisServer } from '../helpers/redis-server.js';
import { T0, pushDef } from './suite.js';

test('redis outage - health turns NOT_SERVING and calls fail UNAVAILABLE while Redis is down, and recover after', async (t) => {
  const redis = await RedisServer.launch();
  const f = await startFeatures({ backend: 'redis', overrides: { backend: 'redis', redisUrl: redis.url, redisKeyPrefix: 't:' }, cleanup: async () => undefined });
  const SVC = 'mlmesh.features.v1.FeatureService';
  try {
    await f.client.register(pushDef('up'));
    await f.client.write([{ feature: 'up@1', entity_id: 'a', event_time_ms: T0, value: { float_value: 1 } }]);
    t.is(await healthCheck(f.service.address, SVC), 'SERVING');
    await redis.stop();
    await waitFor(async () => (await healthCheck(f.service.address, SVC)) === 'NOT_SERVING', 10_000, 'health NOT_SERVING');
    await assertStatus(t, f.client.online({ features: { refs: ['up@1'] }, entity_ids: ['a'], as_of_ms: T0 }), grpc.status.UNAVAILABLE, /Redis/);
    await assertStatus(t, f.client.write([{ feature: 'up@1', entity_id: 'a', event_time_ms: T0 + 1, value: { float_value: 2 } }]), grpc.status.UNAVAILABLE, /Redis/);
    await redis.start();
    await waitFor(async () => (await healthCheck(f.service.address, SVC)) === 'SERVING', 15_000, 'health SERVING again');
    // The restarted Redis kept nothing (no persistence); the definition is still known to this replica.
    await f.client.write([{ feature: 'up@1', entity_id: 'a', event_time_ms: T0 + 1, value: { float_value: 2 } }]);
    const res = await f.client.online({ features: { refs: ['up@1'] }, entity_ids: ['a'], as_of_ms: T0 + 1 });
    t.is(res.columns[0]?.values[0]?.float_value, 2);
  } finally {
    await f.stop();
    await redis.stop();
  }
});
