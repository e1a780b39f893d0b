/**
 * The fast unary path (shared/grpc/fast-unary.ts): ModelInfer served on node:http2 directly,
 * under grpc-js's server. Every check runs against the same handlers twice, fast path on and off,
 * and must see the same outcome: the answer and its trailers, the handler's view of the call
 * (metadata, request id, deadline), error statuses and their details, size limits, compressed
 * requests (which go to grpc-js), authorization, and the per-RPC metrics. Where the two paths
 * differ on purpose (a malformed frame is INVALID_ARGUMENT here, INTERNAL or UNIMPLEMENTED in
 * grpc-js), the test says so; that difference is also what shows that the fast path took the call.
 * A real server and grpc-js clients, and raw HTTP/2 for what no gRPC client sends.
 */
import { connect, constants as h2 } from 'node:http2';
import type { IncomingHttpHeaders } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { hashToken } from '../../shared/auth/index.js';
import { Authorizer } from '../../shared/auth/index.js';
import { NotFoundError } from '../../shared/errors/index.js';
import { GrpcServer, clientConstructor, createClient, loadProtos, serviceDefinition, unaryCall } from '../../shared/grpc/index.js';
import type { CallContext, UnaryHandler } from '../../shared/grpc/index.js';
import { parseGrpcTimeout } from '../../shared/grpc/fast-unary.js';
import { createLogger } from '../../shared/logging/index.js';
import { createRegistry } from '../../shared/metrics/index.js';
import type { Registry } from 'prom-client';

const pkg = loadProtos(['inference/grpc_service.proto']);
const NAME = 'inference.GRPCInferenceService';
const INFER = `/${NAME}/ModelInfer`;
const TOKEN = 'fast-path-token';

interface Seen {
  requestId: string;
  custom: unknown;
  binary: unknown;
  deadlineLeftMs: number;
  aborted?: string;
}

interface Started {
  server: GrpcServer;
  registry: Registry;
  seen: Seen[];
  address: string;
}

/** ModelInfer by model name: `ok` answers, `missing` NOT_FOUND, `wait` until its signal aborts, `big` a 64 KiB answer. */
async function start(fast: boolean, opts: { maxBytes?: number; auth?: boolean } = {}): Promise<Started> {
  const definition = serviceDefinition(pkg, NAME);
  const seen: Seen[] = [];
  const handlers: Record<string, UnaryHandler> = Object.fromEntries(Object.keys(definition).map((m) => [m, async () => ({})]));
  handlers['ModelInfer'] = async (req: { model_name: string; id: string }, ctx: CallContext) => {
    const s: Seen = { requestId: ctx.requestId, custom: ctx.metadata.get('x-custom')[0], binary: ctx.metadata.get('x-blob-bin')[0], deadlineLeftMs: ctx.deadlineMs - Date.now() };
    seen.push(s);
    if (req.model_name === 'missing') throw new NotFoundError(`model 'missing' is not loaded`);
    if (req.model_name === 'wait') {
      const reason = await new Promise<unknown>((r) => {
        if (ctx.signal.aborted) r(ctx.signal.reason);
        ctx.signal.addEventListener('abort', () => r(ctx.signal.reason), { once: true });
      });
      s.aborted = reason instanceof Error ? reason.name : String(reason);
      throw reason;
    }
    return { model_name: req.model_name, model_version: '1', id: req.id, raw_output_contents: req.model_name === 'big' ? [Buffer.alloc(64 * 1024, 1)] : [Buffer.from([1, 2, 3])] };
  };
  const registry = createRegistry({ service: 'test', processMetrics: false });
  const server = await GrpcServer.create({
    port: 0,
    services: [{ name: NAME, definition, handlers, fastUnary: ['ModelInfer'], requestIdOf: (method, r) => (method === 'ModelInfer' ? (r as { id?: string }).id : undefined) }],
    fastUnary: fast,
    packageDefinition: pkg,
    logger: createLogger({ service: 'test', level: 'silent' }),
    registry,
    ...(opts.maxBytes ? { maxReceiveMessageBytes: opts.maxBytes, maxSendMessageBytes: opts.maxBytes } : {}),
    ...(opts.auth ? { authorizer: new Authorizer({ required: true, tokens: [`svc:data:${hashToken(TOKEN)}`] }) } : {}),
  });
  return { server, registry, seen, address: `127.0.0.1:${server.port}` };
}

type Outcome = { code: number; details: string; response?: Record<string, unknown>; trailers: Record<string, unknown> };

/** One ModelInfer with a grpc-js client; the status, the answer and the trailers. */
async function infer(address: string, request: Record<string, unknown>, o: { metadata?: grpc.Metadata; deadlineMs?: number; channel?: grpc.ChannelOptions } = {}): Promise<Outcome> {
  const Client = clientConstructor(pkg, NAME);
  const client = new Client(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1, ...o.channel });
  try {
    return await new Promise<Outcome>((resolve) => {
      let trailers: Record<string, unknown> = {};
      let response: Record<string, unknown> | undefined;
      const call = (client as unknown as Record<string, (...a: unknown[]) => grpc.ClientUnaryCall>)['ModelInfer']?.bind(client)(
        request,
        o.metadata ?? new grpc.Metadata(),
        o.deadlineMs ? { deadline: Date.now() + o.deadlineMs } : {},
        (err: grpc.ServiceError | null, res: Record<string, unknown>) => {
          if (!err) response = res;
        },
      ) as grpc.ClientUnaryCall;
      call.on('status', (st: grpc.StatusObject) => {
        trailers = st.metadata.getMap();
        resolve({ code: st.code, details: st.details, ...(response ? { response } : {}), trailers });
      });
    });
  } finally {
    client.close();
  }
}

/** A raw HTTP/2 POST to ModelInfer: the body as given, the status as the trailers (or trailers-only headers) say. */
async function raw(address: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ code: number; message: string; httpStatus: number }> {
  const session = connect(`http://${address}`);
  try {
    return await new Promise((resolve, reject) => {
      const req = session.request({ [h2.HTTP2_HEADER_METHOD]: 'POST', [h2.HTTP2_HEADER_PATH]: INFER, 'content-type': 'application/grpc', te: 'trailers', ...headers });
      let head: IncomingHttpHeaders = {};
      let settled = false;
      const done = (h: IncomingHttpHeaders): void => {
        if (settled) return;
        settled = true;
        resolve({ code: Number(h['grpc-status']), message: decodeURIComponent(String(h['grpc-message'] ?? '')), httpStatus: Number(head[':status']) });
      };
      req.on('response', (h) => {
        head = h;
        if (h['grpc-status'] !== undefined) done(h);
      });
      req.on('trailers', done);
      // No gRPC status at all (e.g. HTTP 415): what the headers said.
      req.on('close', () => done(head));
      req.on('error', reject);
      req.on('data', () => undefined);
      req.end(body);
    });
  } finally {
    session.close();
  }
}

/** A gRPC frame: flag, length, message. */
function frame(message: Buffer, flag = 0, length = message.byteLength): Buffer {
  const f = Buffer.alloc(5 + message.byteLength);
  f[0] = flag;
  f.writeUInt32BE(length, 1);
  message.copy(f, 5);
  return f;
}
/** ModelInferRequest{ model_name: name } on the wire. */
const inferBytes = (name: string): Buffer => Buffer.concat([Buffer.from([0x0a, name.length]), Buffer.from(name)]);

async function handled(registry: Registry, code: string): Promise<number> {
  const m = await registry.getSingleMetric('grpc_server_handled_total')?.get();
  return m?.values.find((v) => v.labels['grpc_method'] === 'ModelInfer' && v.labels['grpc_code'] === code)?.value ?? 0;
}

test('fast unary - grpc-timeout parses as grpc-js reads it, and an unreadable one is refused', (t) => {
  t.is(parseGrpcTimeout('100m', 1000), 1100);
  t.is(parseGrpcTimeout('2S', 0), 2000);
  t.is(parseGrpcTimeout('1H', 0), 3_600_000);
  t.is(parseGrpcTimeout('1500u', 0), 1);
  t.is(parseGrpcTimeout('99999999n', 0), 99);
  t.is(parseGrpcTimeout('123456789m', 0), undefined, 'more than 8 digits');
  t.is(parseGrpcTimeout('10', 0), undefined, 'no unit');
  t.is(parseGrpcTimeout('10x', 0), undefined);
  t.is(parseGrpcTimeout('', 0), undefined);
});

for (const fast of [true, false]) {
  const via = fast ? 'fast path' : 'grpc-js path';

  test(`fast unary - ${via}: the answer, its request id trailer, the caller's metadata and deadline reach the handler`, async (t) => {
    const s = await start(fast);
    t.teardown(() => s.server.close());
    const md = new grpc.Metadata();
    md.set('x-request-id', 'req-fast-1');
    md.set('x-custom', 'hello');
    md.set('x-blob-bin', Buffer.from([0, 255, 7]));
    const out = await infer(s.address, { model_name: 'ok', id: 'v2-id' }, { metadata: md, deadlineMs: 5000 });
    t.is(out.code, grpc.status.OK, out.details);
    t.is(out.response?.['model_name'], 'ok');
    t.is(out.response?.['id'], 'v2-id');
    t.deepEqual(out.response?.['raw_output_contents'], [Buffer.from([1, 2, 3])]);
    t.is(out.trailers['x-request-id'], 'req-fast-1');
    const [seen] = s.seen;
    t.is(seen?.requestId, 'req-fast-1');
    t.is(seen?.custom, 'hello');
    t.deepEqual(seen?.binary, Buffer.from([0, 255, 7]), 'binary metadata decoded');
    t.true((seen?.deadlineLeftMs ?? 0) > 4000 && (seen?.deadlineLeftMs ?? 0) <= 5000, `deadline ${seen?.deadlineLeftMs} ms away`);
    // No metadata request id: the message's id is used; no deadline: Infinity.
    const out2 = await infer(s.address, { model_name: 'ok', id: 'from-message' });
    t.is(out2.trailers['x-request-id'], 'from-message');
    t.is(s.seen[1]?.deadlineLeftMs, Infinity);
    t.is(await handled(s.registry, 'OK'), 2, 'grpc_server_handled_total counts the calls');
  });

  test(`fast unary - ${via}: a handler's error is its status, details and request id`, async (t) => {
    const s = await start(fast);
    t.teardown(() => s.server.close());
    const out = await infer(s.address, { model_name: 'missing' });
    t.is(out.code, grpc.status.NOT_FOUND);
    t.regex(out.details, /model 'missing' is not loaded/);
    t.is(typeof out.trailers['x-request-id'], 'string');
    t.is(await handled(s.registry, 'NOT_FOUND'), 1);
  });

  test(`fast unary - ${via}: the deadline ends the call on time and aborts the handler's signal; a cancel aborts it as CANCELLED`, async (t) => {
    const s = await start(fast);
    t.teardown(() => s.server.close());
    const t0 = Date.now();
    const out = await infer(s.address, { model_name: 'wait' }, { deadlineMs: 150 });
    t.is(out.code, grpc.status.DEADLINE_EXCEEDED);
    t.true(Date.now() - t0 < 2000);
    await waitUntil(() => s.seen[0]?.aborted !== undefined);
    t.is(s.seen[0]?.aborted, 'DeadlineExceededError');

    const client = createClient(pkg, NAME, s.address);
    t.teardown(() => client.close());
    const call = (client as unknown as Record<string, (...a: unknown[]) => grpc.ClientUnaryCall>)['ModelInfer']?.bind(client)({ model_name: 'wait' }, new grpc.Metadata(), {}, () => undefined) as grpc.ClientUnaryCall;
    await waitUntil(() => s.seen.length === 2);
    call.cancel();
    await waitUntil(() => s.seen[1]?.aborted !== undefined);
    t.is(s.seen[1]?.aborted, 'CancelledError');
  });

  test(`fast unary - ${via}: requests and answers over the size limits get RESOURCE_EXHAUSTED`, async (t) => {
    const s = await start(fast, { maxBytes: 16 * 1024 });
    t.teardown(() => s.server.close());
    const tooBig = await infer(s.address, { model_name: 'ok', raw_input_contents: [Buffer.alloc(20 * 1024)] });
    t.is(tooBig.code, grpc.status.RESOURCE_EXHAUSTED);
    t.regex(tooBig.details, /larger than max/);
    const answerTooBig = await infer(s.address, { model_name: 'big' });
    t.is(answerTooBig.code, grpc.status.RESOURCE_EXHAUSTED);
    t.regex(answerTooBig.details, /larger than max/);
    // The server is fine afterwards.
    t.is((await infer(s.address, { model_name: 'ok' })).code, grpc.status.OK);
  });

  test(`fast unary - ${via}: a gzip-compressed request is served (compressed calls go to grpc-js)`, async (t) => {
    const s = await start(fast);
    t.teardown(() => s.server.close());
    const out = await infer(s.address, { model_name: 'ok', raw_input_contents: [Buffer.alloc(4096, 3)] }, { channel: { 'grpc.default_compression_algorithm': 2 } });
    t.is(out.code, grpc.status.OK, out.details);
    t.is(out.response?.['model_name'], 'ok');
  });

  test(`fast unary - ${via}: with authorization required, no token is UNAUTHENTICATED and a data-plane token is served`, async (t) => {
    const s = await start(fast, { auth: true });
    t.teardown(() => s.server.close());
    t.is((await infer(s.address, { model_name: 'ok' })).code, grpc.status.UNAUTHENTICATED);
    const bad = new grpc.Metadata();
    bad.set('authorization', 'Bearer wrong');
    t.is((await infer(s.address, { model_name: 'ok' }, { metadata: bad })).code, grpc.status.UNAUTHENTICATED);
    t.is(s.seen.length, 0, 'the handler never ran');
    const good = new grpc.Metadata();
    good.set('authorization', `Bearer ${TOKEN}`);
    t.is((await infer(s.address, { model_name: 'ok' }, { metadata: good })).code, grpc.status.OK);
  });

  test(`fast unary - ${via}: bytes that are not a ModelInferRequest get INVALID_ARGUMENT; the server stays up`, async (t) => {
    const s = await start(fast);
    t.teardown(() => s.server.close());
    // Field 1 (model_name) claims 100 bytes and has 2.
    const r = await raw(s.address, frame(Buffer.from([0x0a, 100, 0x41, 0x42])));
    t.is(r.code, grpc.status.INVALID_ARGUMENT, r.message);
    const ok = await raw(s.address, frame(inferBytes('ok')));
    t.is(ok.code, grpc.status.OK, ok.message);
  });

  test(`fast unary - ${via}: an unreadable grpc-timeout and a wrong content-type are answered as grpc-js answers them`, async (t) => {
    const s = await start(fast);
    t.teardown(() => s.server.close());
    const timeout = await raw(s.address, frame(inferBytes('ok')), { 'grpc-timeout': 'soon' });
    t.is(timeout.code, grpc.status.INTERNAL);
    t.regex(timeout.message, /grpc-timeout/);
    const type = await raw(s.address, frame(inferBytes('ok')), { 'content-type': 'application/json' });
    t.is(type.httpStatus, 415);
  });
}

test('fast unary - a malformed frame is INVALID_ARGUMENT on the fast path (the caller\'s fault), where grpc-js says INTERNAL or UNIMPLEMENTED (or decodes it)', async (t) => {
  const fast = await start(true);
  const slow = await start(false);
  t.teardown(() => {
    fast.server.close();
    slow.server.close();
  });
  const cases: [string, Buffer][] = [
    ['no message', Buffer.alloc(0)],
    ['a cut prefix', Buffer.from([0, 0, 0])],
    ['a cut message', frame(inferBytes('ok'), 0, 50)],
    ['two messages', Buffer.concat([frame(inferBytes('ok')), frame(inferBytes('ok'))])],
    ['the compressed flag without grpc-encoding', frame(inferBytes('ok'), 1)],
  ];
  for (const [what, body] of cases) {
    const f = await raw(fast.address, body);
    t.is(f.code, grpc.status.INVALID_ARGUMENT, `${what}: ${f.message}`);
    // grpc-js refuses these too (INTERNAL or UNIMPLEMENTED) except the compressed flag, which
    // it passes through to the decoder under the identity encoding.
    const g = await raw(slow.address, body);
    t.log(`${what}: fast path ${grpc.status[f.code]} (${f.message}); grpc-js ${grpc.status[g.code]} (${g.message})`);
  }
  t.is(fast.seen.length, 0, 'the handler never ran');
  t.is((await raw(fast.address, frame(inferBytes('ok')))).code, grpc.status.OK);
});

test('fast unary - a method that is not unary cannot be named', async (t) => {
  const definition = serviceDefinition(pkg, NAME);
  const handlers: Record<string, UnaryHandler> = Object.fromEntries(Object.keys(definition).map((m) => [m, async () => ({})]));
  await t.throwsAsync(
    GrpcServer.create({ port: 0, services: [{ name: NAME, definition, handlers, fastUnary: ['ModelStreamInfer'] }], packageDefinition: pkg, logger: createLogger({ service: 'test', level: 'silent' }), registry: createRegistry({ service: 'test', processMetrics: false }) }),
    { message: /fastUnary names ModelStreamInfer, which is not a unary method/ },
  );
});

test('fast unary - many calls at once on one connection, each answered with its own request', async (t) => {
  const s = await start(true);
  t.teardown(() => s.server.close());
  const client = createClient(pkg, NAME, s.address);
  t.teardown(() => client.close());
  const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => unaryCall<Record<string, unknown>, Record<string, unknown>>(client, 'ModelInfer', { model_name: 'ok', id: `n${i}` })));
  t.deepEqual(answers.map((a) => a['id']), Array.from({ length: 500 }, (_, i) => `n${i}`));
});

async function waitUntil(f: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
