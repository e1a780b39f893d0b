/**
 * Shutdown while NATS is unreachable: the NATS connection must not keep a drained process alive
 * (nats.js keeps reconnecting for ever otherwise). The services run as real processes against a
 * private nats-server that is stopped before SIGTERM.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { createLogger } from '../../shared/logging/index.js';
import { connectInBackground } from '../../shared/nats/index.js';
import { Blackhole, socketsTo } from '../helpers/blackhole.js';
import { NatsServer } from '../helpers/nats-server.js';
import { copyRepository, waitFor } from '../helpers/inference.js';
import { runNode } from '../helpers/process.js';
import type { Child } from '../helpers/process.js';

interface Ctx {
  dirs: string[];
  children: Child[];
}
const test = anyTest as TestFn<Ctx>;
const logger = createLogger({ service: 'shutdown-test', level: process.env['LOG_LEVEL'] ?? 'silent' });
/** Bound for a failing test (a process that never exits), not a timing assertion. */
const EXIT_BOUND_MS = 60_000;

// An address that drops packets needs an iptables rule (root): probed once, the reason printed.
const probe = await Blackhole.create();
const noBlackhole = typeof probe === 'string' ? probe : undefined;
if (typeof probe !== 'string') await probe.remove();
if (noBlackhole) console.log(`shutdown tests with an address that drops packets skipped: ${noBlackhole}`);
const withBlackhole = noBlackhole ? test.skip : test;
/** SYN_SENT (`02`) sockets to the port: connect attempts that have not completed. */
const attempts = async (port: number): Promise<number> => (await socketsTo(port)).filter((s) => s === '02').length;

async function blackhole(t: { teardown(fn: () => Promise<void>): void }, port?: number): Promise<Blackhole> {
  const b = await Blackhole.create(port);
  if (typeof b === 'string') throw new Error(b);
  t.teardown(() => b.remove());
  return b;
}

test.beforeEach((t) => {
  t.context = { dirs: [], children: [] };
});
test.afterEach.always(async (t) => {
  for (const c of t.context.children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  for (const d of t.context.dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(t: { context: Ctx }, prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  t.context.dirs.push(d);
  return d;
}

/** The exit code, or a note that the process was still running after the bound. */
async function exitOf(child: Child): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<string>((r) => {
    timer = setTimeout(() => r(`still running ${EXIT_BOUND_MS} ms after SIGTERM`), EXIT_BOUND_MS);
  });
  try {
    return await Promise.race([child.exited, bound]);
  } finally {
    clearTimeout(timer);
  }
}

test('shutdown - connectInBackground.close() while NATS is down closes the connection: no reconnect loop is left', async (t) => {
  const nats = await NatsServer.start();
  const statuses: string[] = [];
  const conn = connectInBackground({ servers: nats.url, name: 'shutdown-test', logger, onConnect: async () => undefined, onStatus: (type) => statuses.push(type), retryMs: 100 });
  try {
    await waitFor(() => conn.current !== undefined, 10_000, 'connected');
    await nats.stop();
    await waitFor(() => statuses.includes('reconnecting'), 10_000, 'reconnect attempts');
    await conn.close();
    t.true(conn.current?.isClosed(), 'closed, not left reconnecting');
  } finally {
    await nats.dispose();
  }
});

test('shutdown - inference: SIGTERM while NATS is down drains (logs to the spool) and the process exits 0', async (t) => {
  const nats = await NatsServer.start();
  const repo = await copyRepository(['digits_mlp']);
  t.context.dirs.push(repo);
  const child = runNode('services/inference/main.js', [], {
    MLMESH_INFERENCE_GRPC_PORT: '0',
    MLMESH_INFERENCE_HTTP_PORT: '0',
    MLMESH_INFERENCE_MODEL_REPOSITORY: repo,
    MLMESH_LOG_LEVEL: 'info',
    NATS_URL: nats.url,
    MLMESH_INFERENCE_SPOOL_DIR: await tempDir(t, 'mlmesh-spool-'),
  });
  t.context.children.push(child);
  try {
    await child.waitForLog((r) => r['msg'] === 'NATS connected');
    await child.waitForLog((r) => r['msg'] === 'inference service ready');
    await nats.stop();
    await child.waitForLog((r) => r['msg'] === 'NATS status' && r['type'] === 'reconnecting');
    child.proc.kill('SIGTERM');
    t.is(await exitOf(child), 0);
    t.true(child.stdout.some((l) => l.includes('drained: exiting')));
  } finally {
    await nats.dispose();
  }
});

test('shutdown - inference: SIGTERM while NATS has never been reachable exits 0', async (t) => {
  const nats = await NatsServer.start();
  await nats.stop();
  const repo = await copyRepository(['digits_mlp']);
  t.context.dirs.push(repo);
  const child = runNode('services/inference/main.js', [], {
    MLMESH_INFERENCE_GRPC_PORT: '0',
    MLMESH_INFERENCE_HTTP_PORT: '0',
    MLMESH_INFERENCE_MODEL_REPOSITORY: repo,
    MLMESH_LOG_LEVEL: 'info',
    NATS_URL: nats.url,
    MLMESH_INFERENCE_SPOOL_DIR: await tempDir(t, 'mlmesh-spool-'),
  });
  t.context.children.push(child);
  try {
    await child.waitForLog((r) => r['msg'] === 'inference service ready');
    child.proc.kill('SIGTERM');
    t.is(await exitOf(child), 0);
  } finally {
    await nats.dispose();
  }
});

test('shutdown - monitor: SIGTERM while NATS is down drains and the process exits 0', async (t) => {
  const nats = await NatsServer.start();
  const repo = await copyRepository(['digits_mlp']);
  t.context.dirs.push(repo);
  const child = runNode('services/monitor/main.js', [], {
    MLMESH_MONITOR_GRPC_PORT: '0',
    MLMESH_MONITOR_HTTP_PORT: '0',
    MLMESH_MONITOR_MODEL_REPOSITORY: repo,
    MLMESH_MONITOR_STATE_DIR: await tempDir(t, 'mlmesh-monitor-'),
    MLMESH_LOG_LEVEL: 'info',
    NATS_URL: nats.url,
  });
  t.context.children.push(child);
  try {
    // The signal handler is installed once create() returns, before the connection is made.
    await child.waitForLog((r) => r['msg'] === 'NATS connected');
    await nats.stop();
    await child.waitForLog((r) => r['msg'] === 'NATS status' && r['type'] === 'reconnecting');
    child.proc.kill('SIGTERM');
    t.is(await exitOf(child), 0);
    t.true(child.stdout.some((l) => l.includes('drained: exiting')));
  } finally {
    await nats.dispose();
  }
});

withBlackhole('shutdown - connectInBackground.close() with NATS at an address that drops packets leaves no connect attempt open', async (t) => {
  const hole = await blackhole(t);
  const conn = connectInBackground({ servers: hole.url, name: 'shutdown-test', logger, onConnect: async () => undefined, retryMs: 100 });
  await waitFor(async () => (await attempts(hole.port)) > 0, 10_000, 'a connect attempt in SYN_SENT');
  await conn.close();
  // nats.js left each attempt's socket to the kernel's SYN timeout (~130 s), holding the process.
  t.is(await attempts(hole.port), 0, 'no socket still connecting after close()');
  t.is(conn.current, undefined);
});

withBlackhole('shutdown - connectInBackground.close() while reconnecting to an address that went dark leaves no connect attempt open', async (t) => {
  const nats = await NatsServer.start();
  const statuses: string[] = [];
  const conn = connectInBackground({ servers: nats.url, name: 'shutdown-test', logger, onConnect: async () => undefined, onStatus: (type) => statuses.push(type), retryMs: 100 });
  try {
    await waitFor(() => conn.current !== undefined, 10_000, 'connected');
    // A partition, then the server goes: the client reconnects into a void.
    await blackhole(t, nats.port);
    await nats.stop();
    await waitFor(() => statuses.includes('disconnect'), 10_000, 'disconnect');
    await waitFor(async () => (await attempts(nats.port)) > 0, 10_000, 'a reconnect attempt in SYN_SENT');
    await conn.close();
    t.true(conn.current?.isClosed());
    t.is(await attempts(nats.port), 0, 'no socket still connecting after close()');
  } finally {
    await nats.dispose();
  }
});

for (const service of ['inference', 'monitor'] as const) {
  withBlackhole(`shutdown - ${service}: SIGTERM with NATS at an address that drops packets exits 0`, async (t) => {
    const hole = await blackhole(t);
    const repo = await copyRepository(['digits_mlp']);
    t.context.dirs.push(repo);
    const env: Record<string, string> =
      service === 'inference'
        ? { MLMESH_INFERENCE_GRPC_PORT: '0', MLMESH_INFERENCE_HTTP_PORT: '0', MLMESH_SPOOL_DIR: await tempDir(t, 'mlmesh-spool-') }
        : { MLMESH_MONITOR_GRPC_PORT: '0', MLMESH_MONITOR_HTTP_PORT: '0', MLMESH_MONITOR_STATE_DIR: await tempDir(t, 'mlmesh-monitor-') };
    const child = runNode(`services/${service}/main.js`, [], { ...env, MLMESH_MODEL_REPOSITORY: repo, MLMESH_LOG_LEVEL: 'debug', NATS_URL: hole.url });
    t.context.children.push(child);
    await child.waitForLog((r) => r['msg'] === (service === 'inference' ? 'inference service ready' : 'gRPC server listening'));
    // Several attempts have timed out (each left a socket open before the fix) and one is in flight.
    await child.waitForLog((r) => r['msg'] === 'NATS not reachable yet, retrying');
    await waitFor(async () => (await attempts(hole.port)) > 0, 10_000, 'a connect attempt in SYN_SENT');
    child.proc.kill('SIGTERM');
    // Before the fix the last attempt's socket kept the process alive ~130 s (the kernel's SYN
    // timeout), past this bound; now it exits once drained.
    t.is(await exitOf(child), 0);
    t.true(child.stdout.some((l) => l.includes('drained: exiting')));
  });
}
