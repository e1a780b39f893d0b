/** The monitor's gRPC API: queries, ReplaceReference, the ad-hoc TwoSampleTest, and every refusal. */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { encodeNpy } from '../../shared/tensors/index.js';
import { seededRandom } from '../../services/monitor/stats/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { copyRepository, waitFor } from '../helpers/inference.js';
import { call, startMonitor } from '../helpers/monitor.js';
import type { MonitorFixture } from '../helpers/monitor.js';
import { assertStatus, grpc, healthCheck, reflectionServices } from '../helpers/grpc.js';
import type { TwoSampleTestResponse__Output } from '../../shared/generated/mlmesh/monitor/v1/TwoSampleTestResponse.js';
import type { ReplaceReferenceResponse__Output } from '../../shared/generated/mlmesh/monitor/v1/ReplaceReferenceResponse.js';
import type { GetStatusResponse__Output } from '../../shared/generated/mlmesh/monitor/v1/GetStatusResponse.js';

interface Ctx {
  nats: NatsServer;
  monitor: MonitorFixture;
  repo: string;
}
const base = anyTest as TestFn<Ctx>;
// Serial: the ReplaceReference tests share the repository copy.
const test = base.serial;

base.before(async (t) => {
  const nats = await NatsServer.start({ jetstream: true });
  const repo = await copyRepository(['digits_mlp']);
  const monitor = await startMonitor({ natsUrl: nats.url, repo });
  t.context = { nats, monitor, repo };
  await waitFor(() => monitor.service.ready, 10_000, 'monitor ready');
});

base.after.always(async (t) => {
  await t.context.monitor?.stop();
  await t.context.nats?.dispose();
  if (t.context.repo) await rm(t.context.repo, { recursive: true, force: true });
});

function normals(seed: number, n: number, shift = 0, shiftCol = -1, cols = 4): Buffer {
  const rand = seededRandom(seed);
  const out = new Float32Array(n * cols);
  for (let i = 0; i < out.length; i++) {
    const g = Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
    out[i] = g + (i % cols === shiftCol ? shift : 0);
  }
  return Buffer.from(out.buffer);
}

test('grpc - health, reflection and an empty status', async (t) => {
  const address = `127.0.0.1:${t.context.monitor.service.grpcPort}`;
  t.is(await healthCheck(address, 'mlmesh.monitor.v1.MonitorService'), 'SERVING');
  t.true((await reflectionServices(address)).includes('mlmesh.monitor.v1.MonitorService'));
  const st = await call<GetStatusResponse__Output>(t.context.monitor.client, 'GetStatus', {});
  t.deepEqual(st.versions, []);
});

test('grpc - TwoSampleTest flags a shifted column and names it; the same data is not flagged', async (t) => {
  const { client } = t.context.monitor;
  const reference = { rows: 300, cols: 4, data: normals(1, 300) };
  const shifted = await call<TwoSampleTestResponse__Output>(client, 'TwoSampleTest', {
    reference,
    test: { rows: 200, cols: 4, data: normals(2, 200, 0.8, 2) },
    detectors: ['ks', 'mmd'],
    feature_names: ['a', 'b', 'c', 'd'],
    permutations: 200,
  });
  t.true(shifted.drifted);
  const ks = shifted.detectors.find((d) => d.detector === 'ks');
  t.deepEqual(ks?.features.filter((f) => f.drifted).map((f) => f.feature), ['c']);
  t.true((ks?.features.find((f) => f.feature === 'c')?.wasserstein_std ?? 0) > 0.5);
  t.true(shifted.detectors.find((d) => d.detector === 'mmd')?.drifted);
  const same = await call<TwoSampleTestResponse__Output>(client, 'TwoSampleTest', { reference, test: { rows: 200, cols: 4, data: normals(3, 200) }, permutations: 200 });
  t.false(same.drifted);
  // Categorical columns go to chi2, with categories unseen in the reference listed.
  const cat = (vals: number[]) => Buffer.from(Float32Array.from(vals.flatMap((v, i) => [v, i % 7])).buffer);
  const chi = await call<TwoSampleTestResponse__Output>(client, 'TwoSampleTest', {
    reference: { rows: 120, cols: 2, data: cat(Array.from({ length: 120 }, (_, i) => i % 3)) },
    test: { rows: 120, cols: 2, data: cat(Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? 5 : i % 3))) },
    detectors: ['chi2'],
    categorical_columns: [0],
  });
  const c = chi.detectors.find((d) => d.detector === 'chi2');
  t.true(c?.drifted);
  t.deepEqual(c?.features[0]?.unseen_categories, ['5']);
});

test('grpc - TwoSampleTest refuses malformed input, naming the field', async (t) => {
  const { client } = t.context.monitor;
  const ok = { rows: 10, cols: 4, data: normals(1, 10) };
  const cases: Array<[object, RegExp]> = [
    [{ test: ok }, /reference: required/],
    [{ reference: { rows: 1, cols: 4, data: normals(1, 1) }, test: ok }, /reference\.rows: must be >= 2/],
    [{ reference: { rows: 10, cols: 4, data: Buffer.alloc(12) }, test: ok }, /reference\.data: 12 bytes/],
    [{ reference: ok, test: { rows: 10, cols: 3, data: Buffer.alloc(120) } }, /test\.cols: 3, reference\.cols is 4/],
    [{ reference: ok, test: ok, detectors: ['bbsd'] }, /detectors\[0\]/],
    [{ reference: ok, test: ok, categorical_columns: [4] }, /categorical_columns\[0\]: 4 is not a column/],
    [{ reference: ok, test: ok, alpha: 1.5 }, /alpha: must be in \(0, 1\)/],
    [{ reference: ok, test: ok, kernel: 'cosine' }, /kernel: must be one of/],
    [{ reference: ok, test: ok, correction: 'holm' }, /correction/],
    [{ reference: ok, test: ok, permutations: 1_000_000 }, /permutations: must be in 1\.\.100000/],
    [{ reference: { rows: 2000, cols: 1, data: Buffer.alloc(8000) }, test: { rows: 2000, cols: 1, data: Buffer.alloc(8000) }, detectors: ['mmd'], permutations: 5000 }, /permutations: 5000 × 1000² rows exceeds the MMD work budget/],
    [{ reference: ok, test: ok, feature_names: ['a'] }, /feature_names: 1 names for 4 columns/],
    [{ reference: { rows: 1_000_001, cols: 1, data: Buffer.alloc(4_000_004) }, test: ok }, /reference\.rows: 1000001 exceeds the limit of 1000000 rows per sample/],
    [{ reference: { rows: 2, cols: 1, data: Buffer.from(Float32Array.of(1, NaN).buffer) }, test: { rows: 2, cols: 1, data: Buffer.alloc(8) } }, /reference\.data: value 1 .* not finite/],
  ];
  for (const [req, pattern] of cases) await assertStatus(t, call(client, 'TwoSampleTest', req), grpc.status.INVALID_ARGUMENT, pattern);
});

test('grpc - ReplaceReference swaps the reference atomically and records provenance', async (t) => {
  const { client } = t.context.monitor;
  const inputs = encodeNpy('FP32', [50, 64], new Uint8Array(new Float32Array(50 * 64).fill(0.25).buffer));
  const outputs = encodeNpy('FP32', [50, 10], new Uint8Array(new Float32Array(500).fill(0.1).buffer));
  const first = await call<ReplaceReferenceResponse__Output>(client, 'ReplaceReference', { model: 'digits_mlp', version: '1', inputs_npy: inputs, outputs_npy: outputs, produced_by: 'test@1' });
  t.is(Number(first.rows), 50);
  t.regex(first.sha256, /^[0-9a-f]{64}$/);
  t.regex(first.previous_sha256, /^[0-9a-f]{64}$/, 'the committed reference was the previous one');
  const meta = JSON.parse(await readFile(join(t.context.repo, 'digits_mlp/1/reference/reference.json'), 'utf8')) as { provenance: { produced_by: string; previous_sha256: string }; rows: number };
  t.is(meta.provenance.produced_by, 'test@1');
  t.is(meta.provenance.previous_sha256, first.previous_sha256);
  t.is(meta.rows, 50);
  const second = await call<ReplaceReferenceResponse__Output>(client, 'ReplaceReference', { model: 'digits_mlp', version: '1', inputs_npy: inputs, produced_by: 'test@2' });
  t.is(second.previous_sha256, first.sha256);
  t.not(second.sha256, first.sha256, 'no outputs: a different reference');
});

test('grpc - ReplaceReference and the queries refuse bad requests', async (t) => {
  const { client } = t.context.monitor;
  const inputs = encodeNpy('FP32', [5, 64], new Uint8Array(new Float32Array(320).buffer));
  const before = await readFile(join(t.context.repo, 'digits_mlp/1/reference/inputs.npy'));
  await assertStatus(t, call(client, 'ReplaceReference', { model: 'digits_mlp', version: '7', inputs_npy: inputs, produced_by: 'x' }), grpc.status.NOT_FOUND, /version 7 is not in the repository/);
  await assertStatus(t, call(client, 'ReplaceReference', { model: 'nope', version: '1', inputs_npy: inputs, produced_by: 'x' }), grpc.status.NOT_FOUND, /model 'nope'/);
  await assertStatus(t, call(client, 'ReplaceReference', { model: '', version: '1', inputs_npy: inputs, produced_by: 'x' }), grpc.status.INVALID_ARGUMENT, /model: required/);
  await assertStatus(t, call(client, 'ReplaceReference', { model: 'digits_mlp', version: '1', inputs_npy: inputs }), grpc.status.INVALID_ARGUMENT, /produced_by: required/);
  await assertStatus(t, call(client, 'ReplaceReference', { model: 'digits_mlp', version: '1', inputs_npy: Buffer.from('not numpy'), produced_by: 'x' }), grpc.status.INVALID_ARGUMENT, /inputs_npy: not a \.npy file/);
  await assertStatus(t, call(client, 'ReplaceReference', { model: 'digits_mlp', version: '1', inputs_npy: encodeNpy('FP32', [5, 3], new Uint8Array(60)), produced_by: 'x' }), grpc.status.INVALID_ARGUMENT, /inputs_npy: has 3 columns, monitoring\.feature_names names 64/);
  await assertStatus(t, call(client, 'ReplaceReference', { model: 'digits_mlp', version: '1', inputs_npy: inputs, outputs_npy: encodeNpy('FP32', [4, 10], new Uint8Array(160)), produced_by: 'x' }), grpc.status.INVALID_ARGUMENT, /outputs_npy: has 4 rows, inputs_npy has 5/);
  await assertStatus(t, call(client, 'ReplaceReference', { model: 'digits_mlp', version: '1', inputs_npy: inputs, produced_by: 'x', source_data_sha256: 'xyz' }), grpc.status.INVALID_ARGUMENT, /source_data_sha256/);
  const withNaN = new Float32Array(320);
  withNaN[70] = NaN;
  await assertStatus(t, call(client, 'ReplaceReference', { model: 'digits_mlp', version: '1', inputs_npy: encodeNpy('FP32', [5, 64], new Uint8Array(withNaN.buffer)), produced_by: 'x' }), grpc.status.INVALID_ARGUMENT, /inputs_npy: value at row 1, column 6 is NaN/);
  // Nothing was written by the refused requests.
  t.deepEqual(await readFile(join(t.context.repo, 'digits_mlp/1/reference/inputs.npy')), before);
  await assertStatus(t, call(client, 'ListReports', {}), grpc.status.INVALID_ARGUMENT, /model: required/);
  await assertStatus(t, call(client, 'ListReports', { model: 'nope' }), grpc.status.NOT_FOUND, /'nope' is not monitored/);
  await assertStatus(t, call(client, 'ListReports', { model: 'x', from_ms: 10, to_ms: 5 }), grpc.status.INVALID_ARGUMENT, /from_ms \(10\) is after to_ms \(5\)/);
  await assertStatus(t, call(client, 'ListReports', { model: 'x', limit: 5000 }), grpc.status.INVALID_ARGUMENT, /limit: must be in 0\.\.1000/);
  await assertStatus(t, call(client, 'GetStatus', { model: 'nope' }), grpc.status.NOT_FOUND, /'nope' is not monitored/);
});
