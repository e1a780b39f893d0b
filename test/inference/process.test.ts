import { rm } from 'node:fs/promises';
import test from 'ava';
import { InferenceClient } from '../../services/inference/index.js';
import { copyRepository, f32, metricValue, waitFor } from '../helpers/inference.js';
import { runNode } from '../helpers/process.js';

test('process - SIGTERM drains: the in-flight inference completes, then the process exits 0', async (t) => {
  const repo = await copyRepository(['slow_chain']);
  const child = runNode('services/inference/main.js', [], {
    MLMESH_INFERENCE_GRPC_PORT: '0',
    MLMESH_INFERENCE_HTTP_PORT: '0',
    MLMESH_INFERENCE_MODEL_REPOSITORY: repo,
    MLMESH_LOG_LEVEL: 'info',
  });
  const client = { current: undefined as InferenceClient | undefined };
  try {
    const listening = await child.waitForLog((r) => r['msg'] === 'gRPC server listening');
    const ready = await child.waitForLog((r) => r['msg'] === 'inference service ready');
    client.current = new InferenceClient(`127.0.0.1:${String(listening['port'])}`);
    const long = client.current.infer({ model_name: 'slow_chain', inputs: [{ name: 'x', datatype: 'FP32', shape: [64, 512] }], raw_input_contents: [f32(new Array(64 * 512).fill(0.2))] });
    // The signal goes once the request is running (a fixed sleep raced with a loaded machine).
    const http = `http://127.0.0.1:${String(ready['httpPort'])}`;
    await waitFor(async () => (await metricValue(http, 'mlmesh_inference_executions_in_flight')) >= 1, 30_000, 'the request to run');
    child.proc.kill('SIGTERM');
    const res = await long;
    t.deepEqual(res.outputs[0]?.shape.map(Number), [64, 512]);
    t.is(await child.exited, 0);
    const msgs = child.stdout.map((l) => (JSON.parse(l) as { msg: string }).msg);
    t.true(msgs.includes('signal received: draining'));
    t.true(msgs.includes('inference service stopped'));
  } finally {
    client.current?.close();
    child.proc.kill('SIGKILL');
    await rm(repo, { recursive: true, force: true });
  }
});

test('process - a bad option stops the start (exit 78) with a message naming it and its variable', async (t) => {
  const child = runNode('services/inference/main.js', [], { MLMESH_INFERENCE_GRPC_PORT: 'eighty' });
  t.is(await child.exited, 78, "a bad option exits 78 (EX_CONFIG)");
  t.regex(child.stderr.join('\n'), /grpcPort \(env MLMESH_INFERENCE_GRPC_PORT\): expected a number, got "eighty"/);
});

test('process - a model repository that does not exist stops the start (exit 1) with a message naming the path', async (t) => {
  const missing = `/tmp/mlmesh-missing-repo-${process.pid}`;
  const child = runNode('services/inference/main.js', [], { MLMESH_INFERENCE_GRPC_PORT: '0', MLMESH_INFERENCE_HTTP_PORT: '0', MLMESH_INFERENCE_MODEL_REPOSITORY: missing });
  t.is(await child.exited, 1);
  t.regex(child.stderr.join('\n'), new RegExp(`model repository '${missing}' does not exist \\(set modelRepository, env MLMESH_INFERENCE_MODEL_REPOSITORY\\)`));
});

test('quick start - the demo starts the service, prints real predictions through gRPC and stops', async (t) => {
  const child = runNode('examples/quickstart.js', ['--exit', '--port', '0', '--http-port', '0']);
  t.is(await child.exited, 0, child.stderr.join('\n'));
  const out = child.stdout.join('\n');
  const predictions = out.match(/held-out digit #\d: predicted \d \(p=[\d.]+\), true label \d/g) ?? [];
  t.is(predictions.length, 5, out);
  t.regex(out, /service drained and exited with code 0/);
});

test('process - the former variable names still work, each with one warning naming the new one', async (t) => {
  const repo = await copyRepository(['digits_mlp']);
  const child = runNode('services/inference/main.js', [], {
    MLMESH_INFERENCE_GRPC_PORT: '0',
    MLMESH_INFERENCE_HTTP_PORT: '0',
    MLMESH_MODEL_REPOSITORY: repo,
    MLMESH_STARTUP_MODELS: 'digits_mlp',
    MLMESH_LOG_LEVEL: 'info',
  });
  try {
    const ready = await child.waitForLog((r) => r['msg'] === 'inference service ready');
    t.deepEqual(ready['models'], ['digits_mlp'], 'the repository named by the former variable is served');
    const records = child.stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
    const warnings = records.filter((r) => r['level'] === 'warn' && typeof r['variable'] === 'string');
    t.deepEqual(
      warnings.map((w) => `${String(w['variable'])} -> ${String(w['replacement'])}`).sort(),
      ['MLMESH_MODEL_REPOSITORY -> MLMESH_INFERENCE_MODEL_REPOSITORY', 'MLMESH_STARTUP_MODELS -> MLMESH_INFERENCE_STARTUP_MODELS'],
    );
    child.proc.kill('SIGTERM');
    t.is(await child.exited, 0);
  } finally {
    child.proc.kill('SIGKILL');
    await rm(repo, { recursive: true, force: true });
  }
});
