/**
 * The gateway's whole chain over mutual TLS with authorization on: features, preprocess,
 * inference and the gateway each with its own certificate, the gateway's hops presenting the
 * gateway's certificate (role data), the caller presenting its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { GatewayClient, isRpcError } from '../../shared/client/index.js';
import type { ClientOptions } from '../../shared/client/index.js';
import { makeDevCertificates } from '../../tools/mesh/index.js';
import type { DevCertificates } from '../../tools/mesh/index.js';
import { APPLICANTS, modelRow, risk, startGatewayMesh } from '../helpers/gateway.js';
import type { GatewayMesh } from '../helpers/gateway.js';

let root: string;
let pki: DevCertificates;
let mesh: GatewayMesh;

const as = (name: string): ClientOptions => ({ retry: false, tls: { caFile: pki.caFile, ...pki.parties[name]! } });

test.before(async () => {
  root = mkdtempSync(join(tmpdir(), 'mlmesh-gw-pki-'));
  pki = makeDevCertificates(root, ['features', 'preprocess', 'inference', 'gateway', 'reader', 'admin', 'alice'], { days: 2 });
  const roles = ['features:data', 'preprocess:data', 'inference:data', 'gateway:data', 'reader:read', 'admin:admin', 'alice:data'];
  // The helper's `host` options go to every service (features and preprocess share the
  // `features` certificate); inference and the gateway get their own in their overrides.
  mesh = await startGatewayMesh({
    host: { tlsCaFile: pki.caFile, authRequired: true, authCertRoles: roles, tlsCertFile: pki.parties['features']!.certFile, tlsKeyFile: pki.parties['features']!.keyFile },
    inference: { tlsCertFile: pki.parties['inference']!.certFile, tlsKeyFile: pki.parties['inference']!.keyFile },
    gateway: { tlsCertFile: pki.parties['gateway']!.certFile, tlsKeyFile: pki.parties['gateway']!.keyFile },
    client: as('admin'),
  });
});

test.after.always(async () => {
  await mesh?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

test.serial('gateway mTLS - a data-plane caller predicts through features, preprocess and inference, every hop over mutual TLS', async (t) => {
  const b = mesh.gateway.deployments.get('risk');
  t.truthy(b, JSON.stringify(mesh.gateway.deployments.refused()));
  using alice = new GatewayClient(mesh.gateway.address, as('alice'));
  const res = await alice.predictRows('risk', [{ applicant_id: APPLICANTS.fresh, amount: 500, channel: 'web' }]);
  const p = res.rows[0]?.prediction;
  t.truthy(p, JSON.stringify(res.rows[0]?.errors));
  const want = risk('1', modelRow(mesh, [...(b?.pipeline.featureNames ?? [])], 1500, 500, 'web'));
  for (let k = 0; k < 2; k++) t.true(Math.abs((p?.values[k] ?? NaN) - (want[k] as number)) < 1e-5);
});

test.serial('gateway mTLS - a caller without a certificate does not reach the gateway; a read-only one may list but not predict', async (t) => {
  using none = new GatewayClient(mesh.gateway.address, { retry: false, tls: { caFile: pki.caFile } });
  const e = await t.throwsAsync(none.listDeployments());
  t.true(isRpcError(e) && e.codeName === 'UNAVAILABLE', String(e));
  using reader = new GatewayClient(mesh.gateway.address, as('reader'));
  t.true((await reader.listDeployments()).deployments.length > 0);
  const denied = await t.throwsAsync(reader.predictRows('risk', [{ applicant_id: APPLICANTS.fresh, amount: 500, channel: 'web' }]));
  t.true(isRpcError(denied) && denied.codeName === 'PERMISSION_DENIED', String(denied));
});

test.serial("gateway mTLS - the hops carry the gateway's own certificate: a gateway whose certificate may only read binds its deployment but its hops are refused", async (t) => {
  const extra = await mesh.extraGateway({ tlsCertFile: pki.parties['reader']!.certFile, tlsKeyFile: pki.parties['reader']!.keyFile });
  using alice = new GatewayClient(extra.gateway.address, as('alice'));
  const e = await t.throwsAsync(alice.predictRows('risk', [{ applicant_id: APPLICANTS.fresh, amount: 500, channel: 'web' }]));
  t.true(isRpcError(e), String(e));
  t.regex(isRpcError(e) ? e.details : '', /role read.*needs role data/);
});
