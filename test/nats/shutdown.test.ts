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
