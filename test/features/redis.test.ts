import test from 'ava';
import { FeaturesService } from '../../services/features/index.js';
import { createLogger } from '../../shared/logging/index.js';
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
