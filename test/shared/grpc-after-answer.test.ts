/**
 * `CallContext.afterAnswer`: work that runs once a call's answer is out, and never for a call
 * that failed or ended before its answer (cancelled, deadline). A real grpc-js server and client
 * over loopback, on the Open Inference Protocol's service (its handlers are stubs here).
 */
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { GrpcServer, createClient, loadProtos, serviceDefinition, unaryCall } from '../../shared/grpc/index.js';
import type { CallContext, UnaryHandler } from '../../shared/grpc/index.js';
import { InvalidArgumentError } from '../../shared/errors/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { createRegistry } from '../../shared/metrics/index.js';
import { waitFor } from '../helpers/inference.js';

const pkg = loadProtos(['inference/grpc_service.proto']);
const NAME = 'inference.GRPCInferenceService';

async function start(ran: string[], fast: boolean, lateReturned?: () => void): Promise<{ server: GrpcServer; client: grpc.Client }> {
  const definition = serviceDefinition(pkg, NAME);
  const handlers: Record<string, UnaryHandler> = Object.fromEntries(Object.keys(definition).map((m) => [m, async () => ({})]));
  // Answered: the work runs.
  handlers['ServerLive'] = async (_req, ctx: CallContext) => {
    ctx.afterAnswer(() => ran.push(`live ${String(ctx.metadata.get('n')[0])}`));
    return { live: true };
  };
  // Failed: it does not.
  handlers['ServerReady'] = async (_req, ctx: CallContext) => {
    ctx.afterAnswer(() => ran.push('failed call'));
    throw new InvalidArgumentError('no');
  };
  // Answered only after the deadline ended the call: it does not.
  handlers['ServerMetadata'] = async (_req, ctx: CallContext) => {
    ctx.afterAnswer(() => ran.push('late answer'));
    await new Promise((r) => ctx.signal.addEventListener('abort', r, { once: true }));
    lateReturned?.();
    return { name: 'late', version: '1', extensions: [] };
  };
  const server = await GrpcServer.create({
    port: 0,
    // fast: the three methods on node:http2 directly (shared/grpc/fast-unary.ts), not through grpc-js.
    services: [{ name: NAME, definition, handlers, ...(fast ? { fastUnary: ['ServerLive', 'ServerReady', 'ServerMetadata'] } : {}) }],
    packageDefinition: pkg,
    logger: createLogger({ service: 'test', level: 'silent' }),
    registry: createRegistry({ service: 'test', processMetrics: false }),
  });
  return { server, client: createClient(pkg, NAME, `127.0.0.1:${server.port}`) };
}

const live = (client: grpc.Client, n: number) => {
  const metadata = new grpc.Metadata();
  metadata.set('n', String(n));
  return unaryCall(client, 'ServerLive', {}, { metadata });
};

for (const fast of [false, true]) {
const via = fast ? ' (fast unary path)' : '';
test(`grpc afterAnswer - runs after an answered call, never after a failed one or one whose deadline passed first${via}`, async (t) => {
  const ran: string[] = [];
  let lateReturned: () => void = () => undefined;
  const returned = new Promise<void>((r) => (lateReturned = r));
  const { server, client } = await start(ran, fast, () => lateReturned());
  try {
    await live(client, 1);
    await waitFor(() => ran.includes('live 1'), 10_000, 'the work of an answered call');
    const failed = await unaryCall(client, 'ServerReady', {}).catch((e: grpc.ServiceError) => e);
    t.is((failed as grpc.ServiceError).code, grpc.status.INVALID_ARGUMENT);
    const late = await unaryCall(client, 'ServerMetadata', {}, { deadlineMs: 100 }).catch((e: grpc.ServiceError) => e);
    t.is((late as grpc.ServiceError).code, grpc.status.DEADLINE_EXCEEDED);
    // Work runs in the order calls end: once this later call's work has run, theirs would have.
    // The late handler returns its answer (grpc-js drops it): wait until it has been handed over.
    await returned;
    await new Promise((r) => setImmediate(r));
    await live(client, 2);
    await waitFor(() => ran.includes('live 2'), 10_000, 'the work of the next answered call');
    t.deepEqual(ran, ['live 1', 'live 2']);
  } finally {
    client.close();
    await server.drain();
  }
});

test(`grpc afterAnswer - drain waits for the work of the calls answered before it${via}`, async (t) => {
  const ran: string[] = [];
  const { server, client } = await start(ran, fast);
  await Promise.all(Array.from({ length: 20 }, (_, i) => live(client, i)));
  client.close();
  await server.drain();
  t.is(ran.length, 20);
});
}
