/**
 * docker-compose.yml and the image, checked without a Docker engine (there is none here):
 * `docker-compose config` must accept the file, and its resolved form must keep the promises of
 * docs/mesh.md — a healthcheck per service, depends_on only on real dependencies and on their
 * health, options that are the services' own, the same config file and host folders as
 * `npm start`, the model repository read-only. The probe the healthchecks run is tested against a
 * real service. Skipped (reason printed) where docker-compose is not installed; .ci/run installs it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import anyTest from 'ava';
import { parse } from 'yaml';
import { loadConfig, projectRoot } from '../../shared/config/index.js';
import { CATALOGUE, NATS, loadServiceOptions, natsFiles, serviceOfCommand } from '../../tools/mesh/index.js';
import { freePort } from '../helpers/mesh.js';
import { runNode } from '../helpers/process.js';

const root = projectRoot();
const run = promisify(execFile);

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: Array<{ published: number; target: number }>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const compose = await run('docker-compose', ['-f', join(root, 'docker-compose.yml'), 'config'], { cwd: root, env: { ...process.env, MLMESH_UID: '1000', MLMESH_GID: '1000' } }).then(
  (r) => ({ ok: true as const, services: (parse(r.stdout) as { services: Record<string, Service> }).services }),
  (e: unknown) => ({ ok: false as const, reason: (e as { code?: string }).code === 'ENOENT' ? 'docker-compose is not installed (apt-get install docker-compose)' : undefined, error: e }),
);
const skipReason = compose.ok ? undefined : compose.reason;
if (skipReason) console.log(`compose test skipped: ${skipReason}`);
const test = skipReason ? anyTest.skip : anyTest;
const services = compose.ok ? compose.services : {};
const mlmesh = CATALOGUE.filter((s) => existsSync(join(root, s.script)));

/** The container path a host path is mounted at, or undefined. `host` relative to the project. */
function mounts(svc: Service): Array<{ host: string; container: string; mode: string }> {
  return (svc.volumes ?? []).map((v) => {
    const [host, container, mode] = v.split(':') as [string, string, string | undefined];
    return { host: relative(root, host), container, mode: mode ?? 'rw' };
  });
}

/** The host path a container path comes from (through the bind mount holding it). */
function hostPathOf(svc: Service, containerPath: string): string | undefined {
  const m = mounts(svc).find((x) => containerPath === x.container || containerPath.startsWith(`${x.container}/`));
  return m ? join(m.host, containerPath.slice(m.container.length)) : undefined;
}

/** A service's options as its container resolves them: mlmesh.yaml (mounted) + its environment. */
async function effective(name: string): Promise<Record<string, unknown>> {
  const svc = services[name] as Service;
  const env = { ...svc.environment };
  checkConfigMount(svc);
  delete env['MLMESH_CONFIG'];
  const entry = mlmesh.find((s) => s.name === name);
  return loadConfig(await loadServiceOptions(entry as (typeof CATALOGUE)[number]), { file: join(root, 'mlmesh.yaml'), section: name, env });
}
function checkConfigMount(svc: Service): void {
  if (svc.environment?.['MLMESH_CONFIG'] !== '/etc/mlmesh/mlmesh.yaml' || !mounts(svc).some((m) => m.host === 'mlmesh.yaml' && m.container === '/etc/mlmesh/mlmesh.yaml' && m.mode === 'ro')) {
    throw new Error('the service does not read the mesh config (mlmesh.yaml mounted read-only as MLMESH_CONFIG)');
  }
}

test('compose - docker-compose config accepts the file; it runs NATS and every service that is built', (t) => {
  t.true(compose.ok, compose.ok ? '' : String((compose.error as Error).message));
  t.deepEqual(Object.keys(services).sort(), [NATS, ...mlmesh.map((s) => s.name)].sort());
});

test('compose - every service has a healthcheck; the mlmesh ones run the image’s probe for that very service', (t) => {
  for (const [name, svc] of Object.entries(services)) {
    const probe = svc.healthcheck?.test ?? [];
    t.is(probe[0], 'CMD', name);
    if (name === NATS) {
      t.true(probe.some((a) => a.endsWith(':8222/healthz')), 'nats: its monitoring /healthz (JetStream included)');
      continue;
    }
    t.deepEqual(probe.slice(1), ['node', 'dist/tools/mesh/healthcheck.js', name]);
    t.true(existsSync(join(root, probe[2] as string)), 'the probe is built into dist/');
    t.is(serviceOfCommand(svc.command ?? []), name, `${name}'s command runs ${name}`);
    t.true(existsSync(join(root, (svc.command ?? []).find((a) => a.endsWith('.js')) as string)), `${name}: the command runs a script the build produces`);
  }
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  t.regex(dockerfile, /^HEALTHCHECK .*CMD \["node", "dist\/tools\/mesh\/healthcheck\.js"\]$/m, 'the image probes the service PID 1 runs');
  t.true(dockerfile.includes('dist/services/inference/main.js'), 'the image’s default command is an entry point the build produces');
});

test('compose - depends_on names only real dependencies, each with condition service_healthy', (t) => {
  for (const entry of mlmesh) {
    const want = [...(entry.nats === 'none' ? [] : [NATS]), ...entry.dependsOn].sort();
    const deps = services[entry.name]?.depends_on ?? {};
    t.deepEqual(Object.keys(deps).sort(), want, entry.name);
    for (const d of Object.values(deps)) t.is(d.condition, 'service_healthy', entry.name);
  }
  t.deepEqual(services[NATS]?.depends_on ?? {}, {});
});

test('compose - each service reads mlmesh.yaml; its variables are its own options with valid values; the published ports are the ones it binds', async (t) => {
  for (const entry of mlmesh) {
    const svc = services[entry.name] as Service;
    const specs = await loadServiceOptions(entry);
    // A service's own variable, or the mesh-wide one it falls back to; never a former name.
    const known = new Set(Object.values(specs).flatMap((s) => [s.env, ...(s.fallbackEnv ? [s.fallbackEnv] : [])]));
    const former = new Set(Object.values(specs).flatMap((s) => s.deprecatedEnv ?? []));
    for (const key of Object.keys(svc.environment ?? {})) {
      if (key === 'MLMESH_CONFIG') continue;
      t.false(former.has(key), `${entry.name}: ${key} is a former name`);
      t.true(known.has(key), `${entry.name}: ${key} is not one of its options`);
    }
    const config = await effective(entry.name); // throws on a bad value
    t.is(config['host'], '0.0.0.0', `${entry.name} binds all interfaces in its container`);
    for (const port of [config['grpcPort'], config['httpPort']]) {
      t.true((svc.ports ?? []).some((p) => p.published === port && p.target === port), `${entry.name}: port ${String(port)} published`);
    }
    if (entry.natsOption) t.is(config[entry.natsOption], 'nats://nats:4222', `${entry.name} uses the compose NATS`);
  }
});

test('compose - state lives in the host folders npm start uses (./var/...), the model repository is mounted read-only (but by the retrainer, its writer), NATS keeps its store in var/nats/store', async (t) => {
  for (const entry of mlmesh) {
    const svc = services[entry.name] as Service;
    const config = await effective(entry.name);
    for (const [option, sub] of Object.entries(entry.statePaths)) {
      const inContainer = String(config[option]);
      t.is(hostPathOf(svc, inContainer), join('var', sub), `${entry.name}.${option} (${inContainer}) is the host's var/${sub}`);
      t.is(mounts(svc).find((m) => inContainer.startsWith(m.container))?.mode, 'rw');
    }
    // The retrainer is the repository's one writer (new versions, dataset snapshots); every other
    // service mounts it read-only.
    const writer = entry.name === 'retrainer';
    if ('modelRepository' in config) {
      const repo = mounts(svc).find((m) => m.container === config['modelRepository']);
      t.is(repo?.host, 'examples/models', `${entry.name} reads the example repository`);
      t.is(repo?.mode, writer ? 'rw' : 'ro', `${entry.name} mounts the model repository ${writer ? 'read-write' : 'read-only'}`);
    }
    if (!writer) t.false(mounts(svc).some((m) => m.host.startsWith('examples/models') && m.mode !== 'ro'), entry.name);
  }
  const nats = services[NATS] as Service;
  const store = (nats.command ?? [])[(nats.command ?? []).indexOf('-sd') + 1] as string;
  t.is(hostPathOf(nats, store), relative(root, natsFiles(join(root, 'var')).storeDir), 'the same JetStream store as the mesh’s own nats-server');
  t.regex(nats.image ?? '', /^nats:2\.9/, 'the nats-server minor Debian ships, so the host can read the store');
});

test('healthcheck - exits 0 for a healthy service on the ports its options give, 1 when nothing answers there', async (t) => {
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const env = { MLMESH_PREPROCESS_GRPC_PORT: String(grpcPort), MLMESH_PREPROCESS_HTTP_PORT: String(httpPort), MLMESH_PREPROCESS_ARTIFACT_DIR: join(root, '.tmp', `hc-${process.pid}`) };
  const svc = runNode('services/preprocess/main.js', [], env);
  t.teardown(async () => {
    svc.proc.kill('SIGKILL');
    await rm(env.MLMESH_PREPROCESS_ARTIFACT_DIR, { recursive: true, force: true });
  });
  await svc.waitForLog((r) => r['msg'] === 'preprocess service ready');
  const ok = runNode('tools/mesh/healthcheck.js', ['preprocess'], env);
  t.is(await ok.exited, 0, ok.stderr.join('\n'));
  t.regex(ok.stdout.join('\n'), new RegExp(`preprocess: gRPC health SERVING, http://127\\.0\\.0\\.1:${httpPort}/readyz 200`));
  const other = await freePort();
  const bad = runNode('tools/mesh/healthcheck.js', ['preprocess'], { ...env, MLMESH_PREPROCESS_GRPC_PORT: String(other) });
  t.is(await bad.exited, 1);
  t.regex(bad.stderr.join('\n'), /preprocess: gRPC health UNREACHABLE/);
  t.is(serviceOfCommand(['node', '--enable-source-maps', 'dist/services/monitor/main.js']), 'monitor');
  t.is(serviceOfCommand(['node', 'dist/tools/cli.js']), undefined);
});
