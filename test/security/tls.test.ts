import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { InferenceClient, isRpcError } from '../../shared/client/index.js';
import type { ClientOptions } from '../../shared/client/index.js';
import { startInference } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';
import { makeTestPki, replaceFile } from '../helpers/security.js';
import type { TestPki } from '../helpers/security.js';

const test = anyTest as TestFn<{ pki: TestPki; inf: InferenceFixture; serverCert: string; serverKey: string }>;

test.before(async (t) => {
  const pki = makeTestPki();
  // The server's own copies: the reload test replaces them.
  const serverCert = join(pki.root, 'server.crt');
  const serverKey = join(pki.root, 'server.key');
  copyFileSync(pki.trusted.parties['inference']!.certFile, serverCert);
  copyFileSync(pki.trusted.parties['inference']!.keyFile, serverKey);
  const inf = await startInference({ models: ['digits_mlp'], overrides: { tlsCertFile: serverCert, tlsKeyFile: serverKey, tlsCaFile: pki.trusted.caFile, tlsReloadMs: 50 } });
  t.context = { pki, inf, serverCert, serverKey };
});

test.after.always(async (t) => {
  await t.context.inf?.stop();
  t.context.pki?.remove();
});

/** A client of the service with `opts`, no retries, a short deadline. */
function client(t: { context: { inf: InferenceFixture } }, opts: ClientOptions): InferenceClient {
  return new InferenceClient(t.context.inf.service.address, { retry: false, timeoutMs: 3000, ...opts });
}

async function liveCode(c: InferenceClient): Promise<string> {
  try {
    const r = await c.serverLive();
    return r.live ? 'OK' : 'NOT_LIVE';
  } catch (e: unknown) {
    return isRpcError(e) ? e.codeName : `not an RpcError: ${String(e)}`;
  } finally {
    c.close();
  }
}

test.serial('tls - a client with the CA and its own certificate is served over mutual TLS', async (t) => {
  const { trusted } = t.context.pki;
  t.is(await liveCode(client(t, { tls: { caFile: trusted.caFile, ...trusted.parties['alice']! } })), 'OK');
});

test.serial('tls - a plaintext client is refused', async (t) => {
  t.is(await liveCode(client(t, {})), 'UNAVAILABLE');
});

test.serial('tls - a client without a certificate is refused under mutual TLS', async (t) => {
  t.is(await liveCode(client(t, { tls: { caFile: t.context.pki.trusted.caFile } })), 'UNAVAILABLE');
});

test.serial('tls - a client certificate from another CA is refused', async (t) => {
  const { trusted, rogue } = t.context.pki;
  t.is(await liveCode(client(t, { tls: { caFile: trusted.caFile, ...rogue.parties['mallory']! } })), 'UNAVAILABLE');
});

test.serial('tls - a client that trusts another CA refuses the server', async (t) => {
  const { trusted, rogue } = t.context.pki;
  t.is(await liveCode(client(t, { tls: { caFile: rogue.caFile, ...trusted.parties['alice']! } })), 'UNAVAILABLE');
});

test.serial('tls - replaced certificate files are used by new connections while calls on open ones go on', async (t) => {
  const { trusted, rogue } = t.context.pki;
  const { serverCert, serverKey } = t.context;
  // Trusts the old server certificate's CA: connected before the swap, it keeps its connection.
  const before = client(t, { tls: { caFile: trusted.caFile, ...trusted.parties['alice']! } });
  t.teardown(() => before.close());
  t.true((await before.serverLive()).live);
  let failures = 0;
  let done = 0;
  let stop = false;
  const load = (async () => {
    while (!stop) {
      try {
        await before.serverReady();
        done++;
      } catch {
        failures++;
      }
    }
  })();
  // The new server certificate is the rogue CA's `inference` (the client CA stays the trusted one).
  replaceFile(rogue.parties['inference']!.keyFile, serverKey);
  replaceFile(rogue.parties['inference']!.certFile, serverCert);
  // Wait until a new connection sees the new certificate (the server polls every 50 ms).
  const until = Date.now() + 15_000;
  let seen = 'none';
  while (Date.now() < until) {
    seen = await liveCode(client(t, { tls: { caFile: rogue.caFile, ...trusted.parties['alice']! } }));
    if (seen === 'OK') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  stop = true;
  await load;
  t.is(seen, 'OK', 'a new connection trusting the new CA is served');
  t.is(failures, 0, 'no call on the connection opened before the swap failed');
  t.true(done > 0);
  t.true((await before.serverLive()).live, 'the old connection still works after the swap');
  t.is(await liveCode(client(t, { tls: { caFile: trusted.caFile, ...trusted.parties['alice']! } })), 'UNAVAILABLE', 'a new connection trusting only the old CA no longer is');
  // A half-written set (certificate without its key) is refused and the certificates in force stay.
  replaceFile(trusted.parties['bob']!.certFile, serverCert);
  await new Promise((r) => setTimeout(r, 300));
  t.is(await liveCode(client(t, { tls: { caFile: rogue.caFile, ...trusted.parties['alice']! } })), 'OK', 'a mismatched key and certificate are not taken');
});

test('tls - bad TLS and authorization settings stop the service at start, naming the option', async (t) => {
  const { trusted } = t.context.pki;
  const cert = trusted.parties['inference']!;
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ tlsCertFile: '/no/such/cert.pem', tlsKeyFile: cert.keyFile }, /tlsCertFile.*cannot read \/no\/such\/cert\.pem/],
    [{ tlsCertFile: cert.certFile }, /tlsKeyFile.*must be set with tlsCertFile/],
    [{ tlsCaFile: trusted.caFile }, /tlsCertFile.*must be set with tlsCaFile/],
    [{ authCertRoles: ['alice:data'] }, /authCertRoles.*needs tlsCaFile/],
    [{ authRequired: true }, /authRequired.*neither authTokens nor authCertRoles/],
    [{ tlsCertFile: cert.certFile, tlsKeyFile: trusted.parties['alice']!.keyFile }, /do not make a usable set/],
  ];
  for (const [overrides, message] of bad) {
    const e = await t.throwsAsync(startInference({ models: ['digits_mlp'], overrides }));
    t.regex(e?.message ?? '', message, JSON.stringify(overrides));
  }
});
