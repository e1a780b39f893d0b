/**
 * The server half of typed error details: every failed call carries a `google.rpc.Status` in the
 * `grpc-status-details-bin` trailer, decoded here with protobufjs from a schema written in this
 * test (googleapis' messages and field numbers, not the project's protos/), the way Google's
 * client libraries read it: Status → each Any by its type URL.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import test from 'ava';
import protobuf from 'protobufjs';
import { join } from 'node:path';
import { projectRoot } from '../../shared/config/index.js';
import { InvalidArgumentError, MlmeshError, NotFoundError, Code } from '../../shared/errors/index.js';
import { GrpcServer, PROTO_LOADER_OPTIONS, STATUS_DETAILS_LIMITS, createClient, loadProtos, serviceDefinition, unaryCall } from '../../shared/grpc/index.js';
import type { UnaryHandler } from '../../shared/grpc/index.js';
import { createLogger } from '../../shared/logging/index.js';
import { createRegistry } from '../../shared/metrics/index.js';
import { FitError } from '../../services/preprocess/index.js';

const GOOGLE_ANY = 'syntax = "proto3"; package google.protobuf; message Any { string type_url = 1; bytes value = 2; }';
const GOOGLE_RPC = `
syntax = "proto3";
package google.rpc;
message Status { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
message BadRequest {
  message FieldViolation { string field = 1; string description = 2; }
  repeated FieldViolation field_violations = 1;
}
message ErrorInfo { string reason = 1; string domain = 2; map<string, string> metadata = 3; }
message ResourceInfo { string resource_type = 1; string resource_name = 2; string owner = 3; string description = 4; }
message RequestInfo { string request_id = 1; string serving_data = 2; }
`;
const google = new protobuf.Root();
protobuf.parse(GOOGLE_ANY, google, { keepCase: true });
protobuf.parse(GOOGLE_RPC, google, { keepCase: true });

interface Decoded {
  code: number;
  message: string;
  details: Record<string, Record<string, unknown>>;
  typeUrls: string[];
}

/** Reads the trailer as a googleapis client does. */
function decodeTrailer(md: grpc.Metadata | undefined): Decoded | undefined {
  const bin = md?.get('grpc-status-details-bin')[0];
  if (!(bin instanceof Buffer)) return undefined;
  const Status = google.lookupType('google.rpc.Status');
  const st = Status.toObject(Status.decode(bin), { defaults: true, arrays: true, objects: true }) as { code: number; message: string; details: { type_url: string; value: Uint8Array }[] };
  const details: Decoded['details'] = {};
  for (const any of st.details) {
    const prefix = 'type.googleapis.com/';
    if (!any.type_url.startsWith(prefix)) throw new Error(`type URL ${any.type_url} lacks ${prefix}`);
    const T = google.lookupType(any.type_url.slice(prefix.length));
    details[T.name] = T.toObject(T.decode(any.value), { defaults: true, arrays: true, objects: true });
  }
  return { code: st.code, message: st.message, details, typeUrls: st.details.map((d) => d.type_url) };
}

const INFERENCE = 'inference.GRPCInferenceService';
const STREAM = 'mlmesh.test.v1.StreamTest';
const inferencePkg = loadProtos(['inference/grpc_service.proto']);
const streamPkg = protoLoader.loadSync(join(projectRoot(), 'test/fixtures/protos/stream_test.proto'), PROTO_LOADER_OPTIONS);

let toThrow: () => unknown = () => undefined;
let server: GrpcServer;
let client: grpc.Client;
let streamClient: grpc.Client;

test.before(async () => {
  const def = serviceDefinition(inferencePkg, INFERENCE);
  // Every method throws what the current test set.
  const handlers: Record<string, UnaryHandler> = Object.fromEntries(Object.keys(def).map((m) => [m, async () => { throw toThrow(); }]));
  server = await GrpcServer.create({
    port: 0,
    services: [
      { name: INFERENCE, definition: def, handlers },
      { name: STREAM, definition: serviceDefinition(streamPkg, STREAM), handlers: {}, streamHandlers: { Count: async (_req, _ctx, send) => {
        await send({ i: 0 });
        throw toThrow();
      } }, roles: { Count: 'read' } },
    ],
    packageDefinition: inferencePkg,
    logger: createLogger({ service: 'test', level: 'silent' }),
    registry: createRegistry({ service: 'test', processMetrics: false }),
  });
  server.setServing(true);
  client = createClient(inferencePkg, INFERENCE, `127.0.0.1:${server.port}`);
  streamClient = createClient(streamPkg, STREAM, `127.0.0.1:${server.port}`);
});

test.after.always(async () => {
  client?.close();
  streamClient?.close();
  await server?.drain();
});

/** Calls ModelMetadata with a request id and returns the error grpc-js gives. */
async function failWith(err: unknown, requestId = 'req-1'): Promise<grpc.ServiceError> {
  toThrow = () => err;
  const md = new grpc.Metadata();
  md.set('x-request-id', requestId);
  try {
    await unaryCall(client, 'ModelMetadata', { name: 'm' }, { metadata: md, deadlineMs: 10_000 });
  } catch (e: unknown) {
    return e as grpc.ServiceError;
  }
  throw new Error('the call succeeded');
}

test.serial('status details - an InvalidArgumentError field reaches the client as a BadRequest field violation', async (t) => {
  const e = await failWith(new InvalidArgumentError("input 'x': shape [1, 3] does not match the model's [-1, 4]", { field: 'x' }));
  t.is(e.code, grpc.status.INVALID_ARGUMENT);
  const d = decodeTrailer(e.metadata);
  t.truthy(d, 'grpc-status-details-bin is in the trailers');
  t.is(d?.code, Code.INVALID_ARGUMENT, 'Status.code is the call status');
  t.is(d?.message, e.details, 'Status.message is grpc-message');
  t.deepEqual(d?.details['BadRequest'], { field_violations: [{ field: 'x', description: "input 'x': shape [1, 3] does not match the model's [-1, 4]" }] });
  t.deepEqual(d?.details['ErrorInfo'], { reason: 'INVALID_ARGUMENT', domain: 'mlmesh', metadata: {} });
  t.deepEqual(d?.details['RequestInfo'], { request_id: 'req-1', serving_data: '' });
  t.true(d?.typeUrls.includes('type.googleapis.com/google.rpc.BadRequest'));
  t.is(e.metadata.get('x-request-id')[0], 'req-1', 'the request id trailer is still there');
});

test.serial('status details - several violations are all listed; a huge list is cut at the limit and the total given', async (t) => {
  const three = [
    { field: 'records[0].fields.age', description: 'MISSING_REQUIRED: age is required' },
    { field: 'records[2].fields.city', description: 'UNKNOWN_CATEGORY: Atlantis' },
    { field: 'records[2].fields.income', description: 'WRONG_TYPE: expected a number' },
  ];
  const e3 = await failWith(new InvalidArgumentError('strict mode: 2 of 3 records refused', { field: 'records', violations: three }));
  t.deepEqual((decodeTrailer(e3.metadata)?.details['BadRequest'] as { field_violations: unknown[] }).field_violations, three);

  const many = Array.from({ length: 10_000 }, (_, i) => ({ field: `records[${i}].fields.x`, description: `bad value ${'y'.repeat(5000)}` }));
  const big = await failWith(new InvalidArgumentError('strict mode: 10000 of 10000 records refused', { violations: many }));
  t.is(big.code, grpc.status.INVALID_ARGUMENT, 'the status arrives: the trailer stays within what HTTP/2 peers take');
  const bin = big.metadata.get('grpc-status-details-bin')[0] as Buffer;
  t.true(bin.byteLength <= STATUS_DETAILS_LIMITS.bytes, `${bin.byteLength} bytes`);
  const d = decodeTrailer(big.metadata);
  const listed = (d?.details['BadRequest'] as { field_violations: { field: string; description: string }[] }).field_violations;
  t.true(listed.length >= 1 && listed.length < STATUS_DETAILS_LIMITS.violations, `${listed.length} listed`);
  t.deepEqual(listed.map((v) => v.field), many.slice(0, listed.length).map((v) => v.field), 'the first ones, in order');
  t.true(listed.every((v) => v.description.length <= STATUS_DETAILS_LIMITS.textChars));
  t.is((d?.details['ErrorInfo'] as { metadata: Record<string, string> }).metadata['field_violations_total'], '10000');

  // Short violations: the count limit applies first.
  const short = Array.from({ length: 500 }, (_, i) => ({ field: `r${i}`, description: 'x' }));
  const s = decodeTrailer((await failWith(new InvalidArgumentError('many', { violations: short }))).metadata);
  t.is((s?.details['BadRequest'] as { field_violations: unknown[] }).field_violations.length, STATUS_DETAILS_LIMITS.violations);
});

test.serial('status details - the typed fields of an error class go in ErrorInfo (reason = the class)', async (t) => {
  const e = await failWith(new FitError('steps[3] (standard_scale)', 'income', 'has no values'));
  const d = decodeTrailer(e.metadata);
  t.deepEqual(d?.details['ErrorInfo'], { reason: 'FIT', domain: 'mlmesh', metadata: { step: 'steps[3] (standard_scale)', column: 'income' } });
  t.deepEqual((d?.details['BadRequest'] as { field_violations: { field: string }[] }).field_violations.map((v) => v.field), ['steps[3] (standard_scale)']);

  class QueueFullError extends MlmeshError {
    readonly model = 'digits_mlp';
    readonly queued = 1024;
    constructor() {
      super(Code.RESOURCE_EXHAUSTED, 'queue is full');
      this.name = 'QueueFullError';
    }
  }
  const q = decodeTrailer((await failWith(new QueueFullError())).metadata);
  t.deepEqual(q?.details['ErrorInfo'], { reason: 'QUEUE_FULL', domain: 'mlmesh', metadata: { model: 'digits_mlp', queued: '1024' } });
  t.is(q?.details['BadRequest'], undefined, 'no BadRequest without field violations');
});

test.serial('status details - a NotFoundError naming its resource sends ResourceInfo', async (t) => {
  const e = await failWith(new NotFoundError("model 'nope' is not loaded", { resource: { type: 'model', name: 'nope' } }), 'abc');
  t.is(e.code, grpc.status.NOT_FOUND);
  const d = decodeTrailer(e.metadata);
  t.deepEqual(d?.details['ResourceInfo'], { resource_type: 'model', resource_name: 'nope', owner: '', description: '' });
  t.deepEqual(d?.details['RequestInfo'], { request_id: 'abc', serving_data: '' });
  t.is((d?.details['ErrorInfo'] as { reason: string }).reason, 'NOT_FOUND');
});

test.serial('status details - a downstream gRPC error is passed through with its details; an untyped error sends none', async (t) => {
  const downstream = await failWith(new InvalidArgumentError('bad', { field: 'inputs[0]' }), 'down-1');
  const passed = await failWith(downstream, 'up-1');
  t.is(passed.code, grpc.status.INVALID_ARGUMENT);
  t.is(passed.details, 'bad');
  const d = decodeTrailer(passed.metadata);
  t.deepEqual((d?.details['BadRequest'] as { field_violations: { field: string }[] }).field_violations.map((v) => v.field), ['inputs[0]']);
  t.is((d?.details['RequestInfo'] as { request_id: string }).request_id, 'down-1', "the downstream's details, unchanged");

  const plain = await failWith(new TypeError('oops'));
  t.is(plain.code, grpc.status.INTERNAL);
  t.is(decodeTrailer(plain.metadata), undefined);
});

test.serial('status details - a server stream that fails carries the trailer too', async (t) => {
  toThrow = () => new InvalidArgumentError('n: must be >= 0', { field: 'n' });
  const md = new grpc.Metadata();
  md.set('x-request-id', 'stream-1');
  const err = await new Promise<grpc.ServiceError>((resolve, reject) => {
    const call = (streamClient as unknown as { Count: (r: unknown, m: grpc.Metadata) => grpc.ClientReadableStream<unknown> }).Count({ n: 5 }, md);
    call.on('data', () => undefined);
    call.on('error', resolve);
    call.on('end', () => reject(new Error('the stream ended OK')));
  });
  t.is(err.code, grpc.status.INVALID_ARGUMENT);
  const d = decodeTrailer(err.metadata);
  t.deepEqual(d?.details['BadRequest'], { field_violations: [{ field: 'n', description: 'n: must be >= 0' }] });
  t.deepEqual(d?.details['RequestInfo'], { request_id: 'stream-1', serving_data: '' });
});
