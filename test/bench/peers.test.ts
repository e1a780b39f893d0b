/**
 * The Python peers of the inference benchmark (bench/peers/): the TorchScript copy of the ONNX
 * weights answers as onnxruntime does over each peer's own protocol, and bad requests are
 * refused naming the field. Needs Debian's python3-torch, python3-onnx, python3-grpcio and
 * python3-grpc-tools (the CI installs them); the Flask peer's test also needs python3-flask and
 * gunicorn and is skipped, saying why, where they are missing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { InferenceClient } from '../../services/inference/index.js';
import { compileProtos, exportTorchScript, flaskBody, parity, runH1Load, startFlask, startGrpcio } from '../../bench/peers/peers.js';

const ONNX = join(projectRoot(), 'examples/models/digits_mlp/1/model.onnx');
const hasFlask = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import flask, gunicorn'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
// .ci/run installs python3-flask and gunicorn; elsewhere the Flask test says why it does not run.
if (!hasFlask) console.log('the Flask peer test is skipped: /usr/bin/python3 cannot import flask and gunicorn (Debian packages python3-flask gunicorn)');

let dir = '';
let pt = '';
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlmesh-peers-test-'));
  pt = join(dir, 'digits_mlp.pt');
});
test.after.always(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test.serial('peers - the TorchScript export copies the ONNX network layer by layer', async (t) => {
  const out = await exportTorchScript(ONNX, pt);
  t.deepEqual(out['layers'], ['Linear(64,64)', 'ReLU', 'Linear(64,10)', 'Softmax']);
  t.is(out['parameters'], 64 * 64 + 64 + 64 * 10 + 10);
});

test.serial('peers - the grpcio peer answers ModelInfer as onnxruntime does, and refuses a wrong model or shape by status', async (t) => {
  const protos = await compileProtos();
  const peer = await startGrpcio(pt, 'digits_mlp', protos, 2, 2);
  const client = new InferenceClient(`127.0.0.1:${peer.port}`);
  try {
    const diff = await parity('grpcio', peer.port, 'digits_mlp', ONNX, 8);
    t.true(diff <= 1e-5, `max |Δ| ${diff}`);
    const x = Buffer.alloc(64 * 4);
    await t.throwsAsync(client.infer({ model_name: 'nope', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }], raw_input_contents: [x] }), { message: /model 'nope' is not served/, code: grpc.status.NOT_FOUND });
    await t.throwsAsync(client.infer({ model_name: 'digits_mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 64] }], raw_input_contents: [x] }), { message: /inputs\[0\]: 64 values for shape \[2, 64\]/, code: grpc.status.INVALID_ARGUMENT });
  } finally {
    client.close();
    await peer.stop();
    await rm(protos, { recursive: true, force: true });
  }
});

(hasFlask ? test.serial : test.skip)('peers - the Flask peer answers /predict and KServe v2 JSON as onnxruntime does, refuses a bad body naming the field, and h2load --h1 loads it', async (t) => {
  const peer = await startFlask(pt, 'digits_mlp', 1);
  try {
    const diff = await parity('flask', peer.port, 'digits_mlp', ONNX, 8);
    t.true(diff <= 1e-5, `max |Δ| ${diff}`);
    const row = Array.from({ length: 64 }, (_, i) => i / 64);
    const post = (path: string, body: unknown) => fetch(`http://127.0.0.1:${peer.port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const v1 = (await (await post('/predict', { instances: [row] })).json()) as { predictions: number[][] };
    const v2res = await post('/v2/models/digits_mlp/infer', { inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data: row }] });
    const v2 = (await v2res.json()) as { outputs: { name: string; shape: number[]; data: number[] }[] };
    t.deepEqual(v2.outputs[0]?.shape, [1, 10]);
    t.deepEqual(v2.outputs[0]?.data, v1.predictions[0]);
    const bad = await post('/predict', { rows: [row] });
    t.is(bad.status, 400);
    t.regex(await bad.text(), /'instances' must be a list of rows/);
    const badType = await post('/v2/models/digits_mlp/infer', { inputs: [{ name: 'input', shape: [1, 64], datatype: 'INT8', data: row }] });
    t.is(badType.status, 400);
    t.regex(await badType.text(), /inputs\[0\]\.datatype/);
    const load = await runH1Load(peer.port, flaskBody(), 4, 0.5);
    t.true(load.ok > 0);
    t.deepEqual(load.errors, {});
  } finally {
    await peer.stop();
  }
});
