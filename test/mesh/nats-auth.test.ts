/**
 * `mlmesh up --nats-auth`: the real supervisor runs its nats-server with the shipped account
 * (one user per service), inference and the monitor connect as their users, the CLI as admin
 * with the variables the supervisor wrote, and an anonymous client is refused.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { connect } from 'nats';
import { InferInput, InferenceClient } from '../../shared/client/index.js';
import { STREAMS } from '../../shared/events/index.js';
import { meshProject, runMesh, until, waitUp } from '../helpers/mesh.js';
import type { MeshRun } from '../helpers/mesh.js';
import { runCli } from '../helpers/process.js';

let mesh: MeshRun;

test.before(async () => {
  mesh = runMesh(await meshProject(), ['--nats-auth', '--only', 'inference,monitor']);
  await waitUp(mesh);
});

test.after.always(async () => {
  await mesh?.dispose();
});

/** The variables of `<varDir>/nats/cli.env`. */
function cliEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(mesh.project.varDir, 'nats', 'cli.env'), 'utf8').split('\n')) {
    const m = /^export (\w+)=(.*)$/.exec(line);
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}

test.serial('mesh nats auth - services connect as their users: a prediction is logged and the monitor acks it; anonymous clients are refused', async (t) => {
  const natsUrl = mesh.record('nats').grpc as string;
  const env = cliEnv();
  t.is(env['MLMESH_NATS_USER'], 'admin');
  for (const f of ['cli.env', 'secrets/admin.password', 'secrets/inference.password']) t.is(statSync(join(mesh.project.varDir, 'nats', f)).mode & 0o777, 0o600, f);
  await t.throwsAsync(connect({ servers: natsUrl, reconnect: false, timeout: 3000 }), { message: /Authorization Violation/i });
  using client = new InferenceClient(mesh.record('inference').grpc as string, { retry: false });
  await client.infer('digits_mlp', [InferInput.from('input', new Float32Array(64), [1, 64])]);
  const nc = await connect({ servers: natsUrl, user: 'admin', pass: readFileSync(env['MLMESH_NATS_PASSWORD_FILE'] as string, 'utf8').trim() });
  try {
    const jsm = await nc.jetstreamManager();
    await until(async () => (await jsm.streams.info(STREAMS.predictions.name)).state.messages >= 1, 15_000, 'the prediction logged');
    await until(async () => (await jsm.consumers.info(STREAMS.predictions.name, 'mlmesh-monitor').catch(() => undefined))?.ack_floor.stream_seq === 1, 15_000, 'the monitor acked it');
  } finally {
    await nc.close();
  }
  const cli = await runCli(['routes', 'get', 'digits_mlp'], { NATS_URL: natsUrl, ...env });
  t.is(cli.code, 1);
  t.regex(cli.stderr, /has no route/, 'the CLI got in (and found no route)');
  const refused = mesh.records().filter((r) => /permissions violation|refused the credentials/i.test(String(r['msg'])));
  t.deepEqual(refused, []);
});
