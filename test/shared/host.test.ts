/**
 * The service host (shared/host) on its own: a real gRPC service (the preprocess contract with
 * handlers written here) and real HTTP, driven through start, readiness, drain and close. The
 * resources are recorders: they stand for batchers, publishers and stores, which the service
 * tests drive for real.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import type * as grpc from '@grpc/grpc-js';
import { createClient, loadProtos, unaryCall } from '../../shared/grpc/index.js';
import { ServiceHost, defineService, hostOptions } from '../../shared/host/index.js';
import type { HostResource, ServiceHostState } from '../../shared/host/index.js';
import type { PreprocessServiceHandlers } from '../../shared/generated/mlmesh/preprocess/v1/PreprocessService.js';
import type { ListPipelinesResponse } from '../../shared/generated/mlmesh/preprocess/v1/ListPipelinesResponse.js';
import { createLogger } from '../../shared/logging/index.js';
import type { Logger } from '../../shared/logging/index.js';
import { stringOption } from '../../shared/config/index.js';
import { healthCheck } from '../helpers/grpc.js';
import { waitFor } from '../helpers/inference.js';
import { capturingLogger } from '../helpers/logs.js';

const PROTO = 'mlmesh/preprocess/v1/preprocess.proto';
const SERVICE = 'mlmesh.preprocess.v1.PreprocessService';
const pkg = loadProtos([PROTO]);
const OPTIONS = {
  ...hostOptions('probe', { grpcPort: 0, httpPort: 0, grpcServes: 'a test service' }, { drainDelayMs: ['PROBE_OLD_DRAIN_DELAY'] }),
  label: stringOption({ env: 'MLMESH_PROBE_LABEL', deprecatedEnv: ['PROBE_OLD_LABEL', 'PROBE_OLDER_LABEL'], default: 'none', doc: 'A label.' }),
};

interface Probe {
  host: ServiceHost;
  events: string[];
  /** Resolves the ListPipelines call that is waiting, if any. */
  release: () => void;
  ready: { value: boolean };
  serving: { value: boolean };
}

/** A host serving the preprocess contract; ListPipelines waits for `release()`. */
async function startProbe(opts: { resources?: HostResource[]; env?: NodeJS.ProcessEnv; logger?: Logger } = {}): Promise<Probe> {
  const events: string[] = [];
  let release: () => void = () => undefined;
  const ready = { value: true };
  const serving = { value: true };
  const notUsed = async (): Promise<never> => {
    throw new Error('not used by this test');
  };
  const host = await ServiceHost.create({
    name: 'probe',
    options: OPTIONS,
    env: opts.env ?? {},
    overrides: { grpcPort: 0, httpPort: 0 },
    logger: opts.logger ?? createLogger({ service: 'host-test', level: process.env['LOG_LEVEL'] ?? 'silent' }),
    protos: [PROTO],
    setup: (h) => {
      for (const r of opts.resources ?? []) h.use(r);
      return {
        service: h,
        services: [
          defineService<PreprocessServiceHandlers>(SERVICE, {
            Transform: notUsed,
            Fit: notUsed,
            GetPipeline: notUsed,
            ListPipelines: async (req) => {
              events.push('call:started');
              await new Promise<void>((r) => (release = r));
              events.push('call:answered');
              return { pipelines: [{ name: req.name }] };
            },
          }),
        ],
        ready: () => ready.value,
        serving: () => serving.value,
      };
    },
  });
  return { host, events, release: () => release(), ready, serving };
}

/** A resource that records its drain and close, and what /readyz answered meanwhile. */
function recorder(name: string, events: string[], http: () => string): HostResource {
  return {
    name,
    drain: async () => {
      const res = await fetch(`${http()}/readyz`).catch(() => undefined);
      events.push(`drain:${name}:readyz=${res?.status ?? 'down'}`);
    },
    close: () => {
      events.push(`close:${name}`);
    },
  };
}

function client(host: ServiceHost): grpc.Client {
  return createClient(pkg, SERVICE, host.address);
}

test('host - drain: /readyz turns 503 at once, the in-flight call is answered, then resources drain in reverse order of use() (readiness still 503), then HTTP closes', async (t) => {
  const events: string[] = [];
  let http = '';
  const resources = ['store', 'nats', 'publisher', 'batcher'].map((n) => recorder(n, events, () => http));
  const p = await startProbe({ resources });
  http = `http://127.0.0.1:${p.host.httpPort}`;
  t.is(p.host.state, 'serving' satisfies ServiceHostState);
  t.is((await fetch(`${http}/readyz`)).status, 200);
  const c = client(p.host);
  const call = unaryCall<{ name: string }, ListPipelinesResponse>(c, 'ListPipelines', { name: 'in-flight' }).then((r) => {
    events.push('client:answer');
    return r;
  });
  await waitFor(() => p.events.includes('call:started'), 10_000, 'the call to start');
  const drained = p.host.drain();
  t.is(p.host.drain(), drained, 'drain is idempotent: one promise');
  t.is(p.host.state, 'draining');
  // The call is still running: the host is waiting for it, and nothing has been drained yet.
  await waitFor(async () => (await fetch(`${http}/readyz`)).status === 503, 10_000, 'readiness to turn 503');
  t.deepEqual(events, []);
  p.release();
  t.deepEqual((await call).pipelines?.map((x) => x.name), ['in-flight']);
  await drained;
  t.is(p.host.state, 'closed');
  t.deepEqual(
    events.filter((e) => e !== 'client:answer'),
    ['drain:batcher:readyz=503', 'drain:publisher:readyz=503', 'drain:nats:readyz=503', 'drain:store:readyz=503'],
  );
  t.deepEqual([...p.events], ['call:started', 'call:answered']);
  await t.throwsAsync(fetch(`${http}/readyz`), undefined, 'the HTTP server is closed once drained');
  c.close();
});

test('host - readiness and health follow the service: /readyz 503 while not ready, gRPC health from serving()', async (t) => {
  const p = await startProbe();
  const http = `http://127.0.0.1:${p.host.httpPort}`;
  try {
    t.is(await healthCheck(p.host.address, SERVICE), 'SERVING');
    p.ready.value = false;
    p.serving.value = false;
    p.host.refreshHealth();
    t.is((await fetch(`${http}/readyz`)).status, 503);
    t.is((await fetch(`${http}/v2/health/ready`)).status, 503);
    t.is((await fetch(`${http}/healthz`)).status, 200, 'still live');
    t.is(await healthCheck(p.host.address, SERVICE), 'NOT_SERVING');
    t.is(await healthCheck(p.host.address, ''), 'NOT_SERVING');
    // Ready for HTTP but not serving gRPC (and the host re-derives health by itself, every second).
    p.ready.value = true;
    await waitFor(async () => (await fetch(`${http}/readyz`)).status === 200, 10_000, 'readiness back');
    t.is(await healthCheck(p.host.address, SERVICE), 'NOT_SERVING');
    p.serving.value = true;
    await waitFor(async () => (await healthCheck(p.host.address, SERVICE)) === 'SERVING', 10_000, 'health from the periodic refresh');
    t.pass();
  } finally {
    await p.host.drain();
  }
});

test('host - a setup that throws, or a gRPC port that is taken, leaves nothing open: what was registered is closed', async (t) => {
  const events: string[] = [];
  await t.throwsAsync(
    ServiceHost.create({
      name: 'probe',
      options: OPTIONS,
      env: {},
      overrides: { grpcPort: 0, httpPort: 0 },
      logger: createLogger({ service: 'host-test', level: 'silent' }),
      protos: [PROTO],
      setup: (h) => {
        h.use({ name: 'store', close: () => void events.push('close:store') });
        throw new Error('setup failed: no store');
      },
    }),
    { message: 'setup failed: no store' },
  );
  t.deepEqual(events, ['close:store']);

  const held = createServer();
  await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
  const heldPort = (held.address() as AddressInfo).port;
  events.length = 0;
  try {
    await t.throwsAsync(
      ServiceHost.create({
        name: 'probe',
        options: OPTIONS,
        env: {},
        overrides: { grpcPort: heldPort, httpPort: 0 },
        logger: createLogger({ service: 'host-test', level: 'silent' }),
        protos: [PROTO],
        setup: (h) => {
          h.use({ name: 'store', close: () => void events.push('close:store') });
          return { service: h, services: [] };
        },
      }),
      { message: /EADDRINUSE|No address added out of total 1 resolved/ },
    );
    t.deepEqual(events, ['close:store'], 'the store registered in setup is closed after the bind failed');
  } finally {
    held.close();
  }
});

test('host - close(): the in-flight call is cancelled and resources are closed, not drained', async (t) => {
  const events: string[] = [];
  const p = await startProbe({ resources: [recorder('store', events, () => 'http://127.0.0.1:1'), recorder('batcher', events, () => 'http://127.0.0.1:1')] });
  const c = client(p.host);
  const call = unaryCall(c, 'ListPipelines', { name: 'x' });
  await waitFor(() => p.events.includes('call:started'), 10_000, 'the call to start');
  await p.host.close();
  const err = await t.throwsAsync<grpc.ServiceError>(call);
  t.is(err?.code, 1, 'CANCELLED');
  t.deepEqual(events, ['close:batcher', 'close:store']);
  t.is(p.host.state, 'closed');
  p.release();
  c.close();
});

test('host - a resource that fails to drain does not keep the others open; drain rejects saying how many failed', async (t) => {
  const events: string[] = [];
  const failing: HostResource = {
    name: 'publisher',
    drain: () => {
      throw new Error('spool is read-only');
    },
  };
  const p = await startProbe({ resources: [recorder('store', events, () => 'http://127.0.0.1:1'), failing, recorder('batcher', events, () => 'http://127.0.0.1:1')] });
  const err = await t.throwsAsync(p.host.drain(), { instanceOf: AggregateError });
  t.regex(err?.message ?? '', /probe: 1 resource\(s\) failed to drain/);
  t.is((err).errors.length, 1);
  t.is(events.length, 2, events.join(','));
  t.is(p.host.state, 'closed');
});

test('host - every(): a failing periodic task is logged and runs again; it stops with the drain', async (t) => {
  const { logger, lines } = capturingLogger();
  const p = await startProbe({ logger });
  let runs = 0;
  p.host.every(5, () => {
    runs++;
    if (runs % 2 === 1) throw new Error(`tick ${runs} failed`);
  }, 'probe tick');
  await waitFor(() => runs >= 4, 10_000, 'four ticks');
  t.true(lines.some((l) => l['msg'] === 'probe tick failed' && l['err'] === 'tick 1 failed'));
  await p.host.drain();
  const after = runs;
  await new Promise((r) => setTimeout(r, 50));
  t.is(runs, after, 'no tick after the drain');
});

test('host - a former variable name still sets its option, with one warning naming the new one; the new name wins when both are set', async (t) => {
  const old = capturingLogger();
  const a = await startProbe({ logger: old.logger, env: { PROBE_OLD_LABEL: 'from-old', PROBE_OLD_DRAIN_DELAY: '5' } });
  t.is((a.host.config as unknown as { label: string }).label, 'from-old');
  t.is(a.host.config.drainDelayMs, 5);
  const warnings = old.lines.filter((l) => l['level'] === 'warn' && typeof l['variable'] === 'string');
  t.deepEqual(
    warnings.map((w) => [w['variable'], w['replacement']]),
    [
      ['PROBE_OLD_DRAIN_DELAY', 'MLMESH_PROBE_DRAIN_DELAY_MS'],
      ['PROBE_OLD_LABEL', 'MLMESH_PROBE_LABEL'],
    ],
  );
  t.regex(String(warnings[1]?.['msg']), /PROBE_OLD_LABEL is a former name: set MLMESH_PROBE_LABEL instead/);
  await a.host.drain();

  const both = capturingLogger();
  const b = await startProbe({ logger: both.logger, env: { MLMESH_PROBE_LABEL: 'new', PROBE_OLD_LABEL: 'old', PROBE_OLDER_LABEL: 'older' } });
  t.is((b.host.config as unknown as { label: string }).label, 'new');
  const ignored = both.lines.filter((l) => l['level'] === 'warn' && typeof l['variable'] === 'string');
  t.deepEqual(ignored.map((w) => w['variable']), ['PROBE_OLD_LABEL', 'PROBE_OLDER_LABEL'], 'one warning per variable');
  t.regex(String(ignored[0]?.['msg']), /PROBE_OLD_LABEL is a former name of MLMESH_PROBE_LABEL, which is set too and wins/);
  await b.host.drain();

  // Of two former names, the first listed wins.
  const c = await startProbe({ env: { PROBE_OLDER_LABEL: 'older', PROBE_OLD_LABEL: 'old' } });
  t.is((c.host.config as unknown as { label: string }).label, 'old');
  await c.host.drain();
});

test('host - logLevel: MLMESH_<SERVICE>_LOG_LEVEL wins over the mesh-wide MLMESH_LOG_LEVEL, which wins over the default', async (t) => {
  const level = async (env: NodeJS.ProcessEnv): Promise<string> => {
    const p = await startProbe({ env });
    const l = p.host.config.logLevel;
    await p.host.drain();
    return l;
  };
  t.is(await level({}), 'info');
  t.is(await level({ MLMESH_LOG_LEVEL: 'warn' }), 'warn');
  t.is(await level({ MLMESH_LOG_LEVEL: 'warn', MLMESH_PROBE_LOG_LEVEL: 'debug' }), 'debug');
});
