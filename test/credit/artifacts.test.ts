/**
 * The credit example's committed outputs fit together: the model's manifest names the files it
 * was built from (SHA-256 of model.onnx and of the training rows), the pipeline was fitted on the
 * same rows and its output is the model's input, the deployment agrees with both, and the model
 * learned something from the features (the labels depend on them).
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { parse } from 'yaml';
import { readNpy } from '../../shared/tensors/index.js';
import { readCsvObjects } from '../../services/features/index.js';
import { MODEL_DIR, creditArtifact, readApplications, root, runModel } from './credit-mesh.js';

const TRAINING = join(root, 'examples/credit/training/training.csv');
const sha256 = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex');
const json = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;

interface Manifest {
  files: Record<string, string>;
  provenance: { training_data_sha256: string; produced_by: string; metrics: Record<string, number> };
}

test('credit artifacts - the manifest holds the SHA-256 of model.onnx and of the training rows it was trained on', async (t) => {
  const m = await json<Manifest>(join(MODEL_DIR, 'manifest.json'));
  t.is(m.files['model.onnx'], await sha256(join(MODEL_DIR, 'model.onnx')));
  t.is(m.provenance.training_data_sha256, await sha256(TRAINING));
  const { pipeline } = await creditArtifact();
  // The pipeline was fitted on the same file, and the model names the pipeline it was trained behind.
  t.is(pipeline.artifact.provenance.training_data_sha256, m.provenance.training_data_sha256);
  t.true(m.provenance.produced_by.includes(pipeline.artifact.sha256), m.provenance.produced_by);
  const ref = await json<{ files: Record<string, string>; provenance: { source_data_sha256: string } }>(join(MODEL_DIR, 'reference/reference.json'));
  for (const [f, h] of Object.entries(ref.files)) t.is(await sha256(join(MODEL_DIR, 'reference', f)), h, f);
  t.is(ref.provenance.source_data_sha256, m.provenance.training_data_sha256);
});

test("credit artifacts - the pipeline's output width and names are the model's input and the deployment's", async (t) => {
  const { pipeline } = await creditArtifact();
  const config = await json<{ input: { name: string; dims: number[]; data_type: string }[]; output: { name: string; dims: number[] }[] }>(join(MODEL_DIR, '..', 'config.json'));
  t.is(config.input.length, 1);
  t.deepEqual(config.input[0]?.dims, [pipeline.featureNames.length]);
  t.is(config.input[0]?.data_type, 'TYPE_FP32');
  t.deepEqual(config.output[0]?.dims, [2]);
  const reference = readNpy(join(MODEL_DIR, 'reference/inputs.npy'));
  t.deepEqual(reference.shape, [200, pipeline.featureNames.length]);
  const deployment = parse(await readFile(join(root, 'examples/deployments/credit.yaml'), 'utf8')) as { model: { name: string; feature_names: string[] }; pipeline: string; features: { service: string }[] };
  t.is(deployment.model.name, 'credit_risk');
  t.is(deployment.pipeline, `${pipeline.artifact.name}@${pipeline.artifact.version}`);
  t.deepEqual(deployment.model.feature_names, [...pipeline.featureNames]);
  t.is(deployment.features[0]?.service, 'credit_risk_v1');
});

test('credit artifacts - one training row per application, in order, with its label; the model ranks defaults well above chance on them', async (t) => {
  const apps = await readApplications();
  const labels = new Map<string, number>();
  for await (const { row } of readCsvObjects(join(root, 'examples/credit/data/labels.csv'))) labels.set(row['application_id'] as string, Number(row['defaulted']));
  const header: string[] = [];
  const rows: string[][] = [];
  for await (const { row } of readCsvObjects(TRAINING, (h) => header.push(...h))) rows.push(header.map((c) => row[c] ?? ''));
  t.is(rows.length, apps.length);
  rows.forEach((r, i) => {
    t.is(r[0], apps[i]?.application_id);
    t.is(r[1], apps[i]?.user_id);
    t.is(r[header.indexOf('defaulted')], String(labels.get(apps[i]?.application_id ?? '')));
  });
  const { pipeline } = await creditArtifact();
  const out = pipeline.transformCsv(header, rows);
  t.is(out.errors.length, 0);
  const p = await runModel(out.tensor, out.rows, out.features);
  const y = rows.map((r) => Number(r[header.indexOf('defaulted')]));
  // AUC (Mann-Whitney) of the default probability over every training row.
  const order = y.map((_, i) => i).sort((a, b) => (p[2 * a + 1] as number) - (p[2 * b + 1] as number));
  let rank = 0;
  let pos = 0;
  order.forEach((i, r) => {
    if (y[i] === 1) {
      rank += r + 1;
      pos++;
    }
  });
  const auc = (rank - (pos * (pos + 1)) / 2) / (pos * (y.length - pos));
  t.true(auc > 0.85, `AUC ${auc}`);
  const m = await json<Manifest>(join(MODEL_DIR, 'manifest.json'));
  t.true((m.provenance.metrics['heldout_auc'] ?? 0) > 0.85, JSON.stringify(m.provenance.metrics));
  // Defaults are a minority, as in real loan books: a model that says "repaid" always would be 75-85% right.
  const rate = y.reduce((a, b) => a + b, 0) / y.length;
  t.true(rate > 0.1 && rate < 0.3, `default rate ${rate}`);
});

test('credit artifacts - the committed data stays small (CI and the demo read it, nobody downloads it)', async (t) => {
  let bytes = 0;
  for (const dir of ['examples/credit/data', 'examples/credit/training']) for (const f of await readdir(join(root, dir))) bytes += (await stat(join(root, dir, f))).size;
  t.true(bytes < 5_000_000, `${bytes} bytes`);
});
