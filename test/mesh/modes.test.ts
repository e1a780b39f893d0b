/**
 * The mesh's other ways to start and stop: `--only`, no NATS at all, ports already taken, a
 * service that cannot start, two supervisors on one folder, a supervisor that dies, a second
 * signal. Each test runs its own supervisor process on its own temp project.
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import test from 'ava';
import { InferInput, InferenceClient } from '../../shared/client/index.js';
import { healthCheck } from '../helpers/grpc.js';
import { alive, killAll, meshProcesses, meshProject, runMesh, until, waitUp } from '../helpers/mesh.js';
import { runNode } from '../helpers/process.js';

/** Holds a port on 127.0.0.1 until closed. */
async function occupy(): Promise<Server & { port: number }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(server, { port: (server.address() as AddressInfo).port });
}

/** No nats-server anywhere: PATH without it, and NATS_SERVER_BIN naming nothing. */
const NO_NATS_ENV = { PATH: '/nonexistent', NATS_SERVER_BIN: '/nonexistent/nats-server' };

test.serial('mesh --only - inference alone brings its NATS along; a taken natsPort makes the supervisor choose another and say so', async (t) => {
  const busy = await occupy();
  const project = await meshProject({ mesh: { natsPort: busy.port } });
  const mesh = runMesh(project, ['--only', 'inference']);
  t.teardown(async () => {
    busy.close();
    await mesh.dispose();
  });
  await waitUp(mesh);
  t.deepEqual(mesh.state().services.map((s) => s.name), ['nats', 'inference']);
  const nats = new URL(mesh.record('nats').grpc as string);
  t.not(Number(nats.port), busy.port);
  const said = mesh.records().find((r) => r['service'] === 'mesh' && String(r['msg']).startsWith(`port ${busy.port} is taken`));
  t.truthy(said, 'the supervisor says which port it chose');
  t.true(String(said?.['msg']).includes(`127.0.0.1:${nats.port}`));
  t.is(await healthCheck(mesh.record('inference').grpc as string), 'SERVING');
  t.is(await mesh.stop(), 0);
});

test.serial('mesh --only - features,preprocess start alone, without NATS', async (t) => {
  const mesh = runMesh(await meshProject(), ['--only', 'features,preprocess']);
  t.teardown(() => mesh.dispose());
  await waitUp(mesh);
  t.deepEqual(mesh.state().services.map((s) => s.name), ['features', 'preprocess']);
  t.is(mesh.state().natsMode, 'unneeded');
  for (const name of ['features', 'preprocess']) t.is(await healthCheck(mesh.record(name).grpc as string), 'SERVING');
  t.false(mesh.records().some((r) => r['service'] === 'nats'), 'no nats-server was started');
  t.is(await mesh.stop(), 0);
});

test.serial('mesh without NATS - no nats-server and no NATS_URL: inference, preprocess and features serve, the monitor is off, and a message says how to turn it on', async (t) => {
  const mesh = runMesh(await meshProject(), [], NO_NATS_ENV);
  t.teardown(() => mesh.dispose());
  await waitUp(mesh);
  const state = mesh.state();
  t.is(state.natsMode, 'none');
  t.is(state.natsUrl, null);
  t.deepEqual(state.services.map((s) => [s.name, s.state]), [['nats', 'off'], ['features', 'ready'], ['preprocess', 'ready'], ['inference', 'ready'], ['gateway', 'ready']]);
  const warning = mesh.records().find((r) => r['service'] === 'mesh' && r['level'] === 'warn' && String(r['msg']).startsWith('NO NATS'));
  t.truthy(warning);
  t.regex(String(warning?.['msg']), /WITHOUT prediction logging and WITHOUT the monitor/);
  t.regex(String(warning?.['msg']), /apt-get install nats-server/);
  t.regex(String(warning?.['msg']), /set NATS_URL/);
  t.regex(String(warning?.['msg']), /NATS_SERVER_BIN\) "\/nonexistent\/nats-server" is not an executable file/);
  using client = new InferenceClient(mesh.record('inference').grpc as string);
  const res = await client.infer('digits_mlp', [InferInput.from('input', new Float32Array(64), [1, 64])], { timeoutMs: 10_000 });
  t.is(res.asArray<Float32Array>('probabilities').length, 10);
  for (const name of ['features', 'preprocess', 'inference']) t.is(await healthCheck(mesh.record(name).grpc as string), 'SERVING', name);
  // status counts an absent NATS as off, not as a failure.
  const status = runNode('tools/mesh/main.js', ['status', '--config', mesh.project.configFile]);
  t.is(await status.exited, 0, status.stdout.join('\n'));
  t.regex(status.stdout.join('\n'), /^nats\s+-\s+off\s+off\s.*no NATS: prediction logging and the monitor are off/m);
  t.is(await mesh.stop(), 0);
});

test.serial('mesh without NATS - asking for the monitor by name is refused before anything starts', async (t) => {
  const project = await meshProject();
  t.teardown(() => project.remove());
  const up = runNode('tools/mesh/main.js', ['up', '--config', project.configFile, '--only', 'inference,monitor'], NO_NATS_ENV);
  t.is(await up.exited, 2);
  t.regex(up.stderr.join('\n'), /--only: monitor needs NATS, and there is none: .*apt-get install nats-server/);
  t.deepEqual(up.stdout.filter((l) => l.includes('starting')), []);
});

test.serial('mesh up - a configured port already in use stops the start before anything runs, naming the option and its variable', async (t) => {
  const busy = await occupy();
  const project = await meshProject({ inference: { grpcPort: busy.port } });
  t.teardown(async () => {
    busy.close();
    await project.remove();
  });
  const up = runNode('tools/mesh/main.js', ['up', '--config', project.configFile, '--log-format', 'json']);
  t.is(await up.exited, 2);
  t.regex(up.stderr.join('\n'), new RegExp(`inference\\.grpcPort \\(env MLMESH_INFERENCE_GRPC_PORT\\): port ${busy.port} on 127\\.0\\.0\\.1 is in use`));
  t.false(up.stdout.some((l) => /"msg":"starting /.test(l)), 'nothing was started');
});

test.serial('mesh up - a service that cannot start stops the start with its own error, and the services started before it are stopped', async (t) => {
  const project = await meshProject({ inference: { modelRepository: '/nonexistent/models' } });
  const up = runMesh(project, ['--only', 'features,preprocess,inference']);
  t.teardown(() => up.dispose());
  t.is(await up.child.exited, 1);
  const err = up.child.stderr.join('\n');
  t.regex(err, /mlmesh up: inference: exited with code 1 before it was healthy/);
  t.regex(err, /model repository '\/nonexistent\/models' does not exist/, 'the service’s own message is shown');
  const started = up.records().filter((r) => r['service'] === 'mesh' && / is healthy$/.test(String(r['msg'])));
  t.deepEqual(started.map((r) => String(r['msg']).split(' ')[0]), ['nats', 'features', 'preprocess']);
  t.deepEqual(await meshProcesses(project.varDir), [], 'no process of the mesh is left');
  t.is(up.state().state, 'stopped');
});

test.serial('mesh up - a second supervisor on the same var folder is refused while the first runs', async (t) => {
  const first = runMesh(await meshProject(), ['--only', 'features']);
  t.teardown(() => first.dispose());
  await waitUp(first);
  const second = runNode('tools/mesh/main.js', ['up', '--config', first.project.configFile, '--only', 'preprocess']);
  t.is(await second.exited, 1);
  t.regex(second.stderr.join('\n'), new RegExp(`a mesh is already running from .* \\(supervisor pid ${first.child.proc.pid}`));
  t.is(await healthCheck(first.record('features').grpc as string), 'SERVING', 'the first mesh is untouched');
  t.is(await first.stop(), 0);
});

test.serial('mesh up - when the supervisor dies by SIGKILL its services drain themselves; the next up stops the nats-server it left behind', async (t) => {
  const project = await meshProject();
  const first = runMesh(project, ['--only', 'inference']);
  // If the test fails half-way, nothing of either mesh may outlive it.
  t.teardown(() => killAll(project.varDir, first.child.proc.pid));
  await waitUp(first);
  const inference = first.record('inference').pid as number;
  const nats = first.record('nats').pid as number;
  process.kill(first.child.proc.pid as number, 'SIGKILL');
  await until(() => !alive(inference), 30_000, 'inference to exit after its stdin closed');
  t.true(alive(nats), 'nats-server does not watch its stdin');
  const second = runMesh(project, ['--only', 'inference']);
  t.teardown(() => second.dispose());
  await waitUp(second);
  t.true(second.records().some((r) => r['service'] === 'mesh' && String(r['msg']).startsWith(`stopping nats (pid ${nats}) left running by a supervisor that died`)));
  t.false(alive(nats));
  t.is(await healthCheck(second.record('inference').grpc as string), 'SERVING');
  t.is(await second.stop(), 0);
});

test.serial('mesh up - a second SIGTERM while draining kills every service at once (exit 130)', async (t) => {
  // A long drain delay keeps features draining (health NOT_SERVING, still serving) for a minute;
  // signalRepeatMs 0: the second signal is never taken for the first one delivered twice.
  const mesh = runMesh(await meshProject({ features: { drainDelayMs: 60_000 }, mesh: { signalRepeatMs: 0 } }), ['--only', 'features']);
  t.teardown(() => mesh.dispose());
  await waitUp(mesh);
  const pid = mesh.record('features').pid as number;
  mesh.child.proc.kill('SIGTERM');
  await mesh.child.waitForLog((r) => r['service'] === 'features' && r['msg'] === 'gRPC server draining', 30_000);
  mesh.child.proc.kill('SIGTERM');
  t.is(await mesh.child.exited, 130);
  t.true(mesh.records().some((r) => r['msg'] === 'SIGTERM again: killing every service now'));
  await until(() => !alive(pid), 10_000, 'features to be killed');
  await until(async () => (await meshProcesses(mesh.project.varDir)).length === 0, 10_000, 'no process of the mesh to be left');
  t.pass();
});

test.serial('mesh up - the same signal again within signalRepeatMs (a terminal Ctrl-C through npm start) is ignored: the mesh drains, it is not forced', async (t) => {
  // A window no loaded machine can miss; features drains for 3 s, so the second signal lands mid-drain.
  const mesh = runMesh(await meshProject({ mesh: { signalRepeatMs: 600_000 }, features: { drainDelayMs: 3000 } }), ['--only', 'features']);
  t.teardown(() => mesh.dispose());
  await waitUp(mesh);
  mesh.child.proc.kill('SIGINT');
  await mesh.child.waitForLog((r) => r['service'] === 'mesh' && String(r['msg']).startsWith('SIGINT: draining'), 30_000);
  mesh.child.proc.kill('SIGINT');
  t.is(await mesh.child.exited, 0);
  t.true(mesh.records().some((r) => /^SIGINT again within 600000 ms: ignored/.test(String(r['msg']))));
  t.true(mesh.records().some((r) => r['msg'] === 'mesh drained'));
});

test.serial('mesh up - bad command lines and config files exit 2 with a message naming the culprit', async (t) => {
  const project = await meshProject({ inferenc: { grpcPort: 0 } });
  t.teardown(() => project.remove());
  const cases: Array<[string[], RegExp]> = [
    [['--config', project.configFile], /mlmesh\.yaml: inferenc: unknown section \(known: mesh, features, preprocess, inference, monitor/],
    [['--only', 'infrence'], /--only: unknown service "infrence" \(known: nats, features/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--config', '/nonexistent/mlmesh.yaml'], /--config: \/nonexistent\/mlmesh\.yaml does not exist/],
  ];
  for (const [args, pattern] of cases) {
    const up = runNode('tools/mesh/main.js', ['up', ...args]);
    t.is(await up.exited, 2, args.join(' '));
    t.regex(up.stderr.join('\n'), pattern);
  }
  const typo = await meshProject({ inference: { grpcPrt: 9 } });
  t.teardown(() => typo.remove());
  const up = runNode('tools/mesh/main.js', ['up', '--config', typo.configFile]);
  t.is(await up.exited, 2);
  t.regex(up.stderr.join('\n'), /mlmesh\.yaml: inference\.grpcPrt: unknown option/);
});

test.serial('mesh up - SIGTERM while the mesh is still starting stops what started, starts nothing more, and exits 0', async (t) => {
  const mesh = runMesh(await meshProject());
  t.teardown(() => mesh.dispose());
  await mesh.child.waitForLog((r) => r['service'] === 'mesh' && r['msg'] === 'starting preprocess', 90_000);
  mesh.child.proc.kill('SIGTERM');
  t.is(await mesh.child.exited, 0, mesh.child.stderr.join('\n'));
  const m = mesh.records().filter((r) => r['service'] === 'mesh').map((r) => String(r['msg']));
  t.false(m.includes('starting inference'), 'nothing starts after the signal');
  t.false(m.includes('mesh up'));
  t.is(mesh.state().state, 'stopped');
  t.deepEqual(mesh.state().services.map((s) => s.name), ['nats', 'features', 'preprocess']);
  t.deepEqual(await meshProcesses(mesh.project.varDir), [], 'no process of the mesh is left');
});
