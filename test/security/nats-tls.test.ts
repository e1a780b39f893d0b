/**
 * NATS over TLS: a private nats-server with a certificate from the test CA, requiring client
 * certificates (`verify: true`) and the shipped account's passwords; a service connects with
 * natsTlsCaFile, natsTlsCertFile and natsTlsKeyFile, and what lacks the CA, the client
 * certificate or trust in the server is refused.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { connect } from 'nats';
import { projectRoot } from '../../shared/config/index.js';
import { natsConnectOptions } from '../../shared/nats/index.js';
import type { NatsClientConfig } from '../../shared/nats/index.js';
import { MonitorService } from '../../services/monitor/index.js';
import { capturingLogger } from '../helpers/logs.js';
import { copyRepository, waitFor } from '../helpers/inference.js';
import { NatsServer } from '../helpers/nats-server.js';
import { makeTestPki } from '../helpers/security.js';
import type { TestPki } from '../helpers/security.js';

interface Ctx {
  pki: TestPki;
  nats: NatsServer;
  dir: string;
  repo: string;
  passwordFile: string;
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  const pki = makeTestPki();
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-nats-tls-'));
  const server = pki.trusted.parties['inference'] as { certFile: string; keyFile: string };
  const env: Record<string, string> = {};
  for (const u of ['INFERENCE', 'MONITOR', 'ROLLOUT', 'RETRAINER', 'FEEDBACK', 'ADMIN']) env[`MLMESH_${u}_NATS_PASSWORD`] = `p${randomBytes(16).toString('hex')}`;
  const passwordFile = join(dir, 'monitor.password');
  await writeFile(passwordFile, `${env['MLMESH_MONITOR_NATS_PASSWORD'] as string}\n`);
  // The TLS block and the shipped account in one included file.
  const conf = join(dir, 'tls-and-accounts.conf');
  const tls = `tls {\n  cert_file: ${JSON.stringify(server.certFile)}\n  key_file: ${JSON.stringify(server.keyFile)}\n  ca_file: ${JSON.stringify(pki.trusted.caFile)}\n  verify: true\n}\n`;
  await writeFile(conf, tls + (await readFile(join(projectRoot(), 'deploy/nats/mlmesh-accounts.conf'), 'utf8')));
  const nats = await NatsServer.start({ include: conf, env });
  t.context = { pki, nats, dir, repo: await copyRepository(['digits_mlp']), passwordFile };
});

test.after.always(async (t) => {
  await t.context.nats?.dispose();
  t.context.pki?.remove();
  await rm(t.context.dir, { recursive: true, force: true });
  await rm(t.context.repo, { recursive: true, force: true });
});

function options(t: { context: Ctx }, patch: Partial<NatsClientConfig>): NatsClientConfig {
  const alice = t.context.pki.trusted.parties['alice'] as { certFile: string; keyFile: string };
  return {
    natsUser: 'monitor',
    natsPassword: '',
    natsPasswordFile: t.context.passwordFile,
    natsToken: '',
    natsTokenFile: '',
    natsNkeySeedFile: '',
    natsCredsFile: '',
    natsTlsCaFile: t.context.pki.trusted.caFile,
    natsTlsCertFile: alice.certFile,
    natsTlsKeyFile: alice.keyFile,
    ...patch,
  };
}

test('nats tls - the monitor connects over mutual TLS with its user and becomes ready', async (t) => {
  const { logger, lines } = capturingLogger();
  const monitor = await MonitorService.create({
    env: {},
    overrides: { host: '127.0.0.1', grpcPort: 0, httpPort: 0, natsUrl: t.context.nats.url, modelRepository: t.context.repo, stateDir: await mkdtemp(join(t.context.dir, 'monitor-')), ...options(t, {}) },
    logger,
  });
  try {
    await waitFor(() => monitor.ready, 15_000, 'monitor ready over TLS');
    t.like(lines.find((l) => l['msg'] === 'NATS: connecting'), { auth: 'user', user: 'monitor', tls: true });
  } finally {
    await monitor.drain();
  }
});

test('nats tls - without the CA, without a client certificate, or trusting another CA, the connection is refused', async (t) => {
  const { nats, pki } = t.context;
  const attempt = (patch: Partial<NatsClientConfig>) => connect({ ...natsConnectOptions(options(t, patch), 'monitor'), servers: nats.url, reconnect: false, timeout: 5000 });
  const ok = await attempt({});
  await ok.close();
  const rogue = pki.rogue.parties['mallory'] as { certFile: string; keyFile: string };
  // No TLS options at all: the server requires TLS, and nats.js cannot verify its certificate with the system CAs.
  await t.throwsAsync(attempt({ natsTlsCaFile: '', natsTlsCertFile: '', natsTlsKeyFile: '' }), { message: /verify|certificate/i });
  // TLS without a client certificate: verify: true refuses the handshake.
  await t.throwsAsync(attempt({ natsTlsCertFile: '', natsTlsKeyFile: '' }));
  // A client certificate from a CA the server does not trust.
  await t.throwsAsync(attempt({ natsTlsCertFile: rogue.certFile, natsTlsKeyFile: rogue.keyFile }));
  // Trusting another CA than the server's: the server's certificate is refused.
  await t.throwsAsync(attempt({ natsTlsCaFile: pki.rogue.caFile }), { message: /certificate|self.signed|verify/i });
});
