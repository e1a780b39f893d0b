/**
 * The whole mesh on one machine, as `npm start` runs it: the real supervisor process, a real
 * nats-server it starts itself, and the seven services as child processes on free ports. One mesh
 * serves the tests of this file in order; the last one drains it.
 */
import test from 'ava';
import { FeaturesClient, InferInput, InferenceClient, MonitorClient, PreprocessClient } from '../../shared/client/index.js';
import { readNpy } from '../../shared/tensors/index.js';
import { natsInfo } from '../../tools/mesh/index.js';
import { healthCheck } from '../helpers/grpc.js';
import { alive, meshProcesses, meshProject, runMesh, until, waitUp } from '../helpers/mesh.js';
import type { MeshRun } from '../helpers/mesh.js';
import { runNode } from '../helpers/process.js';
import { join } from 'node:path';
import { projectRoot } from '../../shared/config/index.js';

const SERVICES = ['features', 'preprocess', 'inference', 'monitor', 'gateway', 'rollout', 'retrainer'] as const;
let mesh: MeshRun;

test.before(async () => {
  mesh = runMesh(await meshProject());
  await waitUp(mesh);
});

test.after.always(async () => {
  await mesh?.dispose();
});

const digits = readNpy(join(projectRoot(), 'test/fixtures/drift/digits_clean.npy'));
const labels = new BigInt64Array(new Uint8Array(readNpy(join(projectRoot(), 'test/fixtures/drift/digits_clean_labels.npy')).data).buffer);

/** Predicts the first `n` clean held-out digits on `address`; returns how many are right. */
async function predict(address: string, n: number): Promise<number> {
  using client = new InferenceClient(address);
  const pixels = new Float32Array(digits.data.buffer, digits.data.byteOffset, n * 64);
  const res = await client.infer('digits_mlp', [InferInput.from('input', pixels.slice(), [n, 64])], { timeoutMs: 10_000 });
  const p = res.asArray<Float32Array>('probabilities');
  let right = 0;
  for (let r = 0; r < n; r++) {
    const row = Array.from(p.subarray(r * 10, r * 10 + 10));
    if (row.indexOf(Math.max(...row)) === Number(labels[r])) right++;
  }
  return right;
}

function msgs(): string[] {
  return mesh.records().filter((r) => r['service'] === 'mesh').map((r) => String(r['msg']));
}

test.serial('mesh up - the OS sees exactly the processes the state file names', async (t) => {
  t.deepEqual((await meshProcesses(mesh.project.varDir)).sort(), mesh.state().services.map((s) => s.pid as number).sort());
});

test.serial('mesh up - NATS first, then features, preprocess, inference, monitor, gateway, rollout, retrainer, each healthy before the next starts', (t) => {
  const m = msgs();
  const order = ['nats', ...SERVICES];
  for (let i = 0; i < order.length; i++) {
    const healthy = m.indexOf(`${order[i]} is healthy`);
    t.true(healthy >= 0, `${order[i]} became healthy: ${m.join(' | ')}`);
    const next = order[i + 1];
    if (next) t.true(m.indexOf(`starting ${next}`) > healthy, `${next} starts after ${order[i]} is healthy`);
  }
  const state = mesh.state();
  t.is(state.state, 'running');
  t.is(state.natsMode, 'local');
  t.deepEqual(state.services.map((s) => s.name), order);
  for (const s of state.services) {
    t.is(s.state, 'ready', s.name);
    t.true(alive(s.pid), `${s.name} pid ${s.pid} is alive`);
  }
  // The "mesh up" line carries the status table: every service with its addresses.
  const up = mesh.records().find((r) => r['msg'] === 'mesh up') as { services: Array<{ name: string; grpc: string; http: string | null }> };
  t.deepEqual(up.services.map((s) => s.name), order);
  for (const s of up.services.slice(1)) {
    t.regex(s.grpc, /^127\.0\.0\.1:\d+$/);
    t.regex(s.http ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  }
});

test.serial('mesh up - every service answers on the address the state file gives, and prediction logs reach the monitor through the mesh NATS', async (t) => {
  for (const name of SERVICES) t.is(await healthCheck(mesh.record(name).grpc as string), 'SERVING', name);
  for (const name of SERVICES) t.is((await fetch(`${String(mesh.record(name).http)}/readyz`)).status, 200, `${name} /readyz`);
  const nats = new URL(mesh.record('nats').grpc as string);
  const info = await natsInfo(nats.hostname, Number(nats.port), 2000);
  t.true(info.jetstream, 'the mesh nats-server runs JetStream');
  for (let i = 0; i < 3; i++) t.true((await predict(mesh.record('inference').grpc as string, 20)) >= 18, 'digits_mlp predicts held-out digits');
  using features = new FeaturesClient(mesh.record('features').grpc as string);
  t.deepEqual((await features.listFeatures({})).features, []);
  using pre = new PreprocessClient(mesh.record('preprocess').grpc as string);
  t.deepEqual((await pre.listPipelines({})).pipelines, []);
  // 60 rows predicted above: the monitor consumed their logs from the NATS the supervisor started.
  using monitor = new MonitorClient(mesh.record('monitor').grpc as string);
  await until(async () => Number((await monitor.getStatus({ model: 'digits_mlp' }).catch(() => undefined))?.versions[0]?.open_window_rows ?? 0) >= 60, 60_000, 'the monitor to see 60 rows');
  t.pass();
});

test.serial('mesh up - one log stream: every stdout line is JSON tagged with the service that wrote it', (t) => {
  const seen = new Set<string>();
  for (const line of mesh.child.stdout) {
    const rec = JSON.parse(line) as Record<string, unknown>;
    t.is(typeof rec['service'], 'string', line);
    t.is(typeof rec['msg'], 'string', line);
    seen.add(rec['service'] as string);
  }
  t.deepEqual([...seen].sort(), ['features', 'gateway', 'inference', 'mesh', 'monitor', 'nats', 'preprocess', 'retrainer', 'rollout']);
  // nats-server's text log became records with a level.
  t.true(mesh.records().some((r) => r['service'] === 'nats' && r['msg'] === 'Server is ready' && r['level'] === 'info'));
});

test.serial('mesh status - health, versions and addresses of the running mesh (table and --json)', async (t) => {
  const json = runNode('tools/mesh/main.js', ['status', '--config', mesh.project.configFile, '--json']);
  t.is(await json.exited, 0, json.stderr.join('\n'));
  const report = JSON.parse(json.stdout.join('\n')) as { running: boolean; supervisor: { pid: number }; services: Array<{ name: string; health: string; grpc: string; version: string; detail: string }> };
  t.true(report.running);
  t.is(report.supervisor.pid, mesh.child.proc.pid as number);
  t.deepEqual(report.services.map((s) => [s.name, s.health]), ['nats', ...SERVICES].map((n) => [n, 'SERVING']));
  const by = Object.fromEntries(report.services.map((s) => [s.name, s]));
  t.regex(by['nats']?.version ?? '', /^nats-server 2\.\d+\.\d+$/);
  t.is(by['inference']?.version, 'mlmesh 0.1.0');
  t.regex(by['inference']?.detail ?? '', /1 model versions ready: digits_mlp@1/);
  t.is(by['inference']?.grpc, mesh.record('inference').grpc ?? undefined);
  t.regex(by['monitor']?.detail ?? '', /1 model versions watched/);
  t.regex(by['gateway']?.version ?? '', /^mlmesh-gateway 0\.1\.0$/);
  t.regex(by['gateway']?.detail ?? '', /^0 deployments$/);
  t.is(by['rollout']?.detail, '0 active rollouts');
  t.is(by['retrainer']?.detail, '0 active runs; 0 runs kept');
  const table = runNode('tools/mesh/main.js', ['status', '--config', mesh.project.configFile]);
  t.is(await table.exited, 0);
  const text = table.stdout.join('\n');
  for (const name of ['nats', ...SERVICES]) t.regex(text, new RegExp(`^${name}\\s+\\d+\\s+ready\\s+SERVING\\s+${(mesh.record(name).grpc as string).replace(/[.]/g, '\\.')}`, 'm'));
});

test.serial('mesh up - a service killed with SIGKILL is restarted after a backoff, the restart is logged, and it answers again on the same address', async (t) => {
  const before = mesh.record('inference');
  process.kill(before.pid as number, 'SIGKILL');
  const crash = await mesh.child.waitForLog((r) => r['service'] === 'mesh' && /^inference was killed by SIGKILL: restart 1 in \d+ ms$/.test(String(r['msg'])), 30_000);
  t.is(crash['delayMs'], 200, 'the first restart waits restartDelayMs');
  await mesh.child.waitForLog((r) => r['msg'] === 'inference is healthy again after restart 1', 90_000);
  // The state file is rewritten right after the line is logged.
  await until(() => mesh.record('inference').state === 'ready', 10_000, 'the state file to say ready');
  const after = mesh.record('inference');
  t.not(after.pid, before.pid);
  t.is(after.restarts, 1);
  t.is(after.state, 'ready');
  t.is(after.grpc, before.grpc, 'the same address: the port was kept');
  t.is(after.lastExit?.signal, 'SIGKILL');
  t.true((await predict(after.grpc as string, 10)) >= 9);
  // Only inference was restarted.
  for (const name of ['nats', 'features', 'preprocess', 'monitor']) t.is(mesh.record(name).restarts, 0, name);
});

test.serial('mesh up - SIGTERM drains in reverse dependency order (retrainer first, NATS last), every child exits 0, the supervisor exits 0', async (t) => {
  const pids = mesh.state().services.map((s) => s.pid);
  t.is(await mesh.stop(), 0, mesh.child.stderr.join('\n'));
  const m = msgs().filter((x) => x.startsWith('stopping '));
  t.deepEqual(m.map((x) => x.split(' ')[1]), ['retrainer', 'rollout', 'gateway', 'monitor', 'inference', 'preprocess', 'features', 'nats']);
  const stopped = mesh.records().filter((r) => r['service'] === 'mesh' && / stopped$/.test(String(r['msg'])));
  t.deepEqual(stopped.map((r) => [String(r['msg']).split(' ')[0], r['outcome'], r['exitCode']]), ['retrainer', 'rollout', 'gateway', 'monitor', 'inference', 'preprocess', 'features', 'nats'].map((n) => [n, 'exited', 0]));
  for (const pid of pids) t.false(alive(pid), `pid ${pid} is gone`);
  t.deepEqual(await meshProcesses(mesh.project.varDir), [], 'no process of the mesh is left');
  t.is(mesh.state().state, 'stopped');
  const status = runNode('tools/mesh/main.js', ['status', '--config', mesh.project.configFile]);
  t.is(await status.exited, 3);
  t.regex(status.stdout.join('\n'), /no mesh is running/);
});
