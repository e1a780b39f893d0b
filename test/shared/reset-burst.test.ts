/**
 * A burst of client deadline expiries on one channel (thousands of calls with a 1 ms deadline,
 * each cancelled with RST_STREAM) must not fail the healthy calls sharing that channel.
 *
 * The cause, reproduced by the control case: nghttp2's rapid-reset protection takes 1,000 resets
 * per connection (refilled at 33/s) and then sends GOAWAY INTERNAL_ERROR, and Node's client then
 * destroys the connection under every call on it. With the guard (shared/grpc/reset-guard.ts)
 * the server closes the connection gracefully first and the healthy calls finish.
 *
 * Real inference service, real grpc-js client (one channel, no retry policy).
 */
import test from 'ava';
import { f32, metricValue, startInference } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';
import { grpc } from '../helpers/grpc.js';

const request = {
  model_name: 'digits_mlp',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }],
  raw_input_contents: [f32(new Array(64).fill(0.5))],
};

interface Outcome {
  expired: Record<string, number>;
  healthy: Record<string, number>;
}

/** `expiring` calls with a 1 ms deadline and `healthy` ones with 60 s, all started in one tick on one channel. */
async function burst(f: InferenceFixture, expiring: number, healthy: number): Promise<Outcome> {
  const out: Outcome = { expired: {}, healthy: {} };
  const call = (deadlineMs: number, into: Record<string, number>): Promise<void> =>
    new Promise((resolve) => {
      f.client.raw.ModelInfer(request, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err) => {
        const key = err ? `${grpc.status[err.code]}${err.code === grpc.status.DEADLINE_EXCEEDED ? '' : `: ${err.details}`}` : 'OK';
        into[key] = (into[key] ?? 0) + 1;
        resolve();
      });
    });
  const calls: Array<Promise<void>> = [];
  // Interleaved, so that healthy calls sit on the connection among the expiring ones.
  const every = Math.floor(expiring / healthy);
  for (let i = 0; i < expiring; i++) {
    calls.push(call(1, out.expired));
    if (i % every === every - 1) calls.push(call(60_000, out.healthy));
  }
  await Promise.all(calls);
  return out;
}

const healthyCount = (o: Outcome): number => Object.values(o.healthy).reduce((a, b) => a + b, 0);
const exceeded = (o: Outcome): number => o.expired['DEADLINE_EXCEEDED'] ?? 0;

test.serial('reset burst - 4,000 calls expiring after 1 ms beside 100 healthy ones on one channel: every healthy call succeeds, the connection is closed gracefully and counted', async (t) => {
  t.timeout(120_000);
  const f = await startInference({ models: ['digits_mlp'] });
  try {
    await f.client.infer(request);
    const o = await burst(f, 4000, 100);
    t.log(`expired: ${JSON.stringify(o.expired)}; healthy: ${JSON.stringify(o.healthy)}`);
    t.is(healthyCount(o), 100);
    t.deepEqual(o.healthy, { OK: 100 }, 'every healthy call on the channel succeeded');
    t.true(exceeded(o) > 3000, `${exceeded(o)} of 4000 calls passed their 1 ms deadline`);
    const resets = await metricValue(f.http, 'grpc_server_client_resets_total');
    const goaways = await metricValue(f.http, 'grpc_server_reset_goaways_total');
    const limitHits = await metricValue(f.http, 'grpc_server_reset_limit_hits_total');
    t.log(`server: ${resets} client resets counted, ${goaways} graceful GOAWAYs, ${limitHits} connections past nghttp2's limit`);
    t.true(resets >= 500, `${resets} client resets counted`);
    t.true(goaways >= 1, 'the guard closed the connection gracefully');
    t.is(limitHits, 0, 'no connection reached the rapid-reset protection');
    // The channel reconnected by itself: a new call answers.
    const after = await f.client.infer(request);
    t.is(after.model_name, 'digits_mlp');
  } finally {
    await f.stop();
  }
});

test.serial('reset burst - control: with grpcResetBurst 0 (guard off) the same burst fails healthy calls, and the killed connection is counted', async (t) => {
  t.timeout(120_000);
  const f = await startInference({ models: ['digits_mlp'], overrides: { grpcResetBurst: 0 } });
  try {
    await f.client.infer(request);
    const o = await burst(f, 4000, 100);
    t.log(`expired: ${JSON.stringify(o.expired)}; healthy: ${JSON.stringify(o.healthy)}`);
    t.is(healthyCount(o), 100);
    t.true((o.healthy['OK'] ?? 0) < 100, 'nghttp2 killed the connection under some healthy calls (if this fails, Node\'s rapid-reset limit changed: revisit shared/grpc/reset-guard.ts)');
    t.true((await metricValue(f.http, 'grpc_server_reset_limit_hits_total')) >= 1, 'the killed connection is counted');
    t.is(await metricValue(f.http, 'grpc_server_reset_goaways_total'), 0);
    const after = await f.client.infer(request);
    t.is(after.model_name, 'digits_mlp');
  } finally {
    await f.stop();
  }
});
