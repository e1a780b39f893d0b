/**
 * Drift on a named tensor that is not a model input: an embedding output of the ONNX model
 * (monitoring.input_from "outputs"), watched with MMD, the mean cosine similarity to the
 * reference centroid and the C2ST. Models (test/fixtures/drift, tools/make_embedding_fixtures.py):
 * a tiny one-layer transformer over token ids with a mean-pooled `embedding` output, and
 * digits_mlp with its hidden layer exported as `embedding`; both run by onnxruntime-node.
 */
import { join } from 'node:path';
import test from 'ava';
import * as ort from 'onnxruntime-node';
import { projectRoot } from '../../shared/config/index.js';
import type { PredictionLog__Output } from '../../shared/events/index.js';
import { runDetectors } from '../../services/monitor/detectors.js';
import type { DetectorSettings } from '../../services/monitor/detectors.js';
import { logMatrices } from '../../services/monitor/log-rows.js';
import { buildReference } from '../../services/monitor/reference.js';
import { parseMonitoring } from '../../services/monitor/model-monitoring.js';
import { resolveMonitorConfig } from '../../services/monitor/config.js';
import type { Matrix } from '../../services/monitor/matrix.js';
import { mmdTest, seededRandom } from '../../services/monitor/stats/index.js';
import { allDigits, blur, drawRows, matrixNpy, rowsOf } from '../helpers/digits.js';

const root = projectRoot();
const defaults = resolveMonitorConfig({ env: {} });
const mon = parseMonitoring({ input: 'embedding', input_from: 'outputs', output_kind: 'none' }, defaults, 'embedding');
const mmdInline = (input: Parameters<typeof mmdTest>[0]) => Promise.resolve(mmdTest(input));
const bound = (alpha: number, n: number): number => alpha + 2.33 * Math.sqrt((alpha * (1 - alpha)) / n);
const SEQ = 16;
const VOCAB = 64;

function settings(detectors: DetectorSettings['detectors'], seed: string): DetectorSettings {
  return { detectors, alpha: 0.05, correction: 'bonferroni', detectorCorrection: 'none', kernel: 'gaussian', permutations: 200, mmdMaxRows: 1000, seed };
}

/** Token sequences: Zipf-distributed ids (p ∝ 1/(rank+1)) under a fixed permutation of the vocabulary. */
function tokens(rows: number, rand: () => number, ranking: readonly number[]): BigInt64Array {
  const w = Array.from({ length: VOCAB }, (_, r) => 1 / (r + 1));
  const total = w.reduce((a, b) => a + b, 0);
  const out = new BigInt64Array(rows * SEQ);
  for (let i = 0; i < out.length; i++) {
    let u = rand() * total;
    let r = 0;
    while (r < VOCAB - 1 && (u -= w[r] as number) > 0) r++;
    out[i] = BigInt(ranking[r] as number);
  }
  return out;
}

async function embed(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<Matrix> {
  const e = (await session.run(feeds)).embedding as ort.Tensor;
  return { rows: e.dims[0] as number, cols: e.dims[1] as number, data: Float64Array.from(e.data as Float32Array) };
}

const refOf = (x: Matrix, id: string) => buildReference('m', '1', matrixNpy(x), undefined, mon, { inputs: id, outputs: null }, null);

test('embedding - a shift of the tiny transformer\'s token distribution is flagged by mmd, cosine and c2st; clean windows at the documented rate', async (t) => {
  const session = await ort.InferenceSession.create(join(root, 'test/fixtures/drift/tiny_transformer.onnx'));
  try {
    const rand = seededRandom(301);
    const base = Array.from({ length: VOCAB }, (_, i) => i);
    // The shift: a quarter of the vocabulary's ranks rotated (other words become the frequent ones).
    const shifted = [...base.slice(8, 24), ...base.slice(0, 8), ...base.slice(24)];
    const run = (x: BigInt64Array, rows: number) => embed(session, { tokens: new ort.Tensor('int64', x, [rows, SEQ]) });
    const detectors = ['mmd', 'cosine', 'c2st'] as const;
    const windows = 100;
    const flagged = { clean: { mmd: 0, cosine: 0, c2st: 0 }, shifted: { mmd: 0, cosine: 0, c2st: 0 } };
    for (let k = 0; k < windows; k++) {
      const ref = refOf(await run(tokens(300, rand, base), 300), `tt${k}`);
      for (const [name, ranking] of [['clean', base], ['shifted', shifted]] as const) {
        if (name === 'shifted' && k >= 20) continue;
        const v = await runDetectors(ref, { inputs: await run(tokens(100, rand, ranking), 100), outputs: undefined }, settings([...detectors], `${name}/${k}`), mmdInline);
        for (const r of v.results) {
          t.is(r.skipped_reason, '', `${r.detector}: ${r.skipped_reason}`);
          if (r.drifted) flagged[name][r.detector as (typeof detectors)[number]]++;
        }
      }
    }
    t.log(`tiny transformer, 300-row reference, 100-row windows: clean (of ${windows}) ${JSON.stringify(flagged.clean)}, shifted (of 20) ${JSON.stringify(flagged.shifted)}`);
    for (const d of detectors) {
      t.true(flagged.shifted[d] >= 19, `${d}: ${flagged.shifted[d]}/20 shifted windows flagged`);
      t.true(flagged.clean[d] / windows <= bound(0.05, windows), `${d}: ${flagged.clean[d]}/${windows} clean windows flagged`);
    }
  } finally {
    await session.release();
  }
});

test('embedding - digits_mlp\'s hidden-layer embedding: blurred digits (σ = 1) flagged by mmd, cosine and c2st, clean windows at the documented rate', async (t) => {
  const session = await ort.InferenceSession.create(join(root, 'test/fixtures/drift/digits_mlp_embedding.onnx'));
  try {
    const digits = allDigits();
    const rand = seededRandom(307);
    const run = (x: Matrix) => embed(session, { input: new ort.Tensor('float32', Float32Array.from(x.data), [x.rows, x.cols]) });
    const detectors = ['mmd', 'cosine', 'c2st'] as const;
    const windows = 100;
    const flagged = { clean: { mmd: 0, cosine: 0, c2st: 0 }, blurred: { mmd: 0, cosine: 0, c2st: 0 } };
    for (let k = 0; k < windows; k++) {
      const r = drawRows(digits.rows, 400, rand);
      const ref = refOf(await run(rowsOf(digits, r.slice(0, 300))), `dg${k}`);
      const win = rowsOf(digits, r.slice(300));
      for (const [name, x] of [['clean', win], ['blurred', k < 20 ? blur(win, 1) : undefined]] as const) {
        if (!x) continue;
        const v = await runDetectors(ref, { inputs: await run(x), outputs: undefined }, settings([...detectors], `${name}/${k}`), mmdInline);
        for (const res of v.results) if (res.drifted) flagged[name][res.detector as (typeof detectors)[number]]++;
      }
    }
    t.log(`digits embedding, 300-row reference, 100-row windows: clean (of ${windows}) ${JSON.stringify(flagged.clean)}, blurred (of 20) ${JSON.stringify(flagged.blurred)}`);
    for (const d of detectors) {
      t.true(flagged.blurred[d] >= 19, `${d}: ${flagged.blurred[d]}/20 blurred windows flagged`);
      t.true(flagged.clean[d] / windows <= bound(0.05, windows), `${d}: ${flagged.clean[d]}/${windows} clean windows flagged`);
    }
  } finally {
    await session.release();
  }
});

test('embedding - input_from "outputs" takes the watched tensor from the log\'s outputs (inputs omitted or not); bad settings are refused naming the field', (t) => {
  const f32 = (vals: number[]) => Buffer.from(new Uint8Array(Float32Array.from(vals).buffer));
  const log = {
    inputs: [{ name: 'tokens', datatype: 'INT64', shape: ['1', '2'], raw: Buffer.alloc(16) }],
    outputs: [
      { name: 'probabilities', datatype: 'FP32', shape: ['1', '2'], raw: f32([0.25, 0.75]) },
      { name: 'embedding', datatype: 'FP32', shape: ['1', '3'], raw: f32([1, 2, 3]) },
    ],
    inputs_omitted: true,
  } as unknown as PredictionLog__Output;
  const withOut = parseMonitoring({ input: 'embedding', input_from: 'outputs', output: 'probabilities' }, defaults, 'm');
  const m = logMatrices(log, withOut);
  t.deepEqual(Array.from(m.inputs?.data ?? []), [1, 2, 3]);
  t.deepEqual(Array.from(m.outputs?.data ?? []), [0.25, 0.75]);
  t.is(logMatrices(log, parseMonitoring({ input: 'tokens' }, defaults, 'm')).inputs, undefined, 'inputs omitted: nothing to watch');
  t.throws(() => parseMonitoring({ input_from: 'outputs' }, defaults, "model 'm'"), { message: /monitoring\.input_from: "outputs" needs monitoring\.input/ });
  t.throws(() => parseMonitoring({ input: 'e', input_from: 'elsewhere' }, defaults, "model 'm'"), { message: /monitoring\.input_from: must be one of inputs, outputs/ });
});
