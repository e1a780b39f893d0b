/**
 * `mlmesh up --secure`: the real supervisor with a development CA, every service on mutual TLS
 * with authorization on, and the CLI calling it with the credentials the supervisor wrote.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { InferInput, InferenceClient, isRpcError } from '../../shared/client/index.js';
import { meshProject, runMesh, until, waitUp } from '../helpers/mesh.js';
import type { MeshRun } from '../helpers/mesh.js';
import { runNode } from '../helpers/process.js';

let mesh: MeshRun;
let tlsDir: string;

test.before(async () => {
  mesh = runMesh(await meshProject(), ['--secure']);
  await waitUp(mesh);
  tlsDir = join(mesh.project.varDir, 'tls');
});

test.after.always(async () => {
  await mesh?.dispose();
});

/** The variables of `<varDir>/tls/cli.env`. */
function cliEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(tlsDir, 'cli.env'), 'utf8').split('\n')) {
    const m = /^export (\w+)=(.*)$/.exec(line);
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}

async function cli(args: readonly string[], env: Record<string, string>): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = runNode('tools/cli/main.js', args, { MLMESH_GATEWAY_ADDRESS: mesh.record('gateway').grpc as string, MLMESH_CLIENT_TLS_CA: '', MLMESH_CLIENT_TLS_CERT: '', MLMESH_CLIENT_TLS_KEY: '', MLMESH_CLIENT_TOKEN: '', ...env });
  const code = await child.exited;
  return { code, stdout: child.stdout.join('\n'), stderr: child.stderr.join('\n') };
}

test.serial('mesh secure - the supervisor writes the CLI credentials 0600, serves HTTPS, and prints the admin token once', async (t) => {
  const env = cliEnv();
  t.truthy(env['MLMESH_CLIENT_TLS_CA']);
  for (const f of ['cli.env', 'admin.token', 'ca.key', 'mlmesh-admin.key']) t.is(statSync(join(tlsDir, f)).mode & 0o777, 0o600, f);
  const token = readFileSync(join(tlsDir, 'admin.token'), 'utf8').trim();
  // Printed just after the "mesh up" line.
  await until(() => mesh.child.stdout.some((l) => l.includes(token)), 10_000, 'the token on stdout');
  t.is(mesh.child.stdout.filter((l) => l.includes(token)).length, 1, 'the token is shown once');
  const state = mesh.state();
  t.truthy(state.tls?.caFile);
  for (const s of state.services.filter((r) => r.name !== 'nats')) t.regex(s.http ?? '', /^https:\/\//, s.name);
});

test.serial('mesh secure - the CLI calls the mesh with the written certificate, or the CA and the admin token; without them it is refused', async (t) => {
  const env = cliEnv();
  const withCert = await cli(['deployments', '--json'], env);
  t.is(withCert.code, 0, withCert.stderr);
  const token = readFileSync(join(tlsDir, 'admin.token'), 'utf8').trim();
  const withToken = await cli(['deployments', '--json'], { MLMESH_CLIENT_TLS_CA: env['MLMESH_CLIENT_TLS_CA'] as string, MLMESH_CLIENT_TOKEN: token });
  t.is(withToken.code, 0, withToken.stderr);
  const caOnly = await cli(['deployments', '--json'], { MLMESH_CLIENT_TLS_CA: env['MLMESH_CLIENT_TLS_CA'] as string });
  t.is(caOnly.code, 1);
  t.regex(caOnly.stderr, /no credentials/);
  const plain = await cli(['deployments', '--json'], {});
  t.is(plain.code, 1);
  const status = runNode('tools/mesh/main.js', ['status', '--var-dir', mesh.project.varDir, '--json']);
  t.is(await status.exited, 0, status.stdout.join('\n'));
});

test.serial('mesh secure - inference answers the admin certificate over mutual TLS, and refuses an admin call from a data-plane token-less service identity', async (t) => {
  const env = cliEnv();
  const tls = { caFile: env['MLMESH_CLIENT_TLS_CA'] as string, certFile: env['MLMESH_CLIENT_TLS_CERT'] as string, keyFile: env['MLMESH_CLIENT_TLS_KEY'] as string };
  const address = mesh.record('inference').grpc as string;
  using admin = new InferenceClient(address, { tls, retry: false });
  const res = await admin.infer('digits_mlp', [InferInput.from('input', new Float32Array(64), [1, 64])]);
  t.deepEqual(res.output('probabilities')?.shape, [1, 10]);
  // The gateway's own certificate holds the data-plane role.
  using gatewayIdentity = new InferenceClient(address, { tls: { caFile: tls.caFile, certFile: join(tlsDir, 'gateway.crt'), keyFile: join(tlsDir, 'gateway.key') }, retry: false });
  const e = await t.throwsAsync(gatewayIdentity.repositoryModelUnload({ model_name: 'digits_mlp' }));
  t.true(isRpcError(e) && e.codeName === 'PERMISSION_DENIED', String(e));
});
