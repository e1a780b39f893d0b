/**
 * The mesh config and the log stream without processes: where the config file is found, how a
 * section is validated and resolved (environment over file), where state goes, which services
 * run and where NATS comes from; nats-server lookup; the two log formats.
 */
import { chmod, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import test from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { LogStream, MESH_OPTIONS, MeshConfigError, MeshUsageError, findConfigFile, parseFlags, parseNatsLogLine, planMesh, resolveNatsBinary, UP_FLAGS } from '../../tools/mesh/index.js';
import { describeOptions } from '../../shared/config/index.js';
import { readFileSync } from 'node:fs';

async function project(yaml: string): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-meshcfg-'));
  const file = join(dir, 'mlmesh.yaml');
  await writeFile(file, yaml);
  return { dir, file };
}

/** An executable nats-server stand-in in a fresh folder. */
async function fakeNats(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-fakebin-'));
  await writeFile(join(dir, 'nats-server'), '#!/bin/sh\nexit 0\n');
  await chmod(join(dir, 'nats-server'), 0o755);
  return dir;
}

const NO_NATS = { PATH: '/nonexistent' };

test('mesh config - the file is --config, else $MLMESH_CONFIG, else ./mlmesh.yaml, else the package’s own', async (t) => {
  const a = await project('mesh: {}\n');
  const b = await project('mesh: {}\n');
  t.teardown(() => Promise.all([rm(a.dir, { recursive: true }), rm(b.dir, { recursive: true })]));
  t.is(findConfigFile(a.file, { MLMESH_CONFIG: b.file }, b.dir), a.file);
  t.is(findConfigFile(undefined, { MLMESH_CONFIG: b.file }, a.dir), b.file);
  t.is(findConfigFile(undefined, {}, a.dir), a.file);
  t.is(findConfigFile(undefined, {}, tmpdir()), join(projectRoot(), 'mlmesh.yaml'));
  t.throws(() => findConfigFile('nope.yaml', {}, a.dir), { instanceOf: MeshConfigError, message: /--config: .*nope\.yaml does not exist/ });
});

test('mesh config - sections are validated with the services’ own specs; the environment wins over the file; a missing section is the defaults', async (t) => {
  const p = await project('inference:\n  grpcPort: 9101\n  startupModels: [digits_mlp]\nmonitor:\n  windowRows: 100\n');
  t.teardown(() => rm(p.dir, { recursive: true }));
  const plan = await planMesh({ configFile: p.file, env: { ...NO_NATS, MLMESH_INFERENCE_GRPC_PORT: '9201' }, cwd: p.dir });
  const inference = plan.services.find((s) => s.entry.name === 'inference');
  t.is(inference?.grpcPort, 9201, 'env over file');
  t.deepEqual(inference?.config['startupModels'], ['digits_mlp']);
  const features = plan.services.find((s) => s.entry.name === 'features');
  t.is(features?.grpcPort, 8021, 'no features section: its defaults');
  t.is(plan.projectDir, p.dir);
  t.is(plan.varDir, join(p.dir, 'var'));
  // State options left at their default follow the var folder.
  t.is(features?.config['sqlitePath'], join(p.dir, 'var', 'features', 'features.db'));
  t.is(inference?.config['spoolDir'], join(p.dir, 'var', 'spool', 'inference'));
  const moved = await planMesh({ configFile: p.file, varDir: join(p.dir, 'elsewhere'), env: NO_NATS, cwd: p.dir });
  t.is(moved.services.find((s) => s.entry.name === 'preprocess')?.config['artifactDir'], join(p.dir, 'elsewhere', 'preprocess', 'pipelines'));
  await t.throwsAsync(planMesh({ configFile: p.file, env: { ...NO_NATS, MLMESH_INFERENCE_GRPC_PORT: 'eighty' }, cwd: p.dir }), { message: /grpcPort \(env MLMESH_INFERENCE_GRPC_PORT\): expected a number/ });
});

test('mesh config - a bad section, option or value is refused naming it', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['monitr:\n  windowRows: 3\n', /monitr: unknown section/],
    ['preprocess:\n  artifactDirr: x\n', /preprocess\.artifactDirr: unknown option/],
    ['monitor:\n  windowRows: one\n', /windowRows \(in .*mlmesh\.yaml; env MLMESH_MONITOR_WINDOW_ROWS\): expected a number/],
    ['mesh:\n  natsPort: 70000\n', /natsPort .*must be <= 65535/],
    ['mesh:\n  services: [infrence]\n', /mesh\.services: unknown service "infrence"/],
    ['- a list\n', /top level must be an object/],
  ];
  for (const [yaml, pattern] of cases) {
    const p = await project(yaml);
    await t.throwsAsync(planMesh({ configFile: p.file, env: NO_NATS, cwd: p.dir }), { message: pattern }, yaml);
    await rm(p.dir, { recursive: true });
  }
  await t.throwsAsync(planMesh({ only: ['inference', 'nope'], env: NO_NATS }), { instanceOf: MeshUsageError, message: /--only: unknown service "nope"/ });
});

test('mesh config - NATS: NATS_URL is used as is; else a local nats-server when there is a binary; else none, and the monitor is left out', async (t) => {
  const bin = await fakeNats();
  t.teardown(() => rm(bin, { recursive: true }));
  const external = await planMesh({ env: { ...NO_NATS, NATS_URL: 'nats://10.1.2.3:4222' } });
  t.deepEqual(external.nats, { mode: 'external', url: 'nats://10.1.2.3:4222' });
  const local = await planMesh({ env: { PATH: bin } });
  t.deepEqual(local.nats, { mode: 'local', bin: join(bin, 'nats-server'), port: 4222 });
  t.true(local.services.some((s) => s.entry.name === 'monitor'));
  const none = await planMesh({ env: NO_NATS, natsFallbackDirs: [] });
  t.is(none.nats.mode, 'none');
  t.deepEqual(none.services.map((s) => s.entry.name), ['features', 'preprocess', 'inference', 'gateway']);
  t.deepEqual(none.skipped.find((s) => s.name === 'monitor'), { name: 'monitor', reason: 'needs NATS' });
  const unneeded = await planMesh({ only: ['features'], env: NO_NATS, natsFallbackDirs: [] });
  t.deepEqual(unneeded.nats, { mode: 'unneeded' });
  await t.throwsAsync(planMesh({ only: ['monitor'], env: NO_NATS, natsFallbackDirs: [] }), { instanceOf: MeshConfigError, message: /--only: monitor needs NATS, and there is none: no nats-server on PATH/ });
});

test('nats - the binary is NATS_SERVER_BIN, else nats-server on PATH, else the fallback folders (Debian’s /usr/sbin)', async (t) => {
  const onPath = await fakeNats();
  const fallback = await fakeNats();
  t.teardown(() => Promise.all([rm(onPath, { recursive: true }), rm(fallback, { recursive: true })]));
  t.deepEqual(resolveNatsBinary('', { PATH: `/nonexistent:${onPath}` }, [fallback]), { bin: join(onPath, 'nats-server') });
  t.deepEqual(resolveNatsBinary('', { PATH: '/nonexistent' }, [fallback]), { bin: join(fallback, 'nats-server') });
  t.deepEqual(resolveNatsBinary(join(fallback, 'nats-server'), { PATH: '' }, []), { bin: join(fallback, 'nats-server') });
  t.deepEqual(resolveNatsBinary('nats-server', { PATH: onPath }, []), { bin: join(onPath, 'nats-server') });
  t.regex((resolveNatsBinary('', { PATH: '/nonexistent' }, []) as { missing: string }).missing, /no nats-server on PATH/);
  t.regex((resolveNatsBinary('/nonexistent/nats', { PATH: onPath }, [fallback]) as { missing: string }).missing, /NATS_SERVER_BIN\) "\/nonexistent\/nats" is not an executable file/);
  const notExec = join(onPath, 'plain');
  await writeFile(notExec, 'x');
  t.true('missing' in resolveNatsBinary(notExec, {}, []), 'a file without the x bit is no binary');
  await mkdir(join(onPath, 'dir'));
  t.true('missing' in resolveNatsBinary(join(onPath, 'dir'), {}, []), 'nor is a folder');
});

test('nats - log lines become a level and a message', (t) => {
  t.deepEqual(parseNatsLogLine('[4711] 2026/12/01 14:21:23.273095 [INF] Server is ready'), { level: 'info', msg: 'Server is ready' });
  t.deepEqual(parseNatsLogLine('[4711] 2026/12/01 14:21:23.273095 [WRN] slow consumer'), { level: 'warn', msg: 'slow consumer' });
  t.deepEqual(parseNatsLogLine('[4711] 2026/12/01 14:21:23.273095 [FTL] Error listening on port'), { level: 'fatal', msg: 'Error listening on port' });
  t.deepEqual(parseNatsLogLine('something else'), { level: 'info', msg: 'something else' });
});

function capture(format: 'pretty' | 'json'): { log: LogStream; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  return { log: new LogStream({ out, format }), text: () => text };
}

test('log stream - JSON: a service’s pino line passes through unchanged; other lines are wrapped with service, stream and level', (t) => {
  const { log, text } = capture('json');
  const pino = '{"level":"info","time":"2026-12-01T14:21:23.000Z","service":"inference","pid":1,"msg":"inference service ready","models":["a"]}';
  log.child('inference', 'stdout', pino);
  log.child('inference', 'stderr', 'TypeError: boom');
  log.child('nats', 'stderr', '[1] 2026/12/01 14:21:23.273095 [ERR] no route');
  log.child('features', 'stdout', '{"level":"warn","msg":"from a logger without service"}');
  log.mesh('warn', 'inference was killed by SIGKILL: restart 1 in 500 ms', { delayMs: 500 });
  const lines = text().trimEnd().split('\n');
  t.is(lines[0], pino);
  const [, crash, nats, features, mesh] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.like(crash, { level: 'error', service: 'inference', stream: 'stderr', msg: 'TypeError: boom' });
  t.like(nats, { level: 'error', service: 'nats', msg: 'no route' });
  t.like(features, { level: 'warn', service: 'features', msg: 'from a logger without service' });
  t.like(mesh, { level: 'warn', service: 'mesh', delayMs: 500 });
  t.regex(String(crash?.['time']), /^\d{4}-\d\d-\d\dT/);
});

test('log stream - pretty: one aligned line per record, the service tag, the level, the message, then the other fields', (t) => {
  const { log, text } = capture('pretty');
  log.child('inference', 'stdout', '{"level":"info","time":"2026-12-01T14:21:23.456Z","service":"inference","pid":1,"msg":"inference service ready","address":"127.0.0.1:8001","models":["a","b"]}');
  log.child('nats', 'stderr', '[1] 2026/12/01 14:21:23.273095 [WRN] slow consumer');
  log.text('a table');
  const lines = text().split('\n');
  t.regex(lines[0] ?? '', /^\d\d:\d\d:\d\d\.456 inference {2}INFO {2}inference service ready {2}address=127\.0\.0\.1:8001 models=\["a","b"\]$/);
  t.regex(lines[1] ?? '', /^\d\d:\d\d:\d\d\.\d{3} nats {7}WARN {2}slow consumer$/);
  t.is(lines[2], 'a table');
  const json = capture('json');
  json.log.text('a table');
  t.is(json.text(), '', 'text (tables, banners) is for people: not in the JSON stream');
});

test('mesh flags - parsed from the table; unknown flags and missing values are usage errors', (t) => {
  t.like(parseFlags(UP_FLAGS, ['--only', 'a,b', '--log-format', 'json']), { only: 'a,b', 'log-format': 'json' });
  t.throws(() => parseFlags(UP_FLAGS, ['--onl', 'x']), { instanceOf: MeshUsageError, message: /Unknown option '--onl'/ });
  t.throws(() => parseFlags(UP_FLAGS, ['--only']), { instanceOf: MeshUsageError });
  t.throws(() => parseFlags(UP_FLAGS, ['extra']), { instanceOf: MeshUsageError });
});

test('docs - docs/mesh.md has the mesh options table the code describes', (t) => {
  const doc = readFileSync(join(projectRoot(), 'docs/mesh.md'), 'utf8');
  for (const row of describeOptions(MESH_OPTIONS).split('\n').slice(2)) t.true(doc.includes(row), `docs/mesh.md lacks or misstates: ${row}`);
});
