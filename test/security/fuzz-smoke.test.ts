/**
 * A short run of the fuzz suite (`npm run fuzz`, bench/fuzz): every service of SERVICES started
 * for real, 20 valid-shaped and 20 malformed requests per RPC, within 60 s of sending. No call
 * may get INTERNAL or UNKNOWN, hang, answer garbage, take a server down or grow memory past the
 * bound (test/security/fuzz-checker.test.ts shows the same checks failing on broken handlers).
 */
import test from 'ava';
import { SERVICES } from '../../shared/client/index.js';
import { fuzzMesh, loadServiceRoot, rpcsOf } from '../../bench/fuzz/suite.js';

test('fuzz smoke - every RPC of every service, no finding', async (t) => {
  t.timeout(240_000);
  process.env['LOG_LEVEL'] ??= 'error';
  const seed = Number(process.env['MLMESH_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
  const { report, text } = await fuzzMesh({ runs: 20, seed, timeBudgetMs: 60_000, concurrency: 6 });
  t.log(text);
  t.deepEqual(report.findings, [], `seed ${seed} (rerun with MLMESH_FUZZ_SEED=${seed})`);
  const root = loadServiceRoot();
  for (const [key, spec] of Object.entries(SERVICES)) {
    const got = report.services[key];
    t.truthy(got, `${key} was fuzzed`);
    // Every RPC of the descriptors got its 40 calls, or, on a slow box where its share of the
    // budget ran out, some.
    for (const m of rpcsOf(root, spec.name)) {
      const calls = got?.methods[m.name]?.calls ?? 0;
      if (report.truncated) t.true(calls > 0, `${key}/${m.name}`);
      else t.is(calls, 40, `${key}/${m.name}`);
    }
  }
});
