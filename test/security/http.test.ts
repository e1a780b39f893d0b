import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { Registry } from 'prom-client';
import { Authorizer, hashToken } from '../../shared/auth/index.js';
import { HttpServer } from '../../shared/http/index.js';
import { capturingLogger } from '../helpers/logs.js';
import { startInference } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';
import { makeTestPki } from '../helpers/security.js';
import type { TestPki } from '../helpers/security.js';

const DATA_TOKEN = 'http-data-token';
const READ_TOKEN = 'http-read-token';
const test = anyTest as TestFn<{ pki: TestPki; inf: InferenceFixture }>;

test.before(async (t) => {
  const pki = makeTestPki();
  const p = pki.trusted.parties;
  const inf = await startInference({
    models: ['digits_mlp'],
    overrides: {
      tlsCertFile: p['inference']!.certFile,
      tlsKeyFile: p['inference']!.keyFile,
      tlsCaFile: pki.trusted.caFile,
      authRequired: true,
      authTokens: [`backend:data:${hashToken(DATA_TOKEN)}`, `dashboard:read:${hashToken(READ_TOKEN)}`],
      authCertRoles: ['alice:data'],
    },
  });
  t.context = { pki, inf };
});

test.after.always(async (t) => {
  await t.context.inf?.stop();
  t.context.pki?.remove();
});

/** An HTTPS request to the service's HTTP port trusting the test CA; resolves with the status and body. */
function https(t: { context: { pki: TestPki; inf: InferenceFixture } }, method: string, path: string, opts: { token?: string; body?: unknown; cert?: string } = {}): Promise<{ status: number; body: string }> {
  const { pki, inf } = t.context;
  const party = opts.cert ? pki.trusted.parties[opts.cert] : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: inf.service.httpPort,
        method,
        path,
        ca: readFileSync(pki.trusted.caFile),
        ...(party ? { cert: readFileSync(party.certFile), key: readFileSync(party.keyFile) } : {}),
        headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.body ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body ? JSON.stringify(opts.body) : undefined);
  });
}

const INFER = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array<number>(64).fill(0) }] };

test('http - the HTTP port speaks TLS; plain HTTP gets no answer', async (t) => {
  await t.throwsAsync(fetch(`http://127.0.0.1:${t.context.inf.service.httpPort}/healthz`));
  t.is((await https(t, 'GET', '/healthz')).status, 200, 'health needs no identity');
  t.is((await https(t, 'GET', '/metrics')).status, 200, 'nor metrics');
});

test('http - the service routes check identities and roles as gRPC does', async (t) => {
  const none = await https(t, 'POST', '/v2/models/digits_mlp/infer', { body: INFER });
  t.is(none.status, 401);
  t.regex(none.body, /no credentials/);
  t.is((await https(t, 'POST', '/v2/models/digits_mlp/infer', { body: INFER, token: 'wrong' })).status, 401);
  t.is((await https(t, 'GET', '/v2/models/digits_mlp', { token: READ_TOKEN })).status, 200, 'a read token reads metadata');
  const readInfer = await https(t, 'POST', '/v2/models/digits_mlp/infer', { body: INFER, token: READ_TOKEN });
  t.is(readInfer.status, 403, 'but may not infer');
  const readMissing = await https(t, 'POST', '/v2/models/no_such_model/infer', { body: INFER, token: READ_TOKEN });
  t.deepEqual(readMissing, readInfer, 'the same answer whether the model exists or not');
  t.is((await https(t, 'POST', '/v2/models/digits_mlp/infer', { body: INFER, token: DATA_TOKEN })).status, 200);
  t.is((await https(t, 'POST', '/v2/models/digits_mlp/infer', { body: INFER, cert: 'alice' })).status, 200, 'a client certificate identifies too');
  t.is((await https(t, 'POST', '/v2/models/digits_mlp/infer', { body: INFER, cert: 'bob' })).status, 403, 'a certificate with no role is refused');
});

test('http - a route whose config asks for the admin role refuses data callers and audits every call', async (t) => {
  const { logger, lines } = capturingLogger();
  const server = await HttpServer.create({
    port: 0,
    registry: new Registry(),
    logger,
    ready: () => true,
    authorizer: new Authorizer({ required: true, tokens: [`backend:data:${hashToken(DATA_TOKEN)}`, `ops:admin:${hashToken('http-admin-token')}`] }),
    routes: (app) => {
      app.post('/models/:name/reload', { config: { role: 'admin' } }, async (req) => ({ reloaded: (req.params as { name: string }).name }));
    },
  });
  t.teardown(() => server.close());
  const post = (token?: string) => fetch(`http://127.0.0.1:${server.port}/models/m1/reload`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });
  t.is((await post()).status, 401);
  t.is((await post(DATA_TOKEN)).status, 403);
  const ok = await post('http-admin-token');
  t.is(ok.status, 200);
  t.deepEqual(await ok.json(), { reloaded: 'm1' });
  // The line of an answered call is written once the answer is out: wait for it.
  const until = Date.now() + 5000;
  while (lines.filter((l) => l['audit'] === true).length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  const audit = lines.filter((l) => l['audit'] === true);
  t.is(audit.length, 3);
  t.like(audit[0], { who: 'anonymous', outcome: 'UNAUTHENTICATED', api: 'http', rpc: 'POST /models/:name/reload', target: 'm1' });
  t.like(audit[1], { who: 'backend', role: 'data', outcome: 'PERMISSION_DENIED' });
  t.like(audit[2], { who: 'ops', role: 'admin', outcome: '200' });
});
