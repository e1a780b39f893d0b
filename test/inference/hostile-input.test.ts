/**
 * Input an outside reviewer sent (issue 11): client strings of any length echoed into errors
 * and logs, BYTES tensors, empty tensors with huge dimensions, bytes that are not protobuf,
 * parameters mlmesh does not implement; and health Watch, which must send on change only.
 */
import { connect } from 'node:http2';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest from 'ava';
import type { ExecutionContext, TestFn } from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { createClient, loadProtos, serviceDefinition } from '../../shared/grpc/index.js';
import { copyRepository, f32, startInference } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';
import { assertStatus, grpc } from '../helpers/grpc.js';

const test = anyTest as TestFn<InferenceFixture>;
const S = grpc.status;
const LONG = 'm'.repeat(20_000);

test.before(async (t) => {
  const repo = await copyRepository(['digits_mlp']);
  for (const m of ['dynamic_identity', 'string_identity']) await cp(join(projectRoot(), 'test/fixtures/models', m), join(repo, m), { recursive: true });
  // A model whose dimensions are all dynamic, so any shape passes the shape check.
  await writeFile(join(repo, 'dynamic_identity', 'config.json'), JSON.stringify({ max_batch_size: 0 }));
  t.context = await startInference({ repo, captureLogs: true, overrides: { startupModels: ['digits_mlp', 'dynamic_identity'] } });
});
test.after.always(async (t) => {
  await t.context?.stop();
});

const row = (extra: Record<string, unknown> = {}) => ({
  model_name: 'digits_mlp',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }],
  raw_input_contents: [f32(new Array(64).fill(0.5))],
  ...extra,
});

/** Asserts the status and that its message stays short (the echoed input clipped). */
async function assertShort(t: ExecutionContext<InferenceFixture>, p: Promise<unknown>, code: grpc.status, pattern: RegExp): Promise<void> {
  const err = await assertStatus(t, p, code, pattern);
  t.true(err.details.length < 600, `details of ${err.details.length} characters`);
}

test.serial('echo - a 20,000-character model name gets NOT_FOUND / INVALID_ARGUMENT with a short message, not a metadata-size failure', async (t) => {
  const { client } = t.context;
  await assertShort(t, client.infer(row({ model_name: LONG })), S.NOT_FOUND, /model 'mmmm.*… \(20000 characters\)' is not loaded/);
  await assertShort(t, client.modelMetadata(LONG), S.NOT_FOUND, /\(20000 characters\)/);
  await assertShort(t, client.infer(row({ model_version: LONG })), S.NOT_FOUND, /has no version 'mmm.*\(20000 characters\)'/);
  await assertShort(t, client.load(LONG), S.INVALID_ARGUMENT, /model_name 'mmm.*\(20000 characters\)' is not a valid model name/);
  await assertShort(t, client.unload(LONG), S.INVALID_ARGUMENT, /is not a valid model name/);
  await assertShort(t, client.load('digits_mlp', { [LONG]: { string_param: 'x' } }), S.INVALID_ARGUMENT, /parameters\.mmm.*is not supported/);
  await assertShort(t, client.load('digits_mlp', { config: { string_param: `{"${LONG}": 1}` } }), S.INVALID_ARGUMENT, /unknown field/);
  await assertShort(t, client.load('digits_mlp', { config: { string_param: `{"platform": "${LONG}"}` } }), S.INVALID_ARGUMENT, /unsupported platform/);
});

test.serial('echo - tensor names, datatypes, output names and parameter names of any length are clipped', async (t) => {
  const { client } = t.context;
  await assertShort(t, client.infer(row({ inputs: [{ name: LONG, datatype: 'FP32', shape: [1, 64] }] })), S.INVALID_ARGUMENT, /unknown input 'mmm.*\(20000 characters\)'/);
  await assertShort(t, client.infer(row({ inputs: [{ name: 'input', datatype: LONG, shape: [1, 64] }] })), S.INVALID_ARGUMENT, /datatype 'mmm.*' is not supported/);
  await assertShort(t, client.infer(row({ outputs: [{ name: LONG }] })), S.INVALID_ARGUMENT, /unknown output 'mmm/);
  await assertShort(t, client.infer(row({ outputs: [{ name: 'probabilities', parameters: { [LONG]: { bool_param: true } } }] })), S.INVALID_ARGUMENT, /parameter 'mmm.*' is not supported/);
});

test.serial('echo - a rank-100,000 shape gets INVALID_ARGUMENT with a short message', async (t) => {
  const shape = new Array(100_000).fill(1);
  await assertShort(t, t.context.client.infer(row({ inputs: [{ name: 'input', datatype: 'FP32', shape }] })), S.INVALID_ARGUMENT, /shape \[1, 1, .*, …\] \(rank 100000\) does not match the model's \[-1, 64\]/);
});

test.serial('echo - no log line carries the long input whole', async (t) => {
  const longest = Math.max(...t.context.logs.map((l) => l.length));
  t.true(t.context.logs.length > 0);
  t.true(longest < 4000, `longest log line: ${longest} characters`);
  t.true(t.context.logs.some((l) => l.includes('(20000 characters)')), 'the failures were logged, clipped');
});

test('bytes - a model with a string (BYTES) input is refused at load saying BYTES is not served', async (t) => {
  const err = await assertStatus(t, t.context.client.load('string_identity'), S.FAILED_PRECONDITION, /input 'text' is a string tensor: BYTES is not served/);
  t.notRegex(err.details, /missing in 'feeds'/);
});

test('bytes - a request sending BYTES to a numeric model is told BYTES is not served', async (t) => {
  await assertStatus(t, t.context.client.infer(row({ inputs: [{ name: 'input', datatype: 'BYTES', shape: [1, 64] }] })), S.INVALID_ARGUMENT, /input 'input': datatype BYTES is not served/);
});

test('shape - an empty tensor with a huge dimension ([0, 2^52]) is INVALID_ARGUMENT naming the dimension, not INTERNAL', async (t) => {
  const req = (shape: number[]) => ({ model_name: 'dynamic_identity', inputs: [{ name: 'x', datatype: 'FP32', shape }], raw_input_contents: [Buffer.alloc(0)] });
  await assertStatus(t, t.context.client.infer(req([0, 2 ** 52])), S.INVALID_ARGUMENT, /input 'x': shape \[0, 4503599627370496\]: dimension 1 is 4503599627370496, over the largest dimension onnxruntime takes \(4294967295\)/);
  await assertStatus(t, t.context.client.infer(req([2 ** 32, 0])), S.INVALID_ARGUMENT, /dimension 0 is 4294967296/);
  // The largest dimension onnxruntime takes still works on an empty tensor.
  const ok = await t.context.client.infer(req([0, 2 ** 32 - 1]));
  t.deepEqual(ok.outputs[0]?.shape.map(Number), [0, 2 ** 32 - 1]);
});

/** Sends one raw gRPC frame (5-byte prefix + payload) and returns the grpc-status and grpc-message. */
function rawCall(address: string, path: string, payload: Buffer): Promise<{ status: string; message: string }> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://${address}`);
    session.on('error', reject);
    const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
    let headers: Record<string, unknown> = {};
    req.on('response', (h: Record<string, unknown>) => (headers = { ...h }));
    req.on('trailers', (h: Record<string, unknown>) => (headers = { ...headers, ...h }));
    req.on('data', () => undefined);
    req.on('end', () => {
      session.close();
      resolve({ status: String(headers['grpc-status']), message: decodeURIComponent(String(headers['grpc-message'] as string | undefined ?? '')) });
    });
    req.on('error', reject);
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(payload.length, 1);
    req.end(Buffer.concat([prefix, payload]));
  });
}

test('malformed - bytes that are not a protobuf message get INVALID_ARGUMENT, and the server keeps serving', async (t) => {
  const address = t.context.service.address;
  // raw_input_contents (field 7, bytes) claims 255 bytes but the frame ends after one.
  const truncated = await rawCall(address, '/inference.GRPCInferenceService/ModelInfer', Buffer.from([0x3a, 0xff, 0x01, 0x41]));
  t.is(truncated.status, String(S.INVALID_ARGUMENT), truncated.message);
  t.regex(truncated.message, /not a valid ModelInferRequest protobuf message: .*field 'raw_input_contents' \(7\): length 255 runs past the end/);
  // Wire type 7 does not exist (field 15).
  const badWire = await rawCall(address, '/inference.GRPCInferenceService/ServerMetadata', Buffer.from([0x7f, 0x01]));
  t.is(badWire.status, String(S.INVALID_ARGUMENT), badWire.message);
  t.regex(badWire.message, /invalid wire type 7/);
  // A varint cut short.
  const cut = await rawCall(address, '/inference.GRPCInferenceService/RepositoryIndex', Buffer.from([0x98, 0x06, 0xff]));
  t.is(cut.status, String(S.INVALID_ARGUMENT), cut.message);
  // A valid frame on the same path works, and so does the server.
  t.is((await rawCall(address, '/inference.GRPCInferenceService/ServerLive', Buffer.alloc(0))).status, '0');
  t.deepEqual(await t.context.client.serverLive(), { live: true });
});

test('malformed - a request cut short inside a string gets INVALID_ARGUMENT naming the field, not NOT_FOUND for a shorter name', async (t) => {
  const address = t.context.service.address;
  const path = '/inference.GRPCInferenceService/ModelInfer';
  const name = Buffer.from('digits_mlp_v2');
  // model_name (field 1) = 'digits_mlp_v2', the last 3 bytes cut off: protobufjs read 'digits_mlp'.
  const cut = await rawCall(address, path, Buffer.concat([Buffer.from([0x0a, name.length]), name]).subarray(0, name.length + 2 - 3));
  t.is(cut.status, String(S.INVALID_ARGUMENT), cut.message);
  t.regex(cut.message, /field 'model_name' \(1\): length 13 runs past the end of inference\.ModelInferRequest \(10 bytes left\)/);
  // An input's name (inputs[0].name) claims more than its tensor message holds; the bytes
  // after the tensor (model_name) would have been read as part of the name.
  const tensor = Buffer.concat([Buffer.from([0x0a, 0x0c]), Buffer.from('input')]);
  const nested = Buffer.concat([Buffer.from([0x2a, tensor.length]), tensor, Buffer.from([0x0a, 0x0a]), Buffer.from('digits_mlp')]);
  const inner = await rawCall(address, path, nested);
  t.is(inner.status, String(S.INVALID_ARGUMENT), inner.message);
  t.regex(inner.message, /inference\.ModelInferRequest\.inputs: field 'name' \(1\): length 12 runs past the end/);
  // model_name sent as a varint (wire type 0): protobufjs would have read a string from the next bytes.
  const wrongWire = await rawCall(address, path, Buffer.from([0x08, 0x05, 0x0a, 0x01, 0x61]));
  t.is(wrongWire.status, String(S.INVALID_ARGUMENT), wrongWire.message);
  t.regex(wrongWire.message, /field 'model_name' \(1\): wire type 0, expected 2/);
  // A whole request, with parameters (a map) and typed contents (packed), is served.
  const method = serviceDefinition(loadProtos(['inference/grpc_service.proto']), 'inference.GRPCInferenceService')['ModelInfer'];
  const bytes = method?.requestSerialize({ ...row({ parameters: { entity_id: { string_param: 'user-42' } } }), raw_input_contents: [], inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], contents: { fp32_contents: new Array(64).fill(0.5) } }] });
  const whole = await rawCall(address, path, bytes ?? Buffer.alloc(0));
  t.is(whole.status, '0', whole.message);
});

test('parameters - request parameters mlmesh does not implement (priority, timeout, sequence_*) are refused; the caller\'s own are kept', async (t) => {
  const { client } = t.context;
  await assertStatus(t, client.infer(row({ parameters: { priority: { int64_param: 1 } } })), S.INVALID_ARGUMENT, /parameter 'priority' is not supported/);
  await assertStatus(t, client.infer(row({ parameters: { timeout: { int64_param: 1000 } } })), S.INVALID_ARGUMENT, /parameter 'timeout' is not supported/);
  await assertStatus(t, client.infer(row({ parameters: { sequence_id: { int64_param: 7 } } })), S.INVALID_ARGUMENT, /parameter 'sequence_id'/);
  await assertStatus(t, client.infer(row({ parameters: { triton_enable_empty_final_response: { bool_param: true } } })), S.INVALID_ARGUMENT, /triton_enable_empty_final_response/);
  const ok = await client.infer(row({ parameters: { entity_id: { string_param: 'user-42' } } }));
  t.is(ok.model_name, 'digits_mlp');
});

test('parameters - input parameters (e.g. Triton shared memory) are refused rather than ignored', async (t) => {
  const req = row({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], parameters: { shared_memory_region: { string_param: 'region0' } } }] });
  await assertStatus(t, t.context.client.infer(req), S.INVALID_ARGUMENT, /input 'input': parameter 'shared_memory_region' is not supported/);
});

test.serial('health - Watch sends a status only when it changes', async (t) => {
  const f = t.context;
  const pkg = loadProtos([]);
  const health = createClient(pkg, 'grpc.health.v1.Health', f.service.address);
  const seen: string[] = [];
  const call = (health as unknown as { Watch: (r: unknown) => grpc.ClientReadableStream<{ status: string }> }).Watch({ service: '' });
  const next = (): Promise<string> =>
    new Promise((resolve, reject) => {
      call.once('data', (m: { status: string }) => {
        seen.push(m.status);
        resolve(m.status);
      });
      call.once('error', reject);
    });
  try {
    t.is(await next(), 'SERVING');
    // Health is re-derived every second and after every load; nothing changed, so nothing is sent.
    for (let i = 0; i < 5; i++) f.service.refreshHealth();
    const change = next();
    await f.client.unload('digits_mlp');
    t.is(await change, 'NOT_SERVING', `statuses received: ${seen.join(', ')}`);
    const back = next();
    await f.client.load('digits_mlp');
    t.is(await back, 'SERVING', `statuses received: ${seen.join(', ')}`);
    t.deepEqual(seen, ['SERVING', 'NOT_SERVING', 'SERVING']);
  } finally {
    call.cancel();
    health.close();
  }
});

test('startup - "inference service ready" is logged only when the server is ready', async (t) => {
  const repo = await copyRepository(['digits_mlp']);
  await cp(join(projectRoot(), 'test/fixtures/models/string_identity'), join(repo, 'string_identity'), { recursive: true });
  const notReady = await startInference({ repo, captureLogs: true });
  try {
    t.false((await notReady.client.serverReady()).ready);
    const msgs = notReady.logs.map((l) => JSON.parse(l) as { msg: string; notReady?: string[] });
    t.false(msgs.some((m) => m.msg === 'inference service ready'), 'not logged as ready while readiness says 503');
    const warn = msgs.find((m) => m.msg.startsWith('inference service started but not ready'));
    t.deepEqual(warn?.notReady, ['string_identity']);
  } finally {
    await notReady.stop();
  }
  const ready = await startInference({ models: ['digits_mlp'], captureLogs: true });
  try {
    t.true(ready.logs.some((l) => (JSON.parse(l) as { msg: string }).msg === 'inference service ready'));
  } finally {
    await ready.stop();
  }
});
