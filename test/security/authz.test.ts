import anyTest from 'ava';
import type { TestFn } from 'ava';
import { InferInput, InferenceClient, isRpcError } from '../../shared/client/index.js';
import type { ClientOptions } from '../../shared/client/index.js';
import { hashToken } from '../../shared/auth/index.js';
import { loadTest } from '../../tools/loadtest/index.js';
import { startInference } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';
import { makeTestPki } from '../helpers/security.js';
import type { TestPki } from '../helpers/security.js';

const DATA_TOKEN = 'data-token-4f1c2a';
const ADMIN_TOKEN = 'admin-token-9b7e3d';

interface Ctx {
  pki: TestPki;
  /** Plaintext on loopback, bearer tokens. */
  tokens: InferenceFixture;
  /** Mutual TLS, certificate roles. */
  certs: InferenceFixture;
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  const pki = makeTestPki();
  const tokens = await startInference({
    models: ['digits_mlp', 'credit_risk'],
    captureLogs: true,
    overrides: { authRequired: true, authTokens: [`backend:data:${hashToken(DATA_TOKEN)}`, `ops:admin:${hashToken(ADMIN_TOKEN)}`] },
  });
  const p = pki.trusted.parties;
  const certs = await startInference({
    models: ['digits_mlp', 'credit_risk'],
    captureLogs: true,
    overrides: { tlsCertFile: p['inference']!.certFile, tlsKeyFile: p['inference']!.keyFile, tlsCaFile: pki.trusted.caFile, authRequired: true, authCertRoles: ['alice:data', 'admin:admin'] },
  });
  t.context = { pki, tokens, certs };
});

test.after.always(async (t) => {
  await t.context.tokens?.stop();
  await t.context.certs?.stop();
  t.context.pki?.remove();
});

function client(f: InferenceFixture, opts: ClientOptions = {}): InferenceClient {
  return new InferenceClient(f.service.address, { retry: false, timeoutMs: 10_000, ...opts });
}

/** The error a call rejects with (or undefined when it succeeds). */
async function failure(p: Promise<unknown>): Promise<{ code: string; details: string } | undefined> {
  try {
    await p;
    return undefined;
  } catch (e: unknown) {
    if (!isRpcError(e)) throw e;
    return { code: e.codeName, details: e.details };
  }
}

function auditLines(f: InferenceFixture): Record<string, unknown>[] {
  return f.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['audit'] === true);
}

test.serial('authz - a call without credentials is UNAUTHENTICATED', async (t) => {
  using c = client(t.context.tokens);
  const f = await failure(c.serverLive());
  t.is(f?.code, 'UNAUTHENTICATED');
  t.regex(f?.details ?? '', /no credentials/);
});

test.serial('authz - an unknown or malformed bearer token is UNAUTHENTICATED', async (t) => {
  using bad = client(t.context.tokens, { token: 'not-a-token' });
  t.like(await failure(bad.serverLive()), { code: 'UNAUTHENTICATED', details: 'the bearer token is not known' });
  using c = client(t.context.tokens);
  t.like(await failure(c.serverLive({ metadata: { authorization: 'Basic abc' } })), { code: 'UNAUTHENTICATED' });
});

test.serial('authz - a data-plane token may read and infer', async (t) => {
  using c = client(t.context.tokens, { token: DATA_TOKEN });
  t.true((await c.serverLive()).live);
  t.true((await c.modelReady({ name: 'digits_mlp' })).ready);
  const res = await c.infer('digits_mlp', [InferInput.from('input', new Float32Array(64), [1, 64])]);
  t.deepEqual(res.output('probabilities')?.shape, [1, 10]);
});

test.serial('authz - a data-plane identity unloading a model is PERMISSION_DENIED with the same message for an existing and a missing model', async (t) => {
  using c = client(t.context.tokens, { token: DATA_TOKEN });
  const existing = await failure(c.repositoryModelUnload({ model_name: 'credit_risk' }));
  const missing = await failure(c.repositoryModelUnload({ model_name: 'no_such_model' }));
  t.is(existing?.code, 'PERMISSION_DENIED');
  t.deepEqual(missing, existing);
  t.notRegex(existing?.details ?? '', /credit_risk|no_such_model|not found/i);
  // Still loaded.
  using admin = client(t.context.tokens, { token: ADMIN_TOKEN });
  t.true((await admin.modelReady({ name: 'credit_risk' })).ready);
  const denied = auditLines(t.context.tokens).filter((l) => l['outcome'] === 'PERMISSION_DENIED');
  t.is(denied.length, 2, 'both refused admin calls are audited');
  t.like(denied[0], { who: 'backend', via: 'token', role: 'data', rpc: 'RepositoryModelUnload', target: 'credit_risk' });
});

test.serial('authz - an admin token unloads and loads, and each admin call writes an audit line', async (t) => {
  const f = t.context.tokens;
  using c = client(f, { token: ADMIN_TOKEN });
  const before = auditLines(f).length;
  await c.repositoryModelUnload({ model_name: 'credit_risk' });
  await c.repositoryModelLoad({ model_name: 'credit_risk' });
  const missing = await failure(c.repositoryModelUnload({ model_name: 'no_such_model' }));
  t.is(missing?.code, 'NOT_FOUND', 'an admin may learn that a model does not exist');
  const lines = auditLines(f).slice(before);
  t.is(lines.length, 3);
  t.like(lines[0], { who: 'ops', via: 'token', role: 'admin', api: 'inference.GRPCInferenceService', rpc: 'RepositoryModelUnload', outcome: 'OK', target: 'credit_risk' });
  t.like(lines[1], { who: 'ops', rpc: 'RepositoryModelLoad', outcome: 'OK' });
  t.like(lines[2], { who: 'ops', rpc: 'RepositoryModelUnload', outcome: 'NOT_FOUND', target: 'no_such_model' });
  t.truthy(lines[0]?.['requestId']);
  // Data-plane calls are not audited.
  using d = client(f, { token: DATA_TOKEN });
  await d.serverLive();
  t.is(auditLines(f).length, before + 3);
});

test.serial('authz - an unauthenticated admin call is audited as anonymous', async (t) => {
  const f = t.context.tokens;
  const before = auditLines(f).length;
  using c = client(f);
  t.is((await failure(c.repositoryModelUnload({ model_name: 'credit_risk' })))?.code, 'UNAUTHENTICATED');
  using bad = client(f, { token: 'guess' });
  t.is((await failure(bad.repositoryModelUnload({ model_name: 'credit_risk' })))?.code, 'UNAUTHENTICATED');
  const lines = auditLines(f).slice(before);
  t.like(lines[0], { who: 'anonymous', via: 'none', outcome: 'UNAUTHENTICATED' });
  t.like(lines[1], { who: 'unknown token', via: 'token', outcome: 'UNAUTHENTICATED' });
});

test.serial('authz - client certificates carry their CN\'s role under mutual TLS', async (t) => {
  const { pki, certs } = t.context;
  const tls = (name: string) => ({ tls: { caFile: pki.trusted.caFile, ...pki.trusted.parties[name]! } });
  using alice = client(certs, tls('alice'));
  t.true((await alice.serverLive()).live);
  const denied = await failure(alice.repositoryModelUnload({ model_name: 'credit_risk' }));
  t.is(denied?.code, 'PERMISSION_DENIED');
  t.is(denied?.details, 'certificate alice (role data) may not call RepositoryModelUnload: it needs role admin');
  using bob = client(certs, tls('bob'));
  t.like(await failure(bob.serverLive()), { code: 'PERMISSION_DENIED', details: 'certificate bob has no role' });
  using admin = client(certs, tls('admin'));
  await admin.repositoryModelUnload({ model_name: 'credit_risk' });
  await admin.repositoryModelLoad({ model_name: 'credit_risk' });
  const lines = auditLines(certs).filter((l) => l['outcome'] === 'OK');
  t.like(lines[0], { who: 'admin', via: 'certificate', role: 'admin', rpc: 'RepositoryModelUnload' });
  // A token wins over the certificate: a data token on the admin's connection is data.
  t.is((await failure(admin.repositoryModelUnload({ model_name: 'credit_risk' }, { metadata: { authorization: `Bearer ${DATA_TOKEN}` } })))?.code, 'UNAUTHENTICATED', 'that server knows no tokens');
});

test.serial('authz - the load test runs against a mutual-TLS service with its client certificate, and is refused without one', async (t) => {
  const { pki, certs } = t.context;
  const base = { target: certs.service.address, model: 'digits_mlp', rows: 1, concurrency: 2, durationS: 30, requests: 20, processes: 1 };
  const r = await loadTest({ ...base, connection: { tls: { caFile: pki.trusted.caFile, ...pki.trusted.parties['alice']! } } });
  t.is(r.ok, 20);
  t.deepEqual(r.errors, {});
  await t.throwsAsync(loadTest(base));
  await t.throwsAsync(loadTest({ ...base, engine: 'h2load', connection: { tls: { caFile: pki.trusted.caFile } } }), { message: /h2load does not take the TLS options/ });
});
