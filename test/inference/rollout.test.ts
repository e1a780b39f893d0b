import { cp, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { exampleConfig, f32, metricValue, startInference, waitFor } from '../helpers/inference.js';
import type { InferenceFixture } from '../helpers/inference.js';
import { grpc } from '../helpers/grpc.js';

const req = (rows = 1) => ({
  model_name: 'digits_mlp',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, 64] }],
  raw_input_contents: [f32(new Array(64 * rows).fill(0.2))],
});

/** `loops` clients, each keeping one request in flight until stopped; records versions and errors. */
function keepBusy(f: InferenceFixture, loops: number) {
  let running = true;
  const versions: string[][] = Array.from({ length: loops }, () => []);
  const errors: string[] = [];
  const done = Promise.all(
    versions.map(async (seen) => {
      while (running) {
        try {
          const res = await f.client.infer(req(), { deadlineMs: 10_000 });
          seen.push(res.model_version);
        } catch (e: unknown) {
          errors.push(`${(e as grpc.ServiceError).code}: ${(e as grpc.ServiceError).details}`);
        }
      }
    }),
  );
  return {
    versions,
    errors,
    total: () => versions.reduce((n, v) => n + v.length, 0),
    async stop() {
      running = false;
      await done;
    },
  };
}

test('rollout - a new version loads, takes traffic and the old one unloads under 32 requests in flight, with zero failures', async (t) => {
  const f = await startInference({ models: ['digits_mlp'] });
  const load = keepBusy(f, 32);
  try {
    await waitFor(() => load.total() > 200, 20_000, 'traffic on version 1');
    await cp(join(f.repo, 'digits_mlp', '1'), join(f.repo, 'digits_mlp', '2'), { recursive: true });
    // Load version 2 beside 1: requests without a version move to 2, the newest.
    await f.client.load('digits_mlp', { config: { string_param: exampleConfig('digits_mlp', { version_policy: { all: {} } }) } });
    const atSwitch = load.total();
    await waitFor(() => load.total() > atSwitch + 200, 20_000, 'traffic on version 2');
    // Unload version 1 (drains it), then reload 2 with two instances: traffic keeps flowing.
    await f.client.load('digits_mlp', { config: { string_param: exampleConfig('digits_mlp', { version_policy: { specific: { versions: [2] } } }) } });
    await f.client.load('digits_mlp', {
      config: { string_param: exampleConfig('digits_mlp', { version_policy: { specific: { versions: [2] } }, instance_group: [{ count: 2, kind: 'KIND_CPU' }] }) },
    });
    const atEnd = load.total();
    await waitFor(() => load.total() > atEnd + 200, 20_000, 'traffic after the reload');
  } finally {
    await load.stop();
  }
  try {
    t.deepEqual(load.errors, [], 'no request failed');
    for (const seen of load.versions) {
      const firstTwo = seen.indexOf('2');
      t.true(firstTwo > 0, 'each client saw version 1, then version 2');
      t.true(seen.slice(0, firstTwo).every((v) => v === '1') && seen.slice(firstTwo).every((v) => v === '2'), 'and switched exactly once');
    }
    t.log(`${load.total()} requests, 0 failed, across a load, a switch, an unload and a reload`);
    const idx = (await f.client.repositoryIndex()).models.map((m) => [m.version, m.state, m.reason]);
    t.deepEqual(idx, [
      ['1', 'UNAVAILABLE', 'unloaded'],
      ['2', 'READY', ''],
    ]);
  } finally {
    await f.stop();
  }
});

test('rollout - with polling on, a new version is picked up; an invalid one is reported and not served', async (t) => {
  const f = await startInference({ models: ['digits_mlp'], overrides: { repositoryPollMs: 100 } });
  try {
    await cp(join(f.repo, 'digits_mlp', '1'), join(f.repo, 'digits_mlp', '2'), { recursive: true });
    await waitFor(async () => (await f.client.modelMetadata('digits_mlp')).versions.join() === '2', 10_000, 'version 2 served');
    t.is((await f.client.infer(req())).model_version, '2');

    // Built beside the repository and renamed in, as a deployment should: the poller must never
    // see a half-written version (a copy with the original manifest would load first).
    const staging = `${f.repo}-staging-3`;
    await cp(join(f.repo, 'digits_mlp', '1'), staging, { recursive: true });
    const manifest = JSON.parse(await readFile(join(staging, 'manifest.json'), 'utf8')) as { files: Record<string, string> };
    manifest.files['model.onnx'] = '0'.repeat(64);
    await writeFile(join(staging, 'manifest.json'), JSON.stringify(manifest));
    await rename(staging, join(f.repo, 'digits_mlp', '3'));
    await waitFor(
      async () => (await f.client.repositoryIndex()).models.some((m) => m.version === '3' && m.state === 'UNAVAILABLE'),
      10_000,
      'version 3 reported',
    );
    const row = (await f.client.repositoryIndex()).models.find((m) => m.version === '3');
    t.regex(row?.reason ?? '', /SHA-256 mismatch/);
    t.is((await f.client.infer(req())).model_version, '2', 'version 2 keeps serving');
    t.deepEqual((await f.client.modelMetadata('digits_mlp')).versions, ['2']);
  } finally {
    await f.stop();
  }
});

test('metrics - the endpoint reflects a known sequence of requests', async (t) => {
  const f = await startInference({ models: ['digits_mlp'] });
  try {
    for (let i = 0; i < 3; i++) await f.client.infer(req(2));
    await f.client.infer({ ...req(), inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 63] }] }).catch(() => undefined);
    await f.client.infer({ ...req(), outputs: [{ name: 'nope' }] }).catch(() => undefined);
    await f.client.infer({ ...req(), model_version: '9' }).catch(() => undefined);
    const m = (name: string, labels: Record<string, string> = {}) => metricValue(f.http, name, { model: 'digits_mlp', ...labels });
    t.is(await m('mlmesh_inference_request_success_total'), 3);
    t.is(await m('mlmesh_inference_request_failure_total', { reason: 'invalid' }), 2);
    t.is(await m('mlmesh_inference_request_failure_total', { reason: 'rejected' }), 0);
    t.is(await m('mlmesh_inference_count_total'), 6, 'rows');
    t.is(await m('mlmesh_inference_exec_count_total'), 3, 'session runs');
    t.is(await m('mlmesh_inference_batch_size_count'), 3);
    t.is(await m('mlmesh_inference_batch_size_sum'), 6);
    t.is(await m('mlmesh_inference_queue_duration_seconds_count'), 3);
    t.is(await m('mlmesh_inference_compute_duration_seconds_count'), 3);
    t.is(await m('mlmesh_inference_request_duration_seconds_count'), 3);
    t.is(await m('mlmesh_inference_pending_requests'), 0);
    t.is(await m('mlmesh_inference_executions_in_flight'), 0);
    t.is(await m('mlmesh_inference_model_versions_loaded'), 1);
    const rpc = (code: string) => metricValue(f.http, 'grpc_server_handled_total', { grpc_method: 'ModelInfer', grpc_code: code });
    t.is(await rpc('OK'), 3);
    t.is(await rpc('INVALID_ARGUMENT'), 2);
    t.is(await rpc('NOT_FOUND'), 1);
  } finally {
    await f.stop();
  }
});
