/**
 * NATS credentials and permissions: a private nats-server runs the shipped account file
 * (deploy/nats/mlmesh-accounts.conf: one user per service, least-privilege permissions), and
 * the real services connect with their own users and do their jobs; a wrong password, no
 * credentials, and a subject a user may not use all fail visibly.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { connect, ErrorCode, Events, NatsError, StringCodec } from 'nats';
import type { NatsConnection, Status } from 'nats';
import { ConfigError, projectRoot } from '../../shared/config/index.js';
import { encodeFeedback, encodeModelEvent, STREAMS, SUBJECTS } from '../../shared/events/index.js';
import { connectInBackground, natsConnectOptions } from '../../shared/nats/index.js';
import type { NatsClientConfig } from '../../shared/nats/index.js';
import { RouteStore } from '../../shared/routes/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { MonitorService, resolveMonitorConfig } from '../../services/monitor/index.js';
import { RetrainerService } from '../../services/retrainer/index.js';
import { RolloutService } from '../../services/rollout/index.js';
import { StepCollector } from '../../services/rollout/collector.js';
import { readStreamRange } from '../../services/retrainer/stream-range.js';
import { readModelEvents } from '../../services/monitor/model-events.js';
import { capturingLogger } from '../helpers/logs.js';
import { runCli } from '../helpers/process.js';
import { copyRepository, f32, startInference, waitFor } from '../helpers/inference.js';
import { NatsServer } from '../helpers/nats-server.js';

const USERS = ['inference', 'monitor', 'rollout', 'retrainer', 'feedback', 'admin'] as const;
type User = (typeof USERS)[number];

interface Ctx {
  nats: NatsServer;
  dir: string;
  repo: string;
  passwords: Record<User, string>;
  /** The password file of each user (0600). */
  files: Record<User, string>;
  admin: NatsConnection;
}

const test = anyTest as TestFn<Ctx>;
const sc = StringCodec();
const quiet = (): ReturnType<typeof createLogger> => createLogger({ service: 'nats-auth-test', level: process.env['LOG_LEVEL'] ?? 'silent' });

/** The NATS options of `user` with its password file (every other option unset). */
function creds(t: { context: Ctx }, user: User, patch: Partial<NatsClientConfig> = {}): NatsClientConfig {
  return {
    natsUser: user,
    natsPassword: '',
    natsPasswordFile: t.context.files[user],
    natsToken: '',
    natsTokenFile: '',
    natsNkeySeedFile: '',
    natsCredsFile: '',
    natsTlsCaFile: '',
    natsTlsCertFile: '',
    natsTlsKeyFile: '',
    ...patch,
  };
}

/** A connection made exactly as `client`'s service makes it (natsConnectOptions), without reconnects. */
function connectAs(t: { context: Ctx }, user: User, client: string = user): Promise<NatsConnection> {
  return connect({ ...natsConnectOptions(creds(t, user), client), servers: t.context.nats.url, reconnect: false, timeout: 5000 });
}

/** The server's log lines reporting a permissions violation. */
function violations(nats: NatsServer): string[] {
  return nats.logTail.filter((l) => /Violation/i.test(l) && !/Authorization Violation/.test(l));
}

test.before(async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-nats-auth-'));
  const passwords = {} as Record<User, string>;
  const files = {} as Record<User, string>;
  const env: Record<string, string> = {};
  for (const u of USERS) {
    // nats-server parses a variable's value as a config value: a password starting with a digit
    // would be read as a number (docs/security.md says which passwords to make).
    passwords[u] = `p${randomBytes(18).toString('hex')}`;
    files[u] = join(dir, `${u}.password`);
    await writeFile(files[u], `${passwords[u]}\n`);
    await chmod(files[u], 0o600);
    env[`MLMESH_${u.toUpperCase()}_NATS_PASSWORD`] = passwords[u];
  }
  const nats = await NatsServer.start({ include: join(projectRoot(), 'deploy/nats/mlmesh-accounts.conf'), env });
  const admin = await connect({ servers: nats.url, user: 'admin', pass: passwords.admin });
  t.context = { nats, dir, repo: await copyRepository(['digits_mlp']), passwords, files, admin };
});

test.after.always(async (t) => {
  await t.context.admin?.close();
  await t.context.nats?.dispose();
  await rm(t.context.dir, { recursive: true, force: true });
  await rm(t.context.repo, { recursive: true, force: true });
});

test.serial('nats auth - each service connects with its own user and does its job: inference logs, monitor consumes and acks, rollout and retrainer keep their KV', async (t) => {
  const { nats, admin } = t.context;
  const spool = await mkdtemp(join(t.context.dir, 'spool-'));
  const f = await startInference({ repo: t.context.repo, captureLogs: true, overrides: { natsUrl: nats.url, spoolDir: spool, ...creds(t, 'inference') } });
  const services: Array<{ drain(): Promise<void> }> = [];
  try {
    await waitFor(() => f.service.publisher?.state === 'direct', 15_000, 'inference publisher connected');
    // Routes: an admin writes one, the inference replica (reading the KV with its own user) serves it.
    await (await RouteStore.create(admin)).put({ model: 'digits_mlp', versions: [{ version: '1', weight: 100 }], sticky: 'none', written_by: 'nats-auth test' });
    await waitFor(() => f.service.routes?.routeOf('digits_mlp') !== undefined, 10_000, 'the route reached inference');
    for (let i = 0; i < 5; i++) {
      await f.client.infer({ model_name: 'digits_mlp', id: `auth-${i}`, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }], raw_input_contents: [f32(new Array(64).fill(i / 10))] });
    }
    const jsm = await admin.jetstreamManager();
    await waitFor(async () => (await jsm.streams.info(STREAMS.predictions.name)).state.messages === 5, 10_000, '5 prediction logs stored');

    const monLog = capturingLogger();
    const monitor = await MonitorService.create({
      env: {},
      overrides: { host: '127.0.0.1', grpcPort: 0, httpPort: 0, natsUrl: nats.url, modelRepository: t.context.repo, stateDir: await mkdtemp(join(t.context.dir, 'monitor-')), ...creds(t, 'monitor') },
      logger: monLog.logger,
    });
    services.push(monitor);
    await waitFor(() => monitor.ready, 15_000, 'monitor ready (its consumers exist)');
    await waitFor(async () => (await jsm.consumers.info(STREAMS.predictions.name, 'mlmesh-monitor')).ack_floor.stream_seq === 5, 15_000, 'monitor consumed and acked the 5 logs');

    const rolloutLog = capturingLogger();
    const rollout = await RolloutService.create({
      env: {},
      overrides: { host: '127.0.0.1', grpcPort: 0, httpPort: 0, natsUrl: nats.url, modelRepository: t.context.repo, inferenceAddresses: [f.service.address], inferenceMetricsUrls: [`${f.http}/metrics`], tickMs: 200, ...creds(t, 'rollout') },
      logger: rolloutLog.logger,
    });
    services.push(rollout);
    await waitFor(() => rollout.ready, 15_000, 'rollout ready (KV mlmesh_rollouts attached)');
    const rollouts = await admin.jetstream().views.kv('mlmesh_rollouts');
    await waitFor(async () => (await rollouts.get('lease.controller')) !== null, 10_000, 'rollout wrote its lease');

    const retrainerLog = capturingLogger();
    const retrainer = await RetrainerService.create({
      env: {},
      overrides: { host: '127.0.0.1', grpcPort: 0, httpPort: 0, natsUrl: nats.url, modelRepository: t.context.repo, workDir: await mkdtemp(join(t.context.dir, 'retrainer-')), inferenceAddresses: [f.service.address], ...creds(t, 'retrainer') },
      logger: retrainerLog.logger,
    });
    services.push(retrainer);
    await waitFor(() => retrainer.ready, 15_000, 'retrainer ready (KV mlmesh_retrainer attached)');
    await waitFor(async () => (await jsm.consumers.info(STREAMS.events.name, 'retrainer').catch(() => undefined)) !== undefined, 10_000, 'the retrainer\'s durable consumer exists');
    t.truthy(await jsm.streams.info('KV_mlmesh_retrainer'));

    // Give the loops a few ticks, then: nobody was refused anything.
    await new Promise((r) => setTimeout(r, 1500));
    const refused = [...f.logs.map((l) => JSON.parse(l) as Record<string, unknown>), ...monLog.lines, ...rolloutLog.lines, ...retrainerLog.lines].filter((l) => /permissions violation|refused the credentials/i.test(String(l['msg'])));
    t.deepEqual(refused, [], 'no service was refused');
    t.deepEqual(violations(nats), [], 'the server logged no permissions violation');
  } finally {
    for (const s of services.reverse()) await s.drain();
    await f.stop();
  }
});

test.serial('nats auth - the reads that run later work with their users: a rollout step\'s consumers, a retraining dataset, the monitor\'s model events', async (t) => {
  const { admin, nats } = t.context;
  const js = admin.jetstream();
  await js.publish(SUBJECTS.modelEvent('digits_mlp'), encodeModelEvent({ model: 'digits_mlp', kind: 'route_changed', meta: { time_unix_ms: Date.now() } }));
  await js.publish(SUBJECTS.feedback('digits_mlp'), encodeFeedback({ model: 'digits_mlp', request_id: 'auth-0', label: '3' }));
  const rollout = await connectAs(t, 'rollout');
  const retrainer = await connectAs(t, 'retrainer');
  const monitor = await connectAs(t, 'monitor');
  try {
    const collector = await StepCollector.start(rollout.jetstream(), { model: 'digits_mlp', candidate: '2', baseline: '1', fromMs: 0, maxTracked: 1000, logger: quiet() });
    try {
      await waitFor(() => collector.readMessages >= 6, 10_000, 'the rollout step read the predictions and the feedback');
    } finally {
      collector.stop();
    }
    let predictions = 0;
    let labels = 0;
    await readStreamRange(retrainer, STREAMS.predictions.name, SUBJECTS.predictionsOf('digits_mlp'), 1, () => predictions++);
    await readStreamRange(retrainer, STREAMS.feedback.name, SUBJECTS.feedback('digits_mlp'), 1, () => labels++);
    t.true(predictions >= 5, `the retrainer read ${predictions} prediction logs`);
    t.is(labels, 1);
    const events = await readModelEvents(monitor, 'digits_mlp', 0);
    t.is(events.unavailable, undefined, String(events.unavailable));
    t.true(events.markers.length >= 1);
  } finally {
    await Promise.all([rollout.close(), retrainer.close(), monitor.close()]);
  }
  t.deepEqual(violations(nats), []);
});

test.serial('nats auth - a wrong password is refused visibly: the service logs the refusal and is not ready', async (t) => {
  const wrong = join(t.context.dir, 'wrong.password');
  await writeFile(wrong, 'not-the-password\n');
  const { logger, lines } = capturingLogger();
  const monitor = await MonitorService.create({
    env: {},
    overrides: { host: '127.0.0.1', grpcPort: 0, httpPort: 0, natsUrl: t.context.nats.url, modelRepository: t.context.repo, stateDir: await mkdtemp(join(t.context.dir, 'monitor-')), ...creds(t, 'monitor', { natsPasswordFile: wrong }) },
    logger,
  });
  try {
    await waitFor(() => lines.some((l) => l['msg'] === 'NATS refused the credentials: check natsUser and its password (or the token, nkey or creds file); retrying'), 10_000, 'the refusal logged');
    const line = lines.find((l) => String(l['msg']).startsWith('NATS refused the credentials'));
    t.is(line?.['level'], 'error');
    t.regex(String(line?.['err']), /Authorization Violation/i);
    t.false(JSON.stringify(lines).includes('not-the-password'), 'the password is never logged');
    t.false(JSON.stringify(lines).includes(t.context.passwords.monitor));
    t.false(monitor.ready);
    await new Promise((r) => setTimeout(r, 1500));
    t.is(lines.filter((l) => String(l['msg']).startsWith('NATS refused the credentials')).length, 1, 'logged once, not at every retry');
  } finally {
    await monitor.drain();
  }
});

test.serial('nats auth - no credentials, or another service\'s password: the connection is refused', async (t) => {
  const err = await t.throwsAsync(connect({ servers: t.context.nats.url, reconnect: false, timeout: 5000 }));
  t.regex(String((err as NatsError).code), /AUTHORIZATION_VIOLATION/);
  const other = await t.throwsAsync(connect({ servers: t.context.nats.url, user: 'inference', pass: t.context.passwords.monitor, reconnect: false, timeout: 5000 }));
  t.regex(String((other as NatsError).code), /AUTHORIZATION_VIOLATION/);
});

test.serial('nats auth - inference may not publish a retrain request: the publish fails with a permissions violation and the connection reports it', async (t) => {
  const nc = await connectAs(t, 'inference');
  const statuses: Status[] = [];
  void (async () => {
    for await (const s of nc.status()) statuses.push(s);
  })();
  try {
    const err = await t.throwsAsync(nc.jetstream().publish('mlmesh.events.retrain.digits_mlp', sc.encode('x'), { timeout: 3000 }));
    t.true(err instanceof NatsError && err.code === String(ErrorCode.PermissionsViolation), String(err));
    t.regex(err?.message ?? '', /Permissions Violation for Publish to "mlmesh\.events\.retrain\.digits_mlp"/);
    await waitFor(() => statuses.some((s) => String(s.type) === String(Events.Error)), 5000, 'the error status');
    // Allowed subjects still work on the same connection.
    const ack = await nc.jetstream().publish('mlmesh.predictions.digits_mlp.1', sc.encode('x'), { timeout: 3000 });
    t.is(ack.stream, STREAMS.predictions.name);
    // It cannot write a route either, nor read the monitor's replies.
    const store = await RouteStore.create(nc);
    const put = await t.throwsAsync(store.put({ model: 'digits_mlp', versions: [{ version: '1', weight: 100 }], sticky: 'none', written_by: 'inference?' }));
    t.regex(String(put?.message), /Permissions Violation for Publish to "\$KV\.mlmesh_routes\.digits_mlp"/);
    const sub = nc.subscribe('_INBOX_monitor.>');
    const subErr = await (async () => {
      try {
        for await (const m of sub) void m;
      } catch (e: unknown) {
        return e;
      }
      return undefined;
    })();
    t.regex(String(subErr), /Permissions Violation for Subscription to "_INBOX_monitor\.>"/);
  } finally {
    await nc.close();
  }
  t.true(violations(t.context.nats).some((l) => l.includes('mlmesh.events.retrain.digits_mlp')), 'the server logged it too');
});

test.serial('nats auth - a service connection logs a permissions violation as an error naming the subject', async (t) => {
  const { logger, lines } = capturingLogger();
  let nc: NatsConnection | undefined;
  const conn = connectInBackground({
    servers: t.context.nats.url,
    name: 'nats-auth-test',
    logger,
    connectOptions: natsConnectOptions(creds(t, 'monitor'), 'monitor'),
    onConnect: async (c) => {
      nc = c;
    },
  });
  try {
    await waitFor(() => conn.current !== undefined, 5000, 'connected');
    nc?.publish('mlmesh.predictions.digits_mlp.1', sc.encode('forged'));
    await waitFor(() => lines.some((l) => String(l['msg']).startsWith('NATS refused: permissions violation')), 5000, 'the violation logged');
    const line = lines.find((l) => String(l['msg']).startsWith('NATS refused'));
    t.is(line?.['level'], 'error');
    t.is(line?.['subject'], 'mlmesh.predictions.digits_mlp.1');
    t.is(line?.['operation'], 'publish');
  } finally {
    await conn.close();
  }
});

test.serial('nats auth - each user may use what its job needs and no more', async (t) => {
  const cases: Array<{ user: User; client?: string; allowed: string[]; refused: string[] }> = [
    { user: 'inference', allowed: ['mlmesh.predictions.m.1', 'mlmesh.events.model.m'], refused: ['mlmesh.feedback.m', 'mlmesh.events.drift.m', 'mlmesh.events.retrain.m', '$KV.mlmesh_rollouts.x'] },
    { user: 'monitor', allowed: ['mlmesh.events.drift.m', 'mlmesh.events.retrain.m', 'mlmesh.events.quality.m'], refused: ['mlmesh.predictions.m.1', 'mlmesh.feedback.m', 'mlmesh.events.model.m', '$KV.mlmesh_routes.m'] },
    { user: 'rollout', allowed: ['mlmesh.events.model.m', '$KV.mlmesh_routes.m', '$KV.mlmesh_rollouts.m'], refused: ['mlmesh.predictions.m.1', 'mlmesh.events.retrain.m', '$KV.mlmesh_retrainer.x'] },
    { user: 'retrainer', allowed: ['mlmesh.events.model.m', '$KV.mlmesh_routes.m', '$KV.mlmesh_retrainer.x'], refused: ['mlmesh.predictions.m.1', 'mlmesh.events.drift.m', '$KV.mlmesh_rollouts.m'] },
    { user: 'feedback', client: 'cli', allowed: ['mlmesh.feedback.m'], refused: ['mlmesh.predictions.m.1', 'mlmesh.events.retrain.m', '$KV.mlmesh_routes.m'] },
  ];
  const jsm = await t.context.admin.jetstreamManager();
  for (const kv of ['mlmesh_routes', 'mlmesh_rollouts', 'mlmesh_retrainer']) await t.context.admin.jetstream().views.kv(kv);
  for (const c of cases) {
    const nc = await connectAs(t, c.user, c.client);
    try {
      for (const s of c.allowed) await t.notThrowsAsync(nc.jetstream().publish(s, sc.encode('x'), { timeout: 3000 }), `${c.user} may publish ${s}`);
      for (const s of c.refused) {
        const err = await t.throwsAsync(nc.jetstream().publish(s, sc.encode('x'), { timeout: 3000 }), undefined, `${c.user} may not publish ${s}`);
        t.is((err as NatsError | undefined)?.code, String(ErrorCode.PermissionsViolation), `${c.user} → ${s}: ${String(err)}`);
      }
    } finally {
      await nc.close();
    }
  }
  // The stream of a service that reads only cannot be deleted by it.
  const nc = await connectAs(t, 'monitor');
  try {
    const err = await t.throwsAsync((await nc.jetstreamManager()).streams.delete(STREAMS.predictions.name));
    t.regex(String(err), /Permissions Violation|timeout/i);
    t.truthy(await jsm.streams.info(STREAMS.predictions.name), 'still there');
  } finally {
    await nc.close();
  }
});

test.serial('nats auth - the CLI connects with MLMESH_NATS_* credentials: admin reads routes, the feedback user sends labels and may not read routes', async (t) => {
  const { nats, files } = t.context;
  const as = (user: User): Record<string, string> => ({ NATS_URL: nats.url, MLMESH_NATS_USER: user, MLMESH_NATS_PASSWORD_FILE: files[user] });
  const get = await runCli(['routes', 'get', 'digits_mlp', '--json'], as('admin'));
  t.is(get.code, 0, get.stderr);
  t.like(JSON.parse(get.stdout[0] ?? 'null') as Record<string, unknown>, { model: 'digits_mlp' });
  const sent = await runCli(['feedback', '--model', 'digits_mlp', '--request-id', 'auth-1', '--label', '7'], as('feedback'));
  t.is(sent.code, 0, sent.stderr);
  const refused = await runCli(['routes', 'get', 'digits_mlp'], as('feedback'));
  t.is(refused.code, 1);
  t.regex(refused.stderr, /Permissions Violation/i);
  const anonymous = await runCli(['routes', 'get', 'digits_mlp'], { NATS_URL: nats.url });
  t.is(anonymous.code, 1);
  t.regex(anonymous.stderr, /NATS at nats:\/\/127\.0\.0\.1:\d+ refused the credentials \(.*Authorization Violation.*\): set MLMESH_NATS_USER/i);
  const contradictory = await runCli(['routes', 'get', 'digits_mlp'], { ...as('admin'), MLMESH_NATS_TOKEN: 'x' });
  t.is(contradictory.code, 2);
  t.regex(contradictory.stderr, /natsUser, natsToken: contradict each other/);
});

test('nats auth - contradictory or incomplete credentials stop the service at start, naming the options', async (t) => {
  const base = { host: '127.0.0.1', grpcPort: 0, httpPort: 0, natsUrl: 'nats://127.0.0.1:1', modelRepository: 'examples/models', stateDir: join(tmpdir(), 'unused') };
  const start = (o: Record<string, string>) => MonitorService.create({ env: {}, overrides: { ...base, ...o }, logger: quiet() });
  const file = join(tmpdir(), `mlmesh-nats-auth-${process.pid}.pw`);
  await writeFile(file, 'pw');
  try {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ natsUser: 'monitor' }, /natsPasswordFile: natsUser is set without natsPassword or natsPasswordFile/],
      [{ natsPasswordFile: file }, /natsUser: must be set with natsPassword or natsPasswordFile/],
      [{ natsUser: 'monitor', natsPassword: 'x', natsPasswordFile: file }, /natsPassword: and natsPasswordFile are both set/],
      [{ natsUser: 'monitor', natsPasswordFile: file, natsTokenFile: file }, /natsUser, natsTokenFile: contradict each other/],
      [{ natsCredsFile: file, natsNkeySeedFile: file }, /natsNkeySeedFile, natsCredsFile: contradict each other/],
      [{ natsToken: 't', natsTokenFile: file }, /natsToken: and natsTokenFile are both set/],
      [{ natsTlsCertFile: file }, /natsTlsKeyFile: must be set with natsTlsCertFile/],
      [{ natsTokenFile: '/nonexistent/token' }, /natsTokenFile: cannot read \/nonexistent\/token/],
    ];
    for (const [o, re] of cases) {
      const err = await t.throwsAsync(start(o), { instanceOf: ConfigError }, JSON.stringify(o));
      t.regex(err?.message ?? '', re);
      t.false((err?.message ?? '').includes('pw') && o['natsPassword'] !== undefined && (err?.message ?? '').includes(o['natsPassword']), 'no secret in the message');
    }
  } finally {
    await rm(file, { force: true });
  }
});

test('nats auth - the mesh-wide variables apply to every service, its own variable wins', async (t) => {
  
  const c = resolveMonitorConfig({ env: { MLMESH_NATS_USER: 'shared', MLMESH_NATS_PASSWORD_FILE: '/run/secrets/nats', MLMESH_MONITOR_NATS_USER: 'monitor', MLMESH_NATS_TLS_CA_FILE: '/etc/ca.crt' } });
  t.is(c.natsUser, 'monitor');
  t.is(c.natsPasswordFile, '/run/secrets/nats');
  t.is(c.natsTlsCaFile, '/etc/ca.crt');
  const o = natsConnectOptions({ ...c, natsPasswordFile: t.context.files.monitor, natsTlsCaFile: '' }, 'monitor');
  t.is(o.inboxPrefix, '_INBOX_monitor');
  t.is(typeof o.authenticator, 'function');
  t.is(o.tls, undefined);
  t.false('pass' in o, 'the password is read at connect, not kept in the options');
});
