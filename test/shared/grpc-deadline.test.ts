/**
 * Which reason a call's signal aborts with when it ends early: the deadline, or the client's
 * cancel. A client whose deadline passes sends a plain cancel (RST_STREAM CANCEL), which reaches
 * the server before the server's own deadline when the server read the call late: that must
 * still count as the deadline (the inference failure metric's `reason` label follows it). A real
 * grpc-js server and client over loopback; the client runs on a worker thread so its deadline
 * passes on time while the server's thread is held up.
 */
import { Worker } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { GrpcServer, createClient, loadProtos, serviceDefinition, unaryCall } from '../../shared/grpc/index.js';
import type { CallContext, UnaryHandler } from '../../shared/grpc/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { createRegistry } from '../../shared/metrics/index.js';
import { waitFor } from '../helpers/inference.js';
import type { DeadlineWorkerData } from '../helpers/deadline-worker.js';

const pkg = loadProtos(['inference/grpc_service.proto']);
const NAME = 'inference.GRPCInferenceService';

interface Ended {
  reason: string;
  /** Server's ms left to the deadline when the signal aborted (negative: after it). */
  leftMs: number;
}

/** A server whose ServerMetadata waits for its signal and records why it aborted. */
async function start(ended: Ended[], started: string[], fast: boolean): Promise<GrpcServer> {
  const definition = serviceDefinition(pkg, NAME);
  const handlers: Record<string, UnaryHandler> = Object.fromEntries(Object.keys(definition).map((m) => [m, async () => ({})]));
  handlers['ServerMetadata'] = async (_req, ctx: CallContext) => {
    started.push(ctx.requestId);
    const reason = await new Promise<unknown>((resolve) => {
      if (ctx.signal.aborted) resolve(ctx.signal.reason);
      ctx.signal.addEventListener('abort', () => resolve(ctx.signal.reason), { once: true });
    });
    ended.push({ reason: reason instanceof Error ? reason.name : String(reason), leftMs: ctx.deadlineMs - Date.now() });
    throw reason;
  };
  return GrpcServer.create({
    port: 0,
    // fast: ServerMetadata on node:http2 directly (shared/grpc/fast-unary.ts), not through grpc-js.
    services: [{ name: NAME, definition, handlers, ...(fast ? { fastUnary: ['ServerMetadata', 'ServerLive'] } : {}) }],
    packageDefinition: pkg,
    logger: createLogger({ service: 'test', level: 'silent' }),
    registry: createRegistry({ service: 'test', processMetrics: false }),
  });
}

/** Blocks this thread (the server's event loop) for `ms`. */
const holdUp = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

for (const fast of [false, true]) {
const via = fast ? ' (fast unary path)' : '';
test.serial(`grpc deadline - a client deadline that passes while the server is held up counts as the deadline, not a cancel${via}`, async (t) => {
  const ended: Ended[] = [];
  const server = await start(ended, [], fast);
  const client = createClient(pkg, NAME, `127.0.0.1:${server.port}`);
  try {
    // A first call with a deadline: servers measure their loop's stalls from then on.
    await unaryCall(client, 'ServerLive', {}, { deadlineMs: 10_000 });
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const data: DeadlineWorkerData = { address: `127.0.0.1:${server.port}`, method: `/${NAME}/ServerMetadata`, deadlineMs: 200, flag };
    const worker = new Worker(new URL('../helpers/deadline-worker.js', import.meta.url), { workerData: data });
    try {
      const ready: unknown = await new Promise((r) => worker.once('message', r));
      t.is(ready, 'ready');
      const outcome = new Promise<{ code: number }>((r) => worker.once('message', r));
      worker.postMessage('go');
      Atomics.wait(flag, 0, 0, 10_000);
      // The server reads the call only after this: its deadline clock starts 300 ms late, and
      // the client's 200 ms deadline passes (it sends a cancel) while the server is held up.
      holdUp(300);
      t.is((await outcome).code, grpc.status.DEADLINE_EXCEEDED);
      await waitFor(() => ended.length === 1, 10_000, 'the handler to end');
      const [e] = ended;
      t.true((e?.leftMs ?? 0) > 5, `the cancel reached the server before its own deadline (${e?.leftMs} ms left)`);
      t.is(e?.reason, 'DeadlineExceededError');
    } finally {
      await worker.terminate();
    }
  } finally {
    client.close();
    await server.drain();
  }
});

test.serial(`grpc deadline - a client that cancels long before its deadline counts as cancelled${via}`, async (t) => {
  const ended: Ended[] = [];
  const started: string[] = [];
  const server = await start(ended, started, fast);
  const client = createClient(pkg, NAME, `127.0.0.1:${server.port}`);
  try {
    const call = client.makeUnaryRequest(`/${NAME}/ServerMetadata`, () => Buffer.alloc(0), (b: Buffer) => b, {}, { deadline: Date.now() + 60_000 }, () => undefined);
    await waitFor(() => started.length === 1, 10_000, 'the handler to start');
    call.cancel();
    await waitFor(() => ended.length === 1, 10_000, 'the handler to end');
    t.is(ended[0]?.reason, 'CancelledError');
  } finally {
    client.close();
    await server.drain();
  }
});

test.serial(`grpc deadline - a deadline that passes on the server counts as the deadline${via}`, async (t) => {
  const ended: Ended[] = [];
  const server = await start(ended, [], fast);
  const client = createClient(pkg, NAME, `127.0.0.1:${server.port}`);
  try {
    const err = await unaryCall(client, 'ServerMetadata', {}, { deadlineMs: 100 }).catch((e: grpc.ServiceError) => e);
    t.is((err as grpc.ServiceError).code, grpc.status.DEADLINE_EXCEEDED);
    await waitFor(() => ended.length === 1, 10_000, 'the handler to end');
    t.is(ended[0]?.reason, 'DeadlineExceededError');
  } finally {
    client.close();
    await server.drain();
  }
});
}
