/**
 * The monitor's offline entry points over real gRPC (a monitor on 127.0.0.1:0 with a private
 * NATS): TwoSampleTest with the live path's detectors, its limits and bandwidth option, and
 * ReplaceReference against the widths the model's config.json declares. The digits outputs come
 * from the committed ONNX model run by onnxruntime-node, the KS values from scipy's fixtures.
 */
import { readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import * as ort from 'onnxruntime-node';
import { projectRoot } from '../../shared/config/index.js';
import { encodeNpy, readNpy } from '../../shared/tensors/index.js';
import type { NpyArray } from '../../shared/tensors/index.js';
import { NatsServer } from '../helpers/nats-server.js';
import { copyRepository, waitFor } from '../helpers/inference.js';
import { call, startMonitor } from '../helpers/monitor.js';
import type { MonitorFixture } from '../helpers/monitor.js';
import { assertStatus, grpc } from '../helpers/grpc.js';
import type { TwoSampleTestResponse__Output } from '../../shared/generated/mlmesh/monitor/v1/TwoSampleTestResponse.js';

interface Ctx {
  nats: NatsServer;
  monitor: MonitorFixture;
  repo: string;
  digits: { ref: Mat; refOut: Mat; clean: Mat; cleanOut: Mat; blurred: Mat; blurredOut: Mat };
}
interface Mat {
  rows: number;
  cols: number;
  data: Buffer;
}
const test = anyTest as TestFn<Ctx>;
const root = projectRoot();

const mat = (a: NpyArray): Mat => ({ rows: a.shape[0] as number, cols: a.shape[1] as number, data: Buffer.from(a.data) });

test.before(async (t) => {
  const nats = await NatsServer.start({ jetstream: true });
  const repo = await copyRepository(['digits_mlp', 'digits_two_input']);
  const monitor = await startMonitor({ natsUrl: nats.url, repo });
  const session = await ort.InferenceSession.create(join(root, 'examples/models/digits_mlp/1/model.onnx'));
  const run = async (m: Mat): Promise<Mat> => {
    const x = new Float32Array(new Uint8Array(m.data).buffer);
    const out = (await session.run({ input: new ort.Tensor('float32', x, [m.rows, m.cols]) })).probabilities as ort.Tensor;
    return { rows: m.rows, cols: out.dims[1] as number, data: Buffer.from(new Uint8Array((out.data as Float32Array).buffer)) };
  };
  const ref = mat(readNpy(join(root, 'examples/models/digits_mlp/1/reference/inputs.npy')));
  const clean = mat(readNpy(join(root, 'test/fixtures/drift/digits_clean.npy')));
  const blurred = mat(readNpy(join(root, 'test/fixtures/drift/digits_blurred.npy')));
  const digits = { ref, refOut: await run(ref), clean, cleanOut: await run(clean), blurred, blurredOut: await run(blurred) };
  await session.release();
  t.context = { nats, monitor, repo, digits };
  await waitFor(() => monitor.service.ready, 10_000, 'monitor ready');
});

test.after.always(async (t) => {
  await t.context.monitor?.stop();
  await t.context.nats?.dispose();
  if (t.context.repo) await rm(t.context.repo, { recursive: true, force: true });
});

const twoSample = (t: { context: Ctx }, req: object) => call<TwoSampleTestResponse__Output>(t.context.monitor.client, 'TwoSampleTest', { permutations: 200, ...req });

test('offline - TwoSampleTest runs the output detectors (bbsd, confidence, predicted_class) by default when outputs are sent', async (t) => {
  const d = t.context.digits;
  const clean = await twoSample(t, { reference: d.ref, test: d.clean, reference_outputs: d.refOut, test_outputs: d.cleanOut });
  t.deepEqual(clean.detectors.map((r) => r.detector), ['ks', 'mmd', 'bbsd', 'confidence', 'predicted_class']);
  t.false(clean.drifted, clean.detectors.map((r) => `${r.detector}=${r.p_value}`).join(' '));
  const blurred = await twoSample(t, { reference: d.ref, test: d.blurred, reference_outputs: d.refOut, test_outputs: d.blurredOut });
  t.true(blurred.drifted);
  for (const name of ['bbsd', 'confidence']) t.true(blurred.detectors.find((r) => r.detector === name)?.drifted, name);
  t.true((blurred.detectors.find((r) => r.detector === 'confidence')?.details.auc ?? 1) < 0.5, 'less confident on blurred digits');
  // Logits (log-probabilities here) are softmaxed first: the same answer as the probabilities
  // (up to float32 rounding of the logs: the same argmax, p-values within a few percent).
  const log = (m: Mat): Mat => ({ ...m, data: Buffer.from(Float32Array.from(new Float32Array(new Uint8Array(m.data).buffer), (p) => Math.log(Math.max(p, 1e-30))).buffer) });
  const asLogits = await twoSample(t, { reference: d.ref, test: d.blurred, reference_outputs: log(d.refOut), test_outputs: log(d.blurredOut), output_kind: 'logits', detectors: ['confidence', 'predicted_class'] });
  for (const name of ['confidence', 'predicted_class']) {
    const a = asLogits.detectors.find((r) => r.detector === name)?.p_value as number;
    const b = blurred.detectors.find((r) => r.detector === name)?.p_value as number;
    t.true(Math.abs(Math.log(a / b)) < 0.05, `${name}: ${a} vs ${b}`);
  }
  // The family-wise decision is reported per detector, and 'none' is the any-detector rule.
  for (const r of blurred.detectors.filter((x) => x.has_p_value)) t.true((r.details.holm_p_value as number) >= (r.p_value));
  const none = await twoSample(t, { reference: d.ref, test: d.clean, reference_outputs: d.refOut, test_outputs: d.cleanOut, detector_correction: 'none' });
  for (const r of none.detectors.filter((x) => x.has_p_value)) t.is(r.drifted, (r.p_value) < 0.05);
});

test('offline - TwoSampleTest reaches KS\'s asymptotic branch (a sample over 10,000 rows) and equals scipy', async (t) => {
  const fx = JSON.parse(readFileSync(join(root, 'test/fixtures/drift/scipy.json'), 'utf8')) as { ks: Array<{ a: number[]; b: number[]; pvalue: number; statistic: number; method: string }> };
  const cases = fx.ks.filter((c) => c.method === 'asymp');
  t.true(cases.length >= 2);
  for (const c of cases) {
    const m = (v: number[]): Mat => ({ rows: v.length, cols: 1, data: Buffer.from(Float32Array.from(v).buffer) });
    const r = await twoSample(t, { reference: m(c.a), test: m(c.b), detectors: ['ks'] });
    const f = r.detectors[0]?.features[0];
    t.true(Math.abs((f?.statistic as number) - c.statistic) < 1e-9, `D ${f?.statistic} vs ${c.statistic}`);
    t.true(Math.abs((f?.p_value as number) - c.pvalue) < 1e-6, `n=${c.a.length},${c.b.length}: p ${f?.p_value} vs scipy ${c.pvalue}`);
  }
});

test('offline - TwoSampleTest takes an MMD length scale (bandwidth) and uses it', async (t) => {
  const d = t.context.digits;
  const auto = await twoSample(t, { reference: d.ref, test: d.clean, detectors: ['mmd'] });
  const heuristic = auto.detectors[0]?.details.length_scale as number;
  t.true(heuristic > 0);
  const fixed = await twoSample(t, { reference: d.ref, test: d.clean, detectors: ['mmd'], length_scale: 0.25 });
  t.is(fixed.detectors[0]?.details.length_scale, 0.25);
  t.not(fixed.detectors[0]?.statistic, auto.detectors[0]?.statistic);
  // The median heuristic is used again once no length scale is given (the fixed one is not cached).
  const again = await twoSample(t, { reference: d.ref, test: d.clean, detectors: ['mmd'] });
  t.is(again.detectors[0]?.details.length_scale, heuristic);
});

test('offline - TwoSampleTest refuses what it cannot do, naming the field and the limit', async (t) => {
  const { client } = t.context.monitor;
  const d = t.context.digits;
  const zeros = (rows: number, cols: number): Mat => ({ rows, cols, data: Buffer.alloc(rows * cols * 4) });
  const cases: Array<[object, RegExp]> = [
    [{ reference: d.ref, test: d.clean, detectors: ['confidence'] }, /detectors\[0\]: confidence tests the model's outputs: send reference_outputs and test_outputs/],
    [{ reference: d.ref, test: d.clean, reference_outputs: d.refOut }, /test_outputs: required/],
    [{ reference: d.ref, test: d.clean, reference_outputs: zeros(60, 10), test_outputs: d.cleanOut }, /reference_outputs\.rows: 60, reference\.rows is 100 \(one output row per input row\)/],
    [{ reference: d.ref, test: d.clean, reference_outputs: zeros(100, 10), test_outputs: zeros(100, 9) }, /test_outputs\.cols: 9, reference_outputs\.cols is 10/],
    [{ reference: d.ref, test: d.blurred, reference_outputs: d.refOut, test_outputs: zeros(50, 10) }, /test_outputs\.rows: 50, test\.rows is 100/],
    [{ reference: d.ref, test: d.clean, reference_outputs: d.refOut, test_outputs: d.cleanOut, output_kind: 'scores' }, /output_kind: must be one of probabilities, logits/],
    [{ reference: d.ref, test: d.clean, detector_correction: 'fdr' }, /detector_correction: must be one of holm, none/],
    [{ reference: d.ref, test: d.clean, length_scale: -1 }, /length_scale: must be a finite number >= 0/],
    [{ reference: d.ref, test: d.clean, detectors: ['accuracy'] }, /detectors\[0\]: "accuracy" is not one of ks, chi2, mmd, bbsd, confidence, predicted_class/],
    [{ reference: zeros(1_000_001, 1), test: zeros(10, 1) }, /reference\.rows: 1000001 exceeds the limit of 1000000 rows per sample/],
    [{ reference: zeros(10_000, 20), test: zeros(10_000, 20), detectors: ['ks'] }, /exact KS on 20 columns × 10000 × 10000 rows exceeds its work budget/],
    [{ reference: zeros(850_000, 6), test: zeros(850_000, 6), detectors: ['ks'] }, /10200000 values in all .* exceed the limit of 10000000/],
  ];
  for (const [req, pattern] of cases) await assertStatus(t, call(client, 'TwoSampleTest', req, 60_000), grpc.status.INVALID_ARGUMENT, pattern);
});

test('offline - ReplaceReference refuses outputs (and inputs) whose width is not the one the model config declares', async (t) => {
  const { client } = t.context.monitor;
  const f32 = (rows: number, cols: number) => encodeNpy('FP32', [rows, cols], new Uint8Array(new Float32Array(rows * cols).fill(0.1).buffer));
  // digits_mlp declares output 'probabilities' dims [10]; 9 columns used to be accepted.
  await assertStatus(t, call(client, 'ReplaceReference', { model: 'digits_mlp', version: '1', inputs_npy: f32(20, 64), outputs_npy: f32(20, 9), produced_by: 'x' }), grpc.status.INVALID_ARGUMENT, /outputs_npy: has 9 columns, the model's config\.json declares 10 for output 'probabilities'/);
  // digits_two_input has no monitoring section: its first input (features, [64]) and output (logits, [10]).
  await assertStatus(t, call(client, 'ReplaceReference', { model: 'digits_two_input', version: '1', inputs_npy: f32(20, 64), outputs_npy: f32(20, 11), produced_by: 'x' }), grpc.status.INVALID_ARGUMENT, /outputs_npy: has 11 columns, the model's config\.json declares 10 for output \(the first output\)/);
  await assertStatus(t, call(client, 'ReplaceReference', { model: 'digits_two_input', version: '1', inputs_npy: f32(20, 63), produced_by: 'x' }), grpc.status.INVALID_ARGUMENT, /inputs_npy: has 63 columns, the model's config\.json declares 64 for input \(the first input\)/);
  // Nothing was written for the refused requests.
  t.false((await readdir(join(t.context.repo, 'digits_two_input', '1'))).some((e) => e.startsWith('reference')));
  // The declared widths are accepted.
  const ok = await call<{ rows: string }>(client, 'ReplaceReference', { model: 'digits_two_input', version: '1', inputs_npy: f32(20, 64), outputs_npy: f32(20, 10), produced_by: 'x' });
  t.is(Number(ok.rows), 20);
});
