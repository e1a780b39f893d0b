/**
 * What TLS and authorization cost a call, side by side in one run (not part of the tests):
 *
 *   npm run build && node dist/bench/security.js [--calls 2000] [--runs 3]
 *
 * One in-process inference service per mode (plaintext; mutual TLS; mutual TLS with
 * authorization by certificate; plaintext with authorization by bearer token), each called by
 * one `mlmesh/client` client, one call at a time: ModelInfer of one digits_mlp row. Reports the
 * median over `runs` of each run's p50 and p99 (µs), their ratio to plaintext, and the time of
 * the first call on a fresh client (connection set-up: TCP, and the TLS handshake). Writes
 * bench/results/<date>-security.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hashToken } from '../shared/auth/index.js';
import { InferInput, InferenceClient } from '../shared/client/index.js';
import type { ClientOptions } from '../shared/client/index.js';
import { projectRoot } from '../shared/config/index.js';
import { startInference } from '../test/helpers/inference.js';
import type { InferenceFixture } from '../test/helpers/inference.js';
import { makeTestPki } from '../test/helpers/security.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '2000' }, runs: { type: 'string', default: '3' } } });
const calls = Number(values.calls);
const runs = Number(values.runs);
const TOKEN = 'bench-token-0123456789';
const pki = makeTestPki();
const p = pki.trusted.parties;
const tlsServer = { tlsCertFile: p['inference']!.certFile, tlsKeyFile: p['inference']!.keyFile, tlsCaFile: pki.trusted.caFile };
const tlsClient: ClientOptions = { tls: { caFile: pki.trusted.caFile, ...p['alice']!, reloadIntervalMs: 0 } };

const modes: { name: string; server: Record<string, unknown>; client: ClientOptions }[] = [
  { name: 'plaintext', server: {}, client: {} },
  { name: 'mtls', server: tlsServer, client: tlsClient },
  { name: 'mtls+authz', server: { ...tlsServer, authRequired: true, authCertRoles: ['alice:data'] }, client: tlsClient },
  { name: 'token authz', server: { authRequired: true, authTokens: [`b:data:${hashToken(TOKEN)}`] }, client: { token: TOKEN } },
];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const pct = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] as number;
const input = (): InferInput[] => [InferInput.from('input', new Float32Array(64).fill(0.5), [1, 64])];

const fixtures: InferenceFixture[] = [];
for (const m of modes) fixtures.push(await startInference({ models: ['digits_mlp'], overrides: m.server }));
const results: Record<string, { p50Us: number[]; p99Us: number[]; firstCallUs: number[] }> = {};
for (const m of modes) results[m.name] = { p50Us: [], p99Us: [], firstCallUs: [] };
try {
  for (let r = 0; r < runs; r++) {
    // The modes take turns within each run, so a noisy moment hits them alike.
    for (const [i, m] of modes.entries()) {
      const f = fixtures[i] as InferenceFixture;
      const t0 = process.hrtime.bigint();
      using c = new InferenceClient(f.service.address, { retry: false, ...m.client });
      await c.serverLive();
      const res = results[m.name] as (typeof results)[string];
      res.firstCallUs.push(Number(process.hrtime.bigint() - t0) / 1000);
      for (let w = 0; w < 200; w++) await c.infer('digits_mlp', input());
      const lat: number[] = [];
      for (let k = 0; k < calls; k++) {
        const s = process.hrtime.bigint();
        await c.infer('digits_mlp', input());
        lat.push(Number(process.hrtime.bigint() - s) / 1000);
      }
      res.p50Us.push(pct(lat, 0.5));
      res.p99Us.push(pct(lat, 0.99));
    }
  }
} finally {
  for (const f of fixtures) await f.stop();
  pki.remove();
}
const base = results['plaintext'] as (typeof results)[string];
const summary: Record<string, unknown> = { calls, runs, date: new Date().toISOString(), modes: {} };
for (const m of modes) {
  const r = results[m.name] as (typeof results)[string];
  (summary['modes'] as Record<string, unknown>)[m.name] = {
    p50Us: Math.round(median(r.p50Us)),
    p99Us: Math.round(median(r.p99Us)),
    p50VsPlaintext: Number((median(r.p50Us) / median(base.p50Us)).toFixed(3)),
    firstCallUs: Math.round(median(r.firstCallUs)),
  };
}
console.log(JSON.stringify(summary, null, 2));
const out = join(projectRoot(), 'bench', 'results');
await mkdir(out, { recursive: true });
await writeFile(join(out, `${new Date().toISOString().slice(0, 10)}-security.json`), JSON.stringify(summary, null, 2));
