/**
 * A call that reaches the inference process while its startup models are still loading (a
 * restart under load) must be retryable: UNAVAILABLE "is loading", never NOT_FOUND "is not
 * loaded", with health NOT_SERVING until the loads are done. slow_chain takes seconds to load
 * (two instances, each warmed up with a 256×512 chain of matmuls), which leaves the window open.
 */
import { rm, writeFile } from 'node:fs/promises';
import test from 'ava';
import { InferenceClient } from '../../services/inference/index.js';
import { copyRepository, f32 } from '../helpers/inference.js';
import { assertStatus, grpc, healthCheck } from '../helpers/grpc.js';
import { runNode } from '../helpers/process.js';

const inferSlow = (c: InferenceClient) => c.infer({ model_name: 'slow_chain', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 512] }], raw_input_contents: [f32(new Array(512).fill(0.1))] });

test('startup - while a startup model loads: UNAVAILABLE "is loading" for it, NOT_FOUND for others, health NOT_SERVING; served once ready', async (t) => {
  const repo = await copyRepository(['slow_chain', 'digits_mlp']);
  const child = runNode('services/inference/main.js', [], {
    MLMESH_INFERENCE_GRPC_PORT: '0',
    MLMESH_INFERENCE_HTTP_PORT: '0',
    MLMESH_INFERENCE_MODEL_REPOSITORY: repo,
    // digits_mlp is in the repository but not a startup model: nothing is about to serve it.
    MLMESH_INFERENCE_STARTUP_MODELS: 'slow_chain',
    MLMESH_LOG_LEVEL: 'info',
  });
  let client: InferenceClient | undefined;
  try {
    const listening = await child.waitForLog((r) => r['msg'] === 'gRPC server listening', 60_000);
    const address = `127.0.0.1:${String(listening['port'])}`;
    client = new InferenceClient(address);
    let ready = false;
    const readyLog = child.waitForLog((r) => r['msg'] === 'inference service ready', 120_000).then((r) => {
      ready = true;
      return r;
    });

    const health = await healthCheck(address);
    const loading = await inferSlow(client).then(
      () => undefined,
      (e: unknown) => e as grpc.ServiceError,
    );
    const metadata = await client.modelMetadata('slow_chain').then(
      () => undefined,
      (e: unknown) => e as grpc.ServiceError,
    );
    const notStartup = client.modelMetadata('digits_mlp');
    const absent = client.modelMetadata('no_such_model');
    await assertStatus(t, notStartup, grpc.status.NOT_FOUND, /model 'digits_mlp' is not loaded/);
    await assertStatus(t, absent, grpc.status.NOT_FOUND, /no_such_model/);
    // Each answer above is only evidence of the start-up window if the load was still running.
    if (ready) {
      t.fail('slow_chain finished loading before the calls were answered: the start-up window was not observed');
      return;
    }
    t.is(health, 'NOT_SERVING', 'health says NOT_SERVING while the startup models load');
    t.is(loading?.code, grpc.status.UNAVAILABLE, `ModelInfer during the load: ${loading?.message ?? 'answered'}`);
    t.regex(loading?.details ?? '', /model 'slow_chain' is loading/);
    t.is(metadata?.code, grpc.status.UNAVAILABLE, `ModelMetadata during the load: ${metadata?.message ?? 'answered'}`);

    const r = await readyLog;
    t.deepEqual(r['models'], ['slow_chain']);
    t.is(await healthCheck(address), 'SERVING');
    const res = await inferSlow(client);
    t.deepEqual(res.outputs[0]?.shape.map(Number), [1, 512]);
    // After the start-up: absent and unloaded models are NOT_FOUND as ever.
    await assertStatus(t, client.modelMetadata('no_such_model'), grpc.status.NOT_FOUND, /no_such_model/);
    await assertStatus(t, client.infer({ model_name: 'digits_mlp', inputs: [] }), grpc.status.NOT_FOUND, /model 'digits_mlp' is not loaded/);
    child.proc.kill('SIGTERM');
    t.is(await child.exited, 0);
  } finally {
    client?.close();
    child.proc.kill('SIGKILL');
    await rm(repo, { recursive: true, force: true });
  }
});

test('startup - a startup model that fails to load is NOT_FOUND once the start-up is over, not UNAVAILABLE for ever', async (t) => {
  const repo = await copyRepository(['digits_mlp']);
  // A corrupt ONNX file: the manifest check refuses the version, the load fails.
  await writeFile(`${repo}/digits_mlp/1/model.onnx`, 'not an onnx file');
  const child = runNode('services/inference/main.js', [], {
    MLMESH_INFERENCE_GRPC_PORT: '0',
    MLMESH_INFERENCE_HTTP_PORT: '0',
    MLMESH_INFERENCE_MODEL_REPOSITORY: repo,
    MLMESH_INFERENCE_STARTUP_MODELS: 'digits_mlp',
    MLMESH_LOG_LEVEL: 'info',
  });
  let client: InferenceClient | undefined;
  try {
    await child.waitForLog((r) => r['msg'] === 'startup model failed to load', 60_000);
    const started = await child.waitForLog((r) => typeof r['msg'] === 'string' && /inference service (ready|started but not ready)/.test(r['msg']), 60_000);
    client = new InferenceClient(String(started['address']));
    await assertStatus(t, client.modelMetadata('digits_mlp'), grpc.status.NOT_FOUND, /model 'digits_mlp' is not loaded/);
  } finally {
    client?.close();
    child.proc.kill('SIGKILL');
    await rm(repo, { recursive: true, force: true });
  }
});
