import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { FeaturesClient } from '../../services/features/index.js';
import { healthCheck, reflectionServices } from '../helpers/grpc.js';
import { runNode } from '../helpers/process.js';

test('features process - main.js serves health and reflection, keeps values across a restart, drains on SIGTERM', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-features-proc-'));
  const env = { MLMESH_FEATURES_GRPC_PORT: '0', MLMESH_FEATURES_HTTP_PORT: '0', MLMESH_FEATURES_SQLITE_PATH: join(dir, 'f.db'), MLMESH_FEATURES_LOG_LEVEL: 'info' };
  try {
    for (const round of [1, 2]) {
      const child = runNode('services/features/main.js', [], env);
      const ready = await child.waitForLog((r) => r['msg'] === 'features service ready', 15_000);
      const address = ready['address'] as string;
      t.is(ready['backend'], 'sqlite');
      t.is(await healthCheck(address, 'mlmesh.features.v1.FeatureService'), 'SERVING');
      t.true((await reflectionServices(address)).includes('mlmesh.features.v1.FeatureService'));
      const client = new FeaturesClient(address);
      if (round === 1) {
        await client.register({ name: 'kept', version: 1, entity: 'user', value_type: 'INT64', source: { push: {} } });
        await client.write([{ feature: 'kept@1', entity_id: 'u', event_time_ms: Date.now(), value: { int64_value: 42 } }]);
      } else {
        const res = await client.online({ features: { refs: ['kept@1'] }, entity_ids: ['u'] });
        t.is(res.columns[0]?.values[0]?.int64_value, '42', 'the SQLite file kept the value across the restart');
      }
      client.close();
      child.proc.kill('SIGTERM');
      t.is(await child.exited, 0);
    }
    const bad = runNode('services/features/main.js', [], { ...env, MLMESH_FEATURES_BACKEND: 'mongo' });
    t.is(await bad.exited, 78, "a bad option exits 78 (EX_CONFIG)");
    t.regex(bad.stderr.join('\n'), /backend \(env MLMESH_FEATURES_BACKEND\): expected one of sqlite, redis/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
