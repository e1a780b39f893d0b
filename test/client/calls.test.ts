/**
 * The call layer of mlmesh/client: default deadlines and `timeoutMs`, `signal` cancellation
 * (seen by the server), retries of UNAVAILABLE on idempotent calls only, streams. The real
 * inference service is used where it can produce the case (a worker that dies under a request,
 * a slow model to cancel); a plain grpc-js server on the real protos stands in where a case
 * needs a server that answers UNAVAILABLE once or records the deadline it was given.
 */
import * as grpc from '@grpc/grpc-js';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { loadPackage, PROTO_FILES } from '../../shared/protos/index.js';
import {
  CancelledError,
  DeadlineExceededError,
  FeaturesClient,
  InferInput,
  InferenceClient,
  UnavailableError,
  resolveClientOptions,
} from '../../shared/client/index.js';
import { metricValue, startInference, waitFor } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';

/** One call as the fake server saw it. */
interface Seen {
  method: string;
  requestId: string;
  /** Deadline minus arrival time, in ms (Infinity for none). */
  deadlineInMs: number;
}

/** A grpc-js server on the real inference and features protos whose behaviour a test sets. */
class FakeServer {
  readonly seen: Seen[] = [];
  readonly cancelled: string[] = [];
  /** Per method: how many of the next calls answer UNAVAILABLE. */
  readonly failNext = new Map<string, number>();
  private server = new grpc.Server();
  port = 0;

  async start(): Promise<void> {
    const pkg = loadPackage([PROTO_FILES.inference, PROTO_FILES.features]);
    const record = (method: string, call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>): boolean => {
      const d = call.getDeadline();
      const ms = d instanceof Date ? d.getTime() : d;
      this.seen.push({ method, requestId: String(call.metadata.get('x-request-id')[0] ?? ''), deadlineInMs: Number.isFinite(ms) ? ms - Date.now() : Infinity });
      call.on('cancelled', () => this.cancelled.push(method));
      const left = this.failNext.get(method) ?? 0;
      if (left > 0) this.failNext.set(method, left - 1);
      return left > 0;
    };
    const unary = (method: string, reply: object) => (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      if (record(method, call)) cb({ code: grpc.status.UNAVAILABLE, details: `${method}: try again` });
      else if (method === 'ModelReady') {
        // Never answers: the deadline or the caller's signal ends it.
      } else cb(null, reply);
    };
    this.server.addService(pkg['inference.GRPCInferenceService'] as grpc.ServiceDefinition, {
      ServerLive: unary('ServerLive', { live: true }),
      ModelReady: unary('ModelReady', { ready: true }),
      ModelInfer: unary('ModelInfer', { model_name: 'm', model_version: '1', outputs: [] }),
      RepositoryModelLoad: unary('RepositoryModelLoad', {}),
    });
    this.server.addService(pkg['mlmesh.features.v1.FeatureService'] as grpc.ServiceDefinition, {
      WriteFeatures: unary('WriteFeatures', { written: 1 }),
      GetOnlineFeatures: unary('GetOnlineFeatures', { features: [], entity_ids: [], columns: [] }),
      GetHistoricalFeatures: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        if (record('GetHistoricalFeatures', call)) {
          call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'try again' });
          return;
        }
        // Sends a chunk every 5 ms until the client goes away.
        let i = 0;
        const timer = setInterval(() => call.write({ features: [], rows: [{ row_index: i++, entity_id: 'u', time_ms: 1, values: [] }] }), 5);
        call.on('cancelled', () => clearInterval(timer));
      },
    });
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
  }

  calls(method: string): Seen[] {
    return this.seen.filter((s) => s.method === method);
  }

  stop(): void {
    this.server.forceShutdown();
  }
}

interface Ctx {
  fx: InferenceFixture;
  fake: FakeServer;
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  const fake = new FakeServer();
  await fake.start();
  t.context = { fake, fx: await startInference({ models: ['slow_chain'] }) };
});
test.after.always(async (t) => {
  t.context.fake?.stop();
  await t.context.fx?.stop();
});

const slowInput = (rows: number): InferInput => InferInput.from('x', new Float32Array(rows * 512).fill(0.25), [rows, 512]);

test.serial('client calls - aborting the signal cancels the call: the server sees CANCELLED and drops it from the queue', async (t) => {
  const { fx } = t.context;
  using client = new InferenceClient(fx.service.address);
  const mv = fx.service.manager.resolve('slow_chain', '');
  await waitFor(() => mv.busyInstances === 0, 10_000, 'instances idle');
  const cancelledBefore = await metricValue(fx.http, 'grpc_server_handled_total', { grpc_method: 'ModelInfer', grpc_code: 'CANCELLED' });
  // Both instances busy (about a second each), so the third request waits in the queue.
  const blockers = [client.infer('slow_chain', [slowInput(256)], { timeoutMs: 60_000 }), client.infer('slow_chain', [slowInput(256)], { timeoutMs: 60_000 })];
  await waitFor(() => mv.busyInstances === 2, 10_000, 'both instances busy');
  const ac = new AbortController();
  const pending = client.infer('slow_chain', [slowInput(1)], { signal: ac.signal, timeoutMs: 60_000 });
  await waitFor(() => mv.queued === 1, 10_000, 'the request queued');
  const reason = new Error('user left the page');
  ac.abort(reason);
  const err = await t.throwsAsync(pending);
  t.true(err instanceof CancelledError, String(err));
  t.is((err as CancelledError).cause, reason, 'the abort reason is the cause');
  await waitFor(
    async () => (await metricValue(fx.http, 'grpc_server_handled_total', { grpc_method: 'ModelInfer', grpc_code: 'CANCELLED' })) === cancelledBefore + 1,
    10_000,
    'the server to count the call CANCELLED',
  );
  t.is(mv.queued, 0, 'it left the queue before running');
  await Promise.all(blockers);
});

test.serial('client calls - a worker dies under a ModelInfer: the UNAVAILABLE is retried and the other instance answers', async (t) => {
  const { fx } = t.context;
  using client = new InferenceClient(fx.service.address);
  const mv = fx.service.manager.resolve('slow_chain', '');
  const before = await metricValue(fx.http, 'mlmesh_inference_request_failure_total', { model: 'slow_chain', reason: 'unavailable' });
  const pending = client.infer('slow_chain', [slowInput(64)], { timeoutMs: 60_000 });
  await waitFor(() => mv.busyInstances === 1, 10_000, 'an instance busy with the request');
  mv.crashInstance(0);
  const result = await pending;
  t.deepEqual(result.shape('y'), [64, 512], 'the retry was answered');
  t.true((await metricValue(fx.http, 'mlmesh_inference_request_failure_total', { model: 'slow_chain', reason: 'unavailable' })) > before, 'the first attempt did fail UNAVAILABLE');
});

test.serial('client calls - a signal aborted before the call sends nothing', async (t) => {
  const { fake } = t.context;
  using client = new InferenceClient(`127.0.0.1:${fake.port}`);
  const n = fake.calls('ServerLive').length;
  const err = await t.throwsAsync(client.serverLive({ signal: AbortSignal.abort() }));
  t.true(err instanceof CancelledError);
  await client.serverLive();
  t.is(fake.calls('ServerLive').length, n + 1, 'only the last call reached the server');
});

test.serial('client calls - UNAVAILABLE once: idempotent calls are retried with the same request id, writes are not', async (t) => {
  const { fake } = t.context;
  using inference = new InferenceClient(`127.0.0.1:${fake.port}`);
  using features = new FeaturesClient(`127.0.0.1:${fake.port}`);

  fake.failNext.set('ModelInfer', 1);
  const res = await inference.modelInfer({ model_name: 'm', id: 'req-77' });
  t.is(res.model_version, '1');
  const infers = fake.calls('ModelInfer');
  t.is(infers.length, 2, 'one UNAVAILABLE, one retry');
  t.deepEqual(infers.map((s) => s.requestId), ['req-77', 'req-77'], 'both attempts carry the same x-request-id (the prediction log dedups on it)');

  fake.failNext.set('GetOnlineFeatures', 2);
  await features.getOnlineFeatures({ entity_ids: ['u'], features: { refs: ['f@1'] } });
  t.is(fake.calls('GetOnlineFeatures').length, 3, 'retried up to maxAttempts (3)');

  fake.failNext.set('WriteFeatures', 1);
  const err = await t.throwsAsync(features.writeFeatures({ writes: [{ feature: 'f@1', entity_id: 'u', event_time_ms: 1 }] }));
  t.true(err instanceof UnavailableError, String(err));
  t.is(fake.calls('WriteFeatures').length, 1, 'a write is not sent twice');

  fake.failNext.set('RepositoryModelLoad', 1);
  await t.throwsAsync(inference.repositoryModelLoad({ model_name: 'm' }), { instanceOf: UnavailableError });
  t.is(fake.calls('RepositoryModelLoad').length, 1);
  fake.failNext.set('RepositoryModelLoad', 0);

  using noRetry = new InferenceClient(`127.0.0.1:${fake.port}`, { retry: false });
  fake.failNext.set('ServerLive', 1);
  const before = fake.calls('ServerLive').length;
  await t.throwsAsync(noRetry.serverLive(), { instanceOf: UnavailableError });
  t.is(fake.calls('ServerLive').length, before + 1, 'retry: false sends once');

  fake.failNext.set('ServerLive', 5);
  const three = fake.calls('ServerLive').length;
  await t.throwsAsync(inference.serverLive(), { instanceOf: UnavailableError, message: /try again/ });
  t.is(fake.calls('ServerLive').length, three + 3, 'gives up after maxAttempts');
  fake.failNext.set('ServerLive', 0);
});

test.serial('client calls - every unary call has a deadline: 10 s by default, timeoutMs overrides, long calls 5 min, streams none', async (t) => {
  const { fake } = t.context;
  using client = new InferenceClient(`127.0.0.1:${fake.port}`);
  using features = new FeaturesClient(`127.0.0.1:${fake.port}`, { timeoutMs: 2500 });
  const last = (m: string): number => fake.calls(m).at(-1)?.deadlineInMs ?? NaN;

  await client.serverLive();
  t.true(last('ServerLive') > 0 && last('ServerLive') <= 10_000, `default deadline ${last('ServerLive')} ms`);
  await client.serverLive({ timeoutMs: 60_000 });
  t.true(last('ServerLive') > 10_000 && last('ServerLive') <= 60_000, `timeoutMs deadline ${last('ServerLive')} ms`);
  await client.serverLive({ timeoutMs: Infinity });
  t.is(last('ServerLive'), Infinity, 'Infinity sends no deadline');
  await client.repositoryModelLoad({ model_name: 'm' });
  t.true(last('RepositoryModelLoad') > 60_000 && last('RepositoryModelLoad') <= 300_000, `long-call deadline ${last('RepositoryModelLoad')} ms`);
  await features.getOnlineFeatures({ entity_ids: ['u'] });
  t.true(last('GetOnlineFeatures') > 0 && last('GetOnlineFeatures') <= 2500, `the client's timeoutMs ${last('GetOnlineFeatures')} ms`);

  const stream = features.getHistoricalFeatures({ rows: [] });
  for await (const chunk of stream) {
    t.is(chunk.rows.length, 1);
    break;
  }
  t.is(last('GetHistoricalFeatures'), Infinity, 'a stream has no default deadline');
});

test.serial('client calls - a call past its timeoutMs rejects with DeadlineExceededError', async (t) => {
  const { fake } = t.context;
  using client = new InferenceClient(`127.0.0.1:${fake.port}`);
  const err = await t.throwsAsync(client.modelReady({ name: 'm' }, { timeoutMs: 200 }));
  t.true(err instanceof DeadlineExceededError, String(err));
  t.is((err as DeadlineExceededError).method, '/inference.GRPCInferenceService/ModelReady');
  const ac = new AbortController();
  const pending = client.modelReady({ name: 'm' }, { signal: ac.signal });
  await waitFor(() => fake.calls('ModelReady').length === 2, 10_000, 'the second call to arrive');
  ac.abort();
  t.true((await t.throwsAsync(pending)) instanceof CancelledError);
  // AbortSignal.timeout() is a deadline too.
  const timedOut = await t.throwsAsync(client.modelReady({ name: 'm' }, { signal: AbortSignal.timeout(100) }));
  t.true(timedOut instanceof DeadlineExceededError, String(timedOut));
  await waitFor(() => fake.cancelled.filter((m) => m === 'ModelReady').length === 3, 10_000, 'every call seen cancelled by the server');
});

test.serial('client calls - leaving a stream loop early or aborting it cancels the call on the server', async (t) => {
  const { fake } = t.context;
  using features = new FeaturesClient(`127.0.0.1:${fake.port}`);
  const before = fake.cancelled.filter((m) => m === 'GetHistoricalFeatures').length;
  let n = 0;
  for await (const chunk of features.getHistoricalFeatures({ rows: [] })) {
    t.is(chunk.rows[0]?.row_index, n);
    if (++n === 3) break;
  }
  await waitFor(() => fake.cancelled.filter((m) => m === 'GetHistoricalFeatures').length === before + 1, 10_000, 'the server to see the cancel');

  const ac = new AbortController();
  let got = 0;
  const err = await t.throwsAsync(async () => {
    for await (const _ of features.getHistoricalFeatures({ rows: [] }, { signal: ac.signal })) {
      if (++got === 2) ac.abort();
    }
  });
  t.true(err instanceof CancelledError, String(err));
  await waitFor(() => fake.cancelled.filter((m) => m === 'GetHistoricalFeatures').length === before + 2, 10_000, 'the server to see the abort');

  fake.failNext.set('GetHistoricalFeatures', 1);
  const retried: number[] = [];
  for await (const chunk of features.getHistoricalFeatures({ rows: [] })) {
    retried.push(chunk.rows[0]?.row_index ?? -1);
    if (retried.length === 2) break;
  }
  t.deepEqual(retried, [0, 1], 'a stream that fails UNAVAILABLE before its first message is retried');
});

test('client calls - options are checked when the client is made', (t) => {
  t.throws(() => new InferenceClient('127.0.0.1:1', { timeoutMs: 0 }), { instanceOf: TypeError, message: /timeoutMs must be a positive number/ });
  t.throws(() => new InferenceClient('127.0.0.1:1', { retry: { maxAttempts: 9 } }), { message: /retry.maxAttempts must be an integer from 1 to 5/ });
  t.throws(() => new InferenceClient(''), { message: /address/ });
  const o = resolveClientOptions();
  t.is(o.timeoutMs, 10_000);
  t.is(o.longTimeoutMs, 300_000);
  t.deepEqual(o.retry, { maxAttempts: 3, initialBackoffMs: 100, maxBackoffMs: 2000, backoffMultiplier: 2 });
  t.is(resolveClientOptions({ retry: { maxAttempts: 1 } }).retry, undefined);
});

test('client calls - waitForReady connects, or fails with DeadlineExceededError where nothing listens', async (t) => {
  using live = new InferenceClient(`127.0.0.1:${t.context.fake.port}`);
  await live.waitForReady({ timeoutMs: 10_000 });
  const server = new grpc.Server();
  const port = await new Promise<number>((resolve) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (_e, p) => resolve(p)));
  server.forceShutdown(); // a port that was free a moment ago, now closed
  using dead = new InferenceClient(`127.0.0.1:${port}`);
  await t.throwsAsync(dead.waitForReady({ timeoutMs: 300 }), { instanceOf: DeadlineExceededError });
  const err = await t.throwsAsync(dead.serverLive({ timeoutMs: 2000 }));
  t.true(err instanceof UnavailableError || err instanceof DeadlineExceededError, String(err));
});
