/**
 * `npm run example:credit`: rebuilds the whole credit example from its seed, as a data scientist
 * would with the `mlmesh` command (examples/credit/README.md explains each step):
 *
 *  1. raw events: `python3 examples/credit/generate.py` → examples/credit/data/
 *  2. a features service of its own (a mesh of just `features` in a temporary folder), the
 *     definitions applied and every feature version materialized (`mlmesh features apply`,
 *     `mlmesh features materialize`)
 *  3. point-in-time training rows: `mlmesh features historical` at each application's time,
 *     joined with the application's request-time fields and its label →
 *     examples/credit/training/training.csv
 *  4. the pipeline fitted on them: `mlmesh pipeline fit --store examples/pipelines`, and the rows
 *     transformed (`mlmesh pipeline transform --strict … train.f32`)
 *  5. the model trained on that output and exported to ONNX (`python3 examples/credit/train.py`)
 *  6. `mlmesh model add credit_risk … --training-data training.csv --metrics --reference` into
 *     examples/models (the former credit_risk model and pipeline are removed first)
 *
 *   npm run example:credit                    # the whole build (needs /usr/bin/python3 with numpy, torch, onnx)
 *   npm run example:credit -- load            # apply + materialize into a running mesh's features service
 *   npm run example:credit -- load --address 127.0.0.1:8021
 *
 * Exit code 0 done, 1 a step failed (its command and message are printed).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { projectRoot } from '../../shared/config/index.js';
import { csvLine, readCsvObjects } from '../../services/features/index.js';
import { LogStream, Mesh, planMesh } from '../../tools/mesh/index.js';
import { CREDIT_DIR, FEATURE_SERVICE, MODEL, MODEL_REPOSITORY, PIPELINE, PIPELINE_STORE, PIPELINE_VERSION, StepError, jsonLines, loadCreditFeatures, mlmesh, run } from './steps.js';

const PYTHON = process.env['PYTHON'] ?? '/usr/bin/python3';
const root = projectRoot();
const out = (s = ''): void => void process.stdout.write(`${s}\n`);

/** Columns of the training rows: keys and time, the features (named by feature), request-time fields, the label. */
const REQUEST_FIELDS = ['loan_amount', 'income', 'employment', 'channel', 'term_months'] as const;

/**
 * Joins the point-in-time feature rows (one per application, in applications.csv's order) with
 * the applications' request-time fields and the labels. Features are named without their
 * version (`avg_bank_bal@2` → `avg_bank_bal`), as the deployment hands them to the pipeline;
 * booleans become 1/0 (the pipeline's number columns take a bool as 1/0 online too).
 */
async function joinTrainingRows(featuresCsv: string, target: string): Promise<number> {
  const labels = new Map<string, string>();
  for await (const { row } of readCsvObjects(join(root, CREDIT_DIR, 'data/labels.csv'))) labels.set(row['application_id'] as string, row['defaulted'] as string);
  const apps: Record<string, string>[] = [];
  for await (const { row } of readCsvObjects(join(root, CREDIT_DIR, 'data/applications.csv'))) apps.push(row);
  let featureCols: string[] = [];
  const lines: string[] = [];
  let i = 0;
  for await (const { row, line } of readCsvObjects(featuresCsv, (h) => (featureCols = h.slice(2)))) {
    const app = apps[i++];
    if (!app || app['user_id'] !== row['user_id'] || app['ts'] !== row['ts']) throw new StepError(`${featuresCsv}: line ${line} is not application ${i}`);
    if (lines.length === 0) lines.push(csvLine(['application_id', 'user_id', 'ts', ...featureCols.map((c) => c.replace(/@\d+$/, '')), ...REQUEST_FIELDS, 'defaulted']));
    const label = labels.get(app['application_id'] as string);
    if (label === undefined) throw new StepError(`labels.csv has no label for ${app['application_id']}`);
    const feats = featureCols.map((c) => {
      const v = row[c] ?? '';
      return v === 'true' ? '1' : v === 'false' ? '0' : v;
    });
    lines.push(csvLine([app['application_id'] as string, app['user_id'] as string, app['ts'] as string, ...feats, ...REQUEST_FIELDS.map((f) => app[f] ?? ''), label]));
  }
  if (i !== apps.length) throw new StepError(`${featuresCsv}: ${i} rows for ${apps.length} applications`);
  await writeFile(target, lines.join(''));
  return i;
}

async function withFeaturesService<T>(work: string, fn: (address: string) => Promise<T>): Promise<T> {
  const plan = await planMesh({ only: ['features'], varDir: join(work, 'mesh'), overrides: { mesh: { natsUrl: '' }, features: { grpcPort: 0, httpPort: 0 } } });
  const log = new LogStream({ out: new PassThrough().resume(), servicesOut: new PassThrough().resume(), format: 'json' });
  const mesh = Mesh.create(plan, log);
  try {
    await mesh.up(process.env);
    const address = mesh.records().find((r) => r.name === 'features')?.grpc;
    if (!address) throw new StepError('the features service has no gRPC address');
    return await fn(address);
  } finally {
    await mesh.drain();
  }
}

async function build(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'mlmesh-credit-'));
  try {
    out(`1. raw events from the seed: ${PYTHON} ${CREDIT_DIR}/generate.py`);
    out(`   ${(await run(PYTHON, [`${CREDIT_DIR}/generate.py`], {}, 'generate.py')).stdout.trim()}`);

    const featuresCsv = join(work, 'features_at_application.csv');
    const training = join(CREDIT_DIR, 'training/training.csv');
    await withFeaturesService(work, async (address) => {
      out(`2. features: a features service of its own on ${address}`);
      await loadCreditFeatures(address, (l) => out(`   ${l}`));
      out(`3. point-in-time rows: mlmesh features historical --service ${FEATURE_SERVICE} at each application's time`);
      const res = await mlmesh(['features', 'historical', '--entities', `${CREDIT_DIR}/data/applications.csv`, '--entity-column', 'user_id', '--timestamp-column', 'ts', '--service', FEATURE_SERVICE, '--out', featuresCsv, '--address', address, '--json']);
      out(`   ${JSON.stringify(jsonLines(res.stdout)[0])}`);
    });
    await mkdir(join(root, CREDIT_DIR, 'training'), { recursive: true });
    const rows = await joinTrainingRows(featuresCsv, join(root, training));
    out(`   joined with the request-time fields and labels: ${rows} rows → ${training}`);

    out(`4. pipeline: mlmesh pipeline fit --spec ${CREDIT_DIR}/pipeline.yaml --store ${PIPELINE_STORE}`);
    await removePipeline();
    const [fitted] = jsonLines((await mlmesh(['pipeline', 'fit', '--data', training, '--spec', `${CREDIT_DIR}/pipeline.yaml`, '--store', PIPELINE_STORE, '--json'])).stdout);
    const f = fitted as { name: string; version: string; sha256: string; training_rows: number; feature_names: string[] };
    out(`   ${f.name}@${f.version} sha256 ${f.sha256}: ${f.training_rows} rows, ${f.feature_names.length} features`);
    const f32 = join(work, 'train.f32');
    await mlmesh(['pipeline', 'transform', '--artifact', `${PIPELINE}@${PIPELINE_VERSION}`, '--store', PIPELINE_STORE, '--data', training, '--out', f32, '--strict']);
    const artifact = join(root, PIPELINE_STORE, 'objects', `${String(fitted?.['sha256'])}.json`);

    out(`5. model: ${PYTHON} ${CREDIT_DIR}/train.py (torch MLP on the pipeline's output, exported to ONNX)`);
    out(`   ${(await run(PYTHON, [`${CREDIT_DIR}/train.py`, '--features', f32, '--artifact', artifact, '--training', training, '--out', work], {}, 'train.py')).stdout.trim()}`);

    out(`6. mlmesh model add ${MODEL} model.onnx --repo ${MODEL_REPOSITORY} --training-data ${training} --metrics --reference`);
    await rm(join(root, MODEL_REPOSITORY, MODEL), { recursive: true, force: true });
    const added = jsonLines(
      (await mlmesh(['model', 'add', MODEL, join(work, 'model.onnx'), '--repo', MODEL_REPOSITORY, '--version', '1', '--max-batch-size', '256', '--training-data', training, '--metrics', join(work, 'metrics.json'), '--reference', join(work, 'reference.npy'), '--source', `${CREDIT_DIR}/train.py (seed 13) on pipeline ${PIPELINE}@${PIPELINE_VERSION} sha256 ${String(fitted?.['sha256'])}`, '--json'])).stdout,
    )[0];
    out(`   ${JSON.stringify((added?.['manifest'] as { provenance?: unknown } | undefined)?.provenance)}`);
    out(`\ndone: ${CREDIT_DIR}/data, ${training}, ${PIPELINE_STORE}/objects/${String(fitted?.['sha256'])}.json, ${MODEL_REPOSITORY}/${MODEL}/1`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Removes credit_risk's refs and objects from the pipeline store (name@version is immutable there). */
async function removePipeline(): Promise<void> {
  const refs = join(root, PIPELINE_STORE, 'refs', PIPELINE);
  if (existsSync(refs)) {
    for (const v of [PIPELINE_VERSION]) {
      const ref = join(refs, v);
      if (!existsSync(ref)) continue;
      const sha = (await readFile(ref, 'utf8')).trim();
      await rm(join(root, PIPELINE_STORE, 'objects', `${sha}.json`), { force: true });
    }
    await rm(refs, { recursive: true, force: true });
  }
}

const [command = 'build', ...rest] = process.argv.slice(2);
try {
  if (command === 'build') await build();
  else if (command === 'load') {
    const i = rest.indexOf('--address');
    const address = i >= 0 ? rest[i + 1] : (process.env['MLMESH_FEATURES_ADDRESS'] ?? '127.0.0.1:8021');
    if (!address) throw new StepError('--address needs host:port');
    await loadCreditFeatures(address, (l) => out(l));
  } else {
    out('usage: npm run example:credit [-- build | load [--address host:port]]');
    process.exit(2);
  }
} catch (e: unknown) {
  out(`\nexample:credit failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
