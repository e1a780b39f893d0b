/**
 * grpcMaxConnectionAgeMs (every service's host option): the server ends each client connection
 * after about that long (GOAWAY), the client's channel connects again (and, for a DNS target,
 * resolves again, which is how a round-robin channel takes in replicas added since), and no call
 * fails meanwhile for a client with retries on (the mesh's clients): a call that races the GOAWAY
 * is refused by the server library before any handler (REFUSED_STREAM) and grpc-js retries it
 * transparently. (With `retry: false` grpc-js's retries are off altogether, and such a call
 * fails UNAVAILABLE "Stream refused by server".) A TCP proxy in front of the service counts the
 * connections.
 */
import test from 'ava';
import { InferenceClient, InferInput } from '../../shared/client/index.js';
import { startInference } from '../helpers/inference.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const INPUT = InferInput.from('input', Float32Array.from({ length: 64 }, (_, i) => i % 17), [1, 64]);

async function callsFor(client: InferenceClient, ms: number): Promise<{ ok: number; failed: string[] }> {
  const end = Date.now() + ms;
  let ok = 0;
  const failed: string[] = [];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (Date.now() < end) {
        try {
          await client.infer('digits_mlp', [INPUT], { timeoutMs: 10_000 });
          ok++;
        } catch (e: unknown) {
          failed.push(String(e));
        }
      }
    }),
  );
  return { ok, failed };
}

for (const [age, expect] of [
  [400, 'several connections'],
  [0, 'one connection'],
] as const) {
  test.serial(`grpcMaxConnectionAgeMs ${age}: ${expect} over 3 s of calls, none failed`, async (t) => {
    const f = await startInference({ models: ['digits_mlp'], overrides: { grpcMaxConnectionAgeMs: age } });
    const proxy = await TcpProxy.start(f.service.address);
    const client = new InferenceClient(proxy.address, { loadBalancing: 'round_robin' });
    t.teardown(async () => {
      client.close();
      await proxy.stop();
      await f.stop();
    });
    const r = await callsFor(client, 3000);
    t.log(`${r.ok} calls over ${proxy.counts.accepted} connection(s)`);
    t.deepEqual(r.failed.slice(0, 3), []);
    t.true(r.ok > 50);
    if (age > 0) t.true(proxy.counts.accepted >= 3, `${proxy.counts.accepted} connections`);
    else t.is(proxy.counts.accepted, 1);
  });
}
