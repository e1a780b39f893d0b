import anyTest from 'ava';
import type { TestFn } from 'ava';
import { startInference } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';
import { healthCheck, reflectionServices } from '../helpers/grpc.js';

const test = anyTest as TestFn<InferenceFixture>;

test.before(async (t) => {
  t.context = await startInference({ models: ['digits_mlp', 'digits_two_input'] });
});
test.after.always(async (t) => {
  await t.context?.stop();
});

test('health - ServerLive and ServerReady answer true once models are loaded', async (t) => {
  t.deepEqual(await t.context.client.serverLive(), { live: true });
  t.deepEqual(await t.context.client.serverReady(), { ready: true });
});

test('health - grpc.health.v1 answers SERVING for the server and the inference service', async (t) => {
  t.is(await healthCheck(t.context.service.address), 'SERVING');
  t.is(await healthCheck(t.context.service.address, 'inference.GRPCInferenceService'), 'SERVING');
});

test('health - plain HTTP health and Triton-style model readiness', async (t) => {
  const { http } = t.context;
  t.is((await fetch(`${http}/healthz`)).status, 200);
  t.is((await fetch(`${http}/v2/health/ready`)).status, 200);
  t.is((await fetch(`${http}/v2/models/digits_mlp/ready`)).status, 200);
  t.is((await fetch(`${http}/v2/models/digits_mlp/versions/1/ready`)).status, 200);
  t.is((await fetch(`${http}/v2/models/digits_mlp/versions/9/ready`)).status, 503);
  t.is((await fetch(`${http}/v2/models/nope/ready`)).status, 503);
  t.is((await fetch(`${http}/nope`)).status, 404);
});

test('reflection - lists the inference and health services', async (t) => {
  const names = await reflectionServices(t.context.service.address);
  t.true(names.includes('inference.GRPCInferenceService'), names.join(','));
  t.true(names.includes('grpc.health.v1.Health'), names.join(','));
});

test('metadata - ServerMetadata names the server, its version and the model_repository extension', async (t) => {
  const md = await t.context.client.serverMetadata();
  t.is(md.name, 'mlmesh');
  t.regex(md.version, /^\d+\.\d+\.\d+/);
  t.true(md.extensions.includes('model_repository'));
});

test('metadata - ModelMetadata comes from the ONNX file: -1 for the batch dimension, platform onnxruntime_onnx', async (t) => {
  const md = await t.context.client.modelMetadata('digits_mlp');
  t.is(md.name, 'digits_mlp');
  t.deepEqual(md.versions, ['1']);
  t.is(md.platform, 'onnxruntime_onnx');
  t.deepEqual(
    md.inputs.map((i) => ({ ...i, shape: i.shape.map(Number) })),
    [{ name: 'input', datatype: 'FP32', shape: [-1, 64] }],
  );
  t.deepEqual(
    md.outputs.map((i) => ({ ...i, shape: i.shape.map(Number) })),
    [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 10] }],
  );
});

test('metadata - a model with two inputs of different datatypes', async (t) => {
  const md = await t.context.client.modelMetadata('digits_two_input', '1');
  t.deepEqual(md.versions, ['1']);
  t.deepEqual(
    md.inputs.map((i) => [i.name, i.datatype, i.shape.map(Number)]),
    [
      ['features', 'FP32', [-1, 64]],
      ['ids', 'INT64', [-1, 1]],
    ],
  );
  t.deepEqual(
    md.outputs.map((i) => [i.name, i.datatype, i.shape.map(Number)]),
    [
      ['logits', 'FP32', [-1, 10]],
      ['label', 'INT64', [-1]],
    ],
  );
});

test('metadata - ModelReady is true for served versions and false otherwise', async (t) => {
  const { client } = t.context;
  t.true((await client.modelReady('digits_mlp')).ready);
  t.true((await client.modelReady('digits_mlp', '1')).ready);
  t.false((await client.modelReady('digits_mlp', '2')).ready);
  t.false((await client.modelReady('no_such_model')).ready);
});

test('metrics - /metrics exposes process metrics and per-RPC counters', async (t) => {
  await t.context.client.serverLive();
  const text = await (await fetch(`${t.context.http}/metrics`)).text();
  t.regex(text, /process_cpu_seconds_total/);
  t.regex(text, /grpc_server_handled_total\{[^}]*grpc_method="ServerLive"[^}]*grpc_code="OK"/);
  t.regex(text, /mlmesh_inference_model_versions_loaded\{model="digits_mlp"/);
});
