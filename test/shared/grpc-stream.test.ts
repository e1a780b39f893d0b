import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import test from 'ava';
import { InvalidArgumentError } from '../../shared/errors/index.js';
import { GrpcServer, PROTO_LOADER_OPTIONS, createClient, serviceDefinition } from '../../shared/grpc/index.js';
import type { ServerStreamHandler } from '../../shared/grpc/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { createRegistry } from '../../shared/metrics/index.js';
import { projectRoot } from '../../shared/config/index.js';

const pkg = protoLoader.loadSync(join(projectRoot(), 'test/fixtures/protos/stream_test.proto'), PROTO_LOADER_OPTIONS);
const NAME = 'mlmesh.test.v1.StreamTest';

interface CountRequest { n: number; fail_after: number; payload_bytes: number }

let drainingSeen = 0;
const count: ServerStreamHandler<CountRequest> = async (req, ctx, send) => {
  for (let i = 0; req.n < 0 || i < req.n; i++) {
    if (req.fail_after > 0 && i === req.fail_after) throw new InvalidArgumentError('fail_after reached');
    if (ctx.draining.aborted) {
      drainingSeen++;
      return;
    }
    await send({ i, payload: Buffer.alloc(req.payload_bytes) });
    if (req.n < 0) await new Promise((r) => setTimeout(r, 5));
  }
};

async function start(): Promise<{ server: GrpcServer; client: grpc.Client }> {
  const server = await GrpcServer.create({
    port: 0,
    services: [{ name: NAME, definition: serviceDefinition(pkg, NAME), handlers: {}, streamHandlers: { Count: count }, roles: { Count: 'read' } }],
    packageDefinition: pkg,
    logger: createLogger({ service: 'test', level: 'silent' }),
    registry: createRegistry({ service: 'test', processMetrics: false }),
  });
  server.setServing(true);
  return { server, client: createClient(pkg, NAME, `127.0.0.1:${server.port}`) };
}

function collect(client: grpc.Client, req: Partial<CountRequest>, onFirst?: () => void): Promise<{ items: number[]; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    const items: number[] = [];
    const call = (client as unknown as { Count: (r: unknown) => grpc.ClientReadableStream<{ i: number }> }).Count(req);
    call.on('data', (m: { i: number }) => {
      items.push(m.i);
      if (items.length === 1) onFirst?.();
    });
    call.on('error', (error: grpc.ServiceError) => resolve({ items, error }));
    call.on('end', () => resolve({ items }));
  });
}

test('grpc stream - sends every message in order, with backpressure, then ends OK', async (t) => {
  const { server, client } = await start();
  // 2,000 × 64 KiB outruns the transport's buffers, so send() must wait for drain.
  const { items, error } = await collect(client, { n: 2000, payload_bytes: 65536 });
  t.is(error, undefined);
  t.deepEqual(items, Array.from({ length: 2000 }, (_, i) => i));
  client.close();
  await server.drain();
});

test('grpc stream - a handler error ends the stream with its status after the messages sent', async (t) => {
  const { server, client } = await start();
  const { items, error } = await collect(client, { n: 10, fail_after: 3 });
  t.deepEqual(items, [0, 1, 2]);
  t.is(error?.code, grpc.status.INVALID_ARGUMENT);
  t.regex(error?.details ?? '', /fail_after/);
  client.close();
  await server.drain();
});

test('grpc stream - a drain ends open-ended streams instead of waiting for the grace period', async (t) => {
  const { server, client } = await start();
  let first: () => void = () => {};
  const started = new Promise<void>((r) => (first = r));
  const pending = collect(client, { n: -1 }, () => first());
  await started;
  const before = drainingSeen;
  const t0 = Date.now();
  await server.drain();
  const { items, error } = await pending;
  // The grace period is 10 s: a drain that waited for it would take that long.
  t.true(Date.now() - t0 < 8000, 'drain waited for the grace period');
  t.is(error, undefined);
  t.true(items.length > 0);
  t.is(drainingSeen, before + 1);
  client.close();
});

test('grpc stream - a client cancel aborts the handler', async (t) => {
  const { server, client } = await start();
  const call = (client as unknown as { Count: (r: unknown) => grpc.ClientReadableStream<unknown> }).Count({ n: -1 });
  await new Promise<void>((r) => call.once('data', () => r()));
  call.on('error', () => {});
  call.cancel();
  const end = Date.now() + 10_000;
  while (server.inflightCalls > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  t.is(server.inflightCalls, 0);
  client.close();
  await server.drain();
});
