/**
 * Triton's ModelConfig, ModelStatistics and ModelStreamInfer RPCs against a real inference
 * service on loopback: the config answered is the one loaded from config.pbtxt, the statistics
 * count what was served, and a stream answers every request as ModelInfer would.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { InferenceClient as PublicClient } from '../../shared/client/index.js';
import type { ModelStreamInferResponse } from '../../shared/client/index.js';
import type { ModelStatistics__Output } from '../../shared/generated/inference/ModelStatistics.js';
import type { ModelStreamInferResponse__Output } from '../../shared/generated/inference/ModelStreamInferResponse.js';
import { messageCodec } from '../../shared/protos/index.js';
import type { ModelInferRequest } from '../../shared/generated/inference/ModelInferRequest.js';
import { readNpy } from '../../shared/tensors/index.js';
import { f32, fromF32, startInference, waitFor } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';
import { assertStatus, grpc } from '../helpers/grpc.js';

const test = anyTest as TestFn<{ fx: InferenceFixture; client: PublicClient; repo: string }>;
const S = grpc.status;
const root = projectRoot();

// As in test/inference/config-pbtxt.test.ts: Triton's own way of writing the digits MLP's config.
const DIGITS_PBTXT = `name: "digits"
platform: "onnxruntime_onnx"
max_batch_size : 4
input [ { name: "input" data_type: TYPE_FP32 format: FORMAT_NONE dims: [ 64 ] } ]
output [ { name: "probabilities" data_type: TYPE_FP32 dims: [ 10 ] } ]
instance_group [ { count: 2, kind: KIND_CPU } ]
dynamic_batching {
  preferred_batch_size: [ 2, 4 ]
  max_queue_delay_microseconds: 500
  default_queue_policy { max_queue_size: 32 }
}
`;

test.before(async (t) => {
  const repo = await mkdtemp(join(tmpdir(), 'mlmesh-triton-rpcs-'));
  await cp(join(root, 'examples/models/digits_mlp/1'), join(repo, 'digits', '1'), { recursive: true, filter: (src) => !src.includes('reference') });
  await writeFile(join(repo, 'digits', 'config.pbtxt'), DIGITS_PBTXT);
  for (const m of ['digits_mlp', 'slow_chain']) await cp(join(root, 'examples/models', m), join(repo, m), { recursive: true });
  const fx = await startInference({ repo });
  t.context = { fx, repo, client: new PublicClient(fx.service.address) };
});

test.after.always(async (t) => {
  t.context.client?.close();
  await t.context.fx?.stop();
  if (t.context.repo) await rm(t.context.repo, { recursive: true, force: true });
});

const PARITY = readNpy(join(root, 'test/fixtures/parity/digits_mlp/inputs.npy')).data;

/** Row `r` of the digits inputs (the parity rows, shifted per pass so every row differs). */
function digitsRows(from: number, rows: number): Buffer {
  const base = fromF32(PARITY);
  const inFile = base.length / 64;
  const out = new Float32Array(rows * 64);
  for (let i = 0; i < rows; i++) {
    const r = from + i;
    for (let k = 0; k < 64; k++) out[i * 64 + k] = (base[(r % inFile) * 64 + k] as number) + Math.floor(r / inFile) * 0.125;
  }
  return Buffer.from(out.buffer);
}

const digitsRequest = (model: string, from: number, rows: number, id = '') => ({
  model_name: model,
  id,
  inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, 64] }],
  raw_input_contents: [digitsRows(from, rows)],
});

test('config - ModelConfig answers the config.pbtxt the version runs with, as Triton writes it', async (t) => {
  const { config } = await t.context.client.modelConfig({ name: 'digits' });
  t.like(config, {
    name: 'digits',
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    max_batch_size: 4,
    version_policy: { policy_choice: 'latest', latest: { num_versions: 1 } },
    default_model_filename: 'model.onnx',
  });
  t.deepEqual(
    config?.input.map((i) => ({ name: i.name, data_type: i.data_type, dims: i.dims.map(Number) })),
    [{ name: 'input', data_type: 'TYPE_FP32', dims: [64] }],
  );
  t.deepEqual(
    config?.output.map((o) => ({ name: o.name, data_type: o.data_type, dims: o.dims.map(Number) })),
    [{ name: 'probabilities', data_type: 'TYPE_FP32', dims: [10] }],
  );
  t.deepEqual(config?.dynamic_batching?.preferred_batch_size, [2, 4]);
  t.is(Number(config?.dynamic_batching?.max_queue_delay_microseconds), 500);
  t.is(config?.dynamic_batching?.default_queue_policy?.max_queue_size, 32);
  t.deepEqual(config?.instance_group.map((g) => ({ kind: g.kind, count: g.count })), [{ kind: 'KIND_CPU', count: 2 }]);
  // The same for the version named, and for a config.json model (its own file's values).
  t.deepEqual((await t.context.client.modelConfig({ name: 'digits', version: '1' })).config, config);
  const mlp = (await t.context.client.modelConfig({ name: 'digits_mlp' })).config;
  t.like(mlp, { name: 'digits_mlp', max_batch_size: 256, instance_group: [{ count: 1 }] });
  t.is(Number(mlp?.dynamic_batching?.max_queue_delay_microseconds), 2000);
});

test('config - an empty name is INVALID_ARGUMENT naming name; unknown model or version NOT_FOUND', async (t) => {
  const c = t.context.fx.client;
  await assertStatus(t, c.modelConfig(''), S.INVALID_ARGUMENT, /name is required/);
  await assertStatus(t, c.modelConfig('no_such_model'), S.NOT_FOUND, /no_such_model/);
  await assertStatus(t, c.modelConfig('digits', '7'), S.NOT_FOUND, /no version '7'/);
});

test('config - GET /v2/models/{m}/config answers the same message as JSON', async (t) => {
  const res = await fetch(`${t.context.fx.http}/v2/models/digits/config`);
  t.is(res.status, 200);
  const body = (await res.json()) as Record<string, unknown>;
  t.like(body, { name: 'digits', platform: 'onnxruntime_onnx', backend: 'onnxruntime', max_batch_size: 4 });
  t.deepEqual(body['input'], [{ name: 'input', data_type: 'TYPE_FP32', dims: [64] }]);
  t.is((await fetch(`${t.context.fx.http}/v2/models/nope/config`)).status, 404);
});

/** Sum of count × batch size, and of counts, over batch_stats. */
function batchTotals(s: ModelStatistics__Output): { rows: number; runs: number } {
  let rows = 0;
  let runs = 0;
  for (const b of s.batch_stats) {
    const n = Number(b.compute_infer?.count);
    runs += n;
    rows += n * Number(b.batch_size);
  }
  return { rows, runs };
}

test('statistics - counts after known requests: successes, rows, one failure, batches consistent with execution_count', async (t) => {
  const c = t.context.fx.client;
  const before = Date.now();
  const sizes = [1, 2, 3, 4, 1, 2, 6];
  for (const [k, rows] of sizes.entries()) await c.infer(digitsRequest('digits', k * 8, rows));
  // A bad shape: fails after the model was resolved, so it counts as a failure of version 1.
  await assertStatus(t, c.infer({ ...digitsRequest('digits', 0, 1), inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 63] }] }), S.INVALID_ARGUMENT, /shape/);
  const after = Date.now();
  const { model_stats } = await c.modelStatistics('digits');
  t.is(model_stats.length, 1);
  const s = model_stats[0] as ModelStatistics__Output;
  t.like(s, { name: 'digits', version: '1' });
  const st = s.inference_stats;
  t.is(Number(st?.success?.count), sizes.length);
  t.is(Number(s.inference_count), sizes.reduce((a, b) => a + b, 0));
  t.is(Number(st?.fail?.count), 1);
  t.true(Number(st?.fail?.ns) > 0);
  t.true(Number(st?.success?.ns) > 0);
  t.is(Number(st?.queue?.count), sizes.length);
  t.is(Number(st?.compute_infer?.count), sizes.length);
  t.true(Number(st?.compute_infer?.ns) > 0);
  t.true(Number(st?.compute_input?.ns) > 0);
  t.true(Number(st?.compute_infer?.ns) <= Number(st?.success?.ns), 'a request runs within its own time');
  t.is(Number(st?.cache_hit?.count), 0);
  const last = Number(s.last_inference);
  t.true(last >= before && last <= after, `last_inference ${last} within the test's requests`);
  // One at a time: every request is its own batch, the 6-row one two chunks (4 + 2) of max_batch_size 4.
  t.is(Number(s.execution_count), sizes.length + 1);
  const totals = batchTotals(s);
  t.is(totals.runs, Number(s.execution_count), 'batch_stats counts add up to execution_count');
  t.is(totals.rows, Number(s.inference_count), 'batch sizes × counts add up to inference_count');
  t.deepEqual(s.batch_stats.map((b) => Number(b.batch_size)), [1, 2, 3, 4]);
  t.is(Number(s.batch_stats.find((b) => Number(b.batch_size) === 2)?.compute_infer?.count), 3);
});

test('statistics - empty name lists every served version; a version without a name is INVALID_ARGUMENT; unknown NOT_FOUND', async (t) => {
  const c = t.context.fx.client;
  const all = (await c.modelStatistics()).model_stats.map((s) => `${s.name}@${s.version}`).sort();
  t.deepEqual(all, ['digits@1', 'digits_mlp@1', 'slow_chain@1']);
  await assertStatus(t, c.modelStatistics('', '1'), S.INVALID_ARGUMENT, /version/);
  await assertStatus(t, c.modelStatistics('no_such_model'), S.NOT_FOUND, /no_such_model/);
  await assertStatus(t, c.modelStatistics('digits', '9'), S.NOT_FOUND, /no version '9'/);
});

test('statistics - GET /v2/models/{m}/stats answers the same counters as JSON numbers', async (t) => {
  const grpcStats = (await t.context.fx.client.modelStatistics('slow_chain')).model_stats[0];
  const res = await fetch(`${t.context.fx.http}/v2/models/slow_chain/stats`);
  t.is(res.status, 200);
  const body = (await res.json()) as { model_stats: { name: string; version: string; inference_count: number; inference_stats: { success: { count: number } } }[] };
  t.like(body.model_stats[0], { name: 'slow_chain', version: '1' });
  t.is(typeof body.model_stats[0]?.inference_count, 'number');
  t.true((body.model_stats[0]?.inference_stats.success.count ?? -1) >= Number(grpcStats?.inference_stats?.success?.count));
  const everything = (await (await fetch(`${t.context.fx.http}/v2/models/stats`)).json()) as { model_stats: unknown[] };
  t.is(everything.model_stats.length, 3);
});

/** Writes every request on a public-client stream, ends it, and collects the answers by id. */
async function streamAll(client: PublicClient, requests: ReturnType<typeof digitsRequest>[]): Promise<ModelStreamInferResponse[]> {
  const call = client.modelStreamInfer();
  const answers: ModelStreamInferResponse[] = [];
  const reading = (async () => {
    for await (const a of call) answers.push(a);
  })();
  for (const r of requests) await call.write(r);
  call.end();
  await reading;
  return answers;
}

test('stream - 200 requests pipelined on one stream: each answered once, with its id, as unary ModelInfer answers it', async (t) => {
  const requests = Array.from({ length: 200 }, (_, i) => digitsRequest('digits_mlp', i * 3, 1 + (i % 3), `r${i}`));
  const answers = await streamAll(t.context.client, requests);
  t.is(answers.length, 200);
  t.true(answers.every((a) => a.error_message === ''));
  const byId = new Map(answers.map((a) => [a.infer_response?.id ?? '', a]));
  t.is(byId.size, 200, 'every id once');
  // Unary answers of the same rows, a few at a time.
  for (let i = 0; i < 200; i += 20) {
    const unary = await Promise.all(requests.slice(i, i + 20).map((r) => t.context.fx.client.infer(r)));
    for (const [k, u] of unary.entries()) {
      const s = byId.get(`r${i + k}`)?.infer_response;
      t.like(s, { model_name: 'digits_mlp', model_version: '1' });
      t.deepEqual(s?.outputs.map((o) => ({ name: o.name, shape: o.shape.map(Number) })), u.outputs.map((o) => ({ name: o.name, shape: o.shape.map(Number) })));
      t.true(Buffer.from(s?.raw_output_contents[0] ?? []).equals(u.raw_output_contents[0] as Buffer), `r${i + k}: same probabilities as unary`);
    }
  }
});

test('stream - a bad request in the middle gets error_message with its id; the others succeed; the stream ends OK', async (t) => {
  const requests = Array.from({ length: 40 }, (_, i) => digitsRequest('digits_mlp', i, 2, `ok${i}`));
  requests.splice(20, 0, { ...digitsRequest('digits_mlp', 0, 1, 'bad'), inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 65] }] });
  requests.splice(30, 0, digitsRequest('no_such_model', 0, 1, 'missing'));
  const answers = await streamAll(t.context.client, requests);
  t.is(answers.length, 42);
  const bad = answers.find((a) => a.infer_response?.id === 'bad');
  t.regex(bad?.error_message ?? '', /input.*shape|shape.*input/i);
  t.regex(answers.find((a) => a.infer_response?.id === 'missing')?.error_message ?? '', /no_such_model/);
  // The status a unary call would end with, in band (Triton has only the message).
  t.is(bad?.infer_response?.parameters?.['mlmesh_status']?.string_param, 'INVALID_ARGUMENT');
  t.is(answers.find((a) => a.infer_response?.id === 'missing')?.infer_response?.parameters?.['mlmesh_status']?.string_param, 'NOT_FOUND');
  const ok = answers.filter((a) => a.error_message === '');
  t.true(ok.every((a) => a.infer_response?.parameters?.['mlmesh_status'] === undefined));
  t.is(ok.length, 40);
  t.deepEqual(ok.map((a) => a.infer_response?.id).sort(), requests.filter((r) => r.id.startsWith('ok')).map((r) => r.id).sort());
});

test('stream - cancelled mid-way: queued requests leave the batcher, the server stays healthy and serves the next stream', async (t) => {
  const { fx } = t.context;
  const call = fx.client.streamInfer();
  const got: ModelStreamInferResponse__Output[] = [];
  const ended = new Promise<grpc.ServiceError | undefined>((resolve) => {
    call.on('data', (a: ModelStreamInferResponse__Output) => {
      got.push(a);
      if (got.length === 1) call.cancel();
    });
    call.on('error', (e: grpc.ServiceError) => resolve(e));
    call.on('end', () => resolve(undefined));
  });
  const slow = (i: number) => ({ model_name: 'slow_chain', id: `s${i}`, inputs: [{ name: 'x', datatype: 'FP32', shape: [64, 512] }], raw_input_contents: [f32(new Array(64 * 512).fill(0.25))] });
  for (let i = 0; i < 200; i++) call.write(slow(i));
  const err = await ended;
  t.is(err?.code, S.CANCELLED);
  t.true(got.length < 200, `cancelled after ${got.length} answers`);
  const mv = fx.service.manager.find('slow_chain', '1');
  await waitFor(() => mv?.queued === 0 && mv.busyInstances === 0, 20_000, 'the cancelled requests to leave the queue');
  // Those still queued at the cancel never ran: they count as failures (CANCELLED), not successes.
  const st = (await fx.client.modelStatistics('slow_chain')).model_stats[0]?.inference_stats;
  t.true(Number(st?.success?.count) < 200, `${Number(st?.success?.count)} of 200 ran`);
  t.true((await fx.client.serverReady()).ready);
  const answers = await streamAll(t.context.client, [digitsRequest('digits_mlp', 0, 1, 'after')]);
  t.like(answers[0], { error_message: '', infer_response: { id: 'after' } });
});

test('stream - a message that is not a ModelInferRequest gets error_message naming the field; the next one is answered', async (t) => {
  const codec = messageCodec<ModelInferRequest, unknown>('inference/grpc_service.proto', 'inference.ModelInferRequest');
  const answers = messageCodec<object, ModelStreamInferResponse__Output>('inference/grpc_service.proto', 'inference.ModelStreamInferResponse');
  const raw = new grpc.Client(t.context.fx.service.address, grpc.credentials.createInsecure());
  try {
    const id = (b: Buffer): Buffer => b;
    const call = raw.makeBidiStreamRequest('/inference.GRPCInferenceService/ModelStreamInfer', id, id, new grpc.Metadata(), { deadline: Date.now() + 10_000 });
    const got: ModelStreamInferResponse__Output[] = [];
    const status = new Promise<grpc.StatusObject>((resolve) => {
      call.on('data', (b: Buffer) => got.push(answers.decode(b)));
      call.on('error', () => undefined);
      call.on('status', resolve);
    });
    // model_name (field 1) says 12 bytes and carries 3.
    call.write(Buffer.from([0x0a, 0x0c, 0x61, 0x62, 0x63]));
    call.write(Buffer.from(codec.encode(digitsRequest('digits_mlp', 0, 1, 'next'))));
    call.end();
    t.is((await status).code, S.OK);
    t.is(got.length, 2);
    t.regex(got.find((a) => a.error_message !== '')?.error_message ?? '', /not a valid .*ModelInferRequest.*model_name/);
    t.is(got.find((a) => a.error_message !== '')?.infer_response?.parameters?.['mlmesh_status']?.string_param, 'INVALID_ARGUMENT');
    t.like(got.find((a) => a.error_message === ''), { infer_response: { id: 'next', model_name: 'digits_mlp' } });
  } finally {
    raw.close();
  }
});
