/**
 * The preprocess service over gRPC: Fit (inline CSV and data_path), GetPipeline, ListPipelines,
 * immutability, NOT_FOUND, INVALID_ARGUMENT naming step and column, corrupt artifacts, health,
 * reflection and metrics.
 */
import { chmod, copyFile, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { PREPROCESS_SERVICE, parseArtifact, responseTensor } from '../../services/preprocess/index.js';
import { assertStatus, grpc, healthCheck, reflectionServices } from '../helpers/grpc.js';
import { metricValue } from '../helpers/inference.js';
import { FIXTURES, expected, firstFloat32Mismatch, readCsv, specText } from '../helpers/preprocess-fixtures.js';
import { csvToRecords, startPreprocess } from '../helpers/preprocess.js';
import type { PreprocessFixture } from '../helpers/preprocess.js';

interface Ctx {
  svc: PreprocessFixture;
  data: string;
}
const test = anyTest as TestFn<Ctx>;
const S = grpc.status;
const TRAIN = readFileSync(join(FIXTURES, 'train.csv'));

test.before(async (t) => {
  const data = await mkdtemp(join(tmpdir(), 'mlmesh-data-'));
  await copyFile(join(FIXTURES, 'train.csv'), join(data, 'train.csv'));
  t.context = { svc: await startPreprocess({ overrides: { dataDir: data, maxConcurrentFits: 64 } }), data };
});
test.after.always(async (t) => {
  await t.context?.svc?.stop();
  if (t.context?.data) await rm(t.context.data, { recursive: true, force: true });
});

test('service - health SERVING, reflection lists the service', async (t) => {
  t.is(await healthCheck(t.context.svc.service.address, PREPROCESS_SERVICE), 'SERVING');
  t.true((await reflectionServices(t.context.svc.service.address)).includes(PREPROCESS_SERVICE));
});

test('service - Fit from inline CSV and from data_path; versions count up; Get by name, name@version and sha256; List', async (t) => {
  const c = t.context.svc.client;
  const first = await c.fit({ name: 'diab', spec: specText('sklearn'), csv: TRAIN });
  const second = await c.fit({ name: 'diab', spec: specText('sklearn'), data_path: 'train.csv' });
  t.is(first.pipeline?.version, '1');
  t.is(second.pipeline?.version, '2');
  t.true((first.passes ?? 0) >= 2);
  t.is(first.pipeline?.training_rows, String(expected('sklearn').train_rows));
  // Same data and spec: same parameters, but the artifact (fit time, version) differs.
  t.is(first.pipeline?.training_data_sha256, second.pipeline?.training_data_sha256);
  t.not(first.pipeline?.sha256, second.pipeline?.sha256);
  t.deepEqual(first.pipeline?.feature_names, expected('sklearn').feature_names);

  const latest = await c.getPipeline({ name: 'diab' });
  t.is(latest.pipeline?.version, '2');
  const v1 = await c.getPipeline({ name: 'diab', version: '1' });
  t.is(v1.pipeline?.sha256, first.pipeline?.sha256);
  const bySha = await c.getPipeline({ sha256: first.pipeline?.sha256 ?? '' });
  t.is(bySha.artifact_json, v1.artifact_json);
  const artifact = parseArtifact(v1.artifact_json, 'response', first.pipeline?.sha256 ?? '');
  t.like(artifact.provenance, { training_rows: 353, spec_sha256: first.pipeline?.spec_sha256, produced_by: artifact.provenance.produced_by });
  t.regex(artifact.provenance.produced_by, /^mlmesh-preprocess .* \(service\)$/);
  t.like(artifact.input_schema.columns.find((x) => x.name === 'sex'), { type: 'string', required: false, categories: ['female', 'male'] });
  t.like(artifact.input_schema.columns.find((x) => x.name === 'birth_year'), { used: false, required: false });
  // A dropped column keeps none of its values (no range).
  t.deepEqual(artifact.input_schema.columns.find((x) => x.name === 'birth_year'), { name: 'birth_year', type: 'number', required: false, used: false, missing_in_training: 0 });

  const list = await c.listPipelines('diab');
  t.deepEqual(list.pipelines.map((p) => p.version), ['1', '2']);
  t.true((await c.listPipelines()).pipelines.some((p) => p.name === 'diab'));

  // The pipeline transforms by any of its refs.
  const { header, rows } = await readCsv('test.csv');
  const records = csvToRecords(artifact.input_schema, header, rows);
  const res = await c.transform({ pipeline: { sha256: first.pipeline?.sha256 ?? '' }, records });
  t.is(res.sha256, first.pipeline?.sha256 ?? '');
  t.deepEqual(res.row_index, rows.map((_, i) => i));
  t.is(firstFloat32Mismatch(responseTensor(res), expected('sklearn').test.flat()), undefined);
});

test('service - artifacts are immutable: Fit of an existing name@version is ALREADY_EXISTS and leaves it as it was', async (t) => {
  const c = t.context.svc.client;
  const a = await c.fit({ name: 'fixed', version: 'v1.0', spec: specText('engine'), csv: TRAIN });
  await assertStatus(t, c.fit({ name: 'fixed', version: 'v1.0', spec: specText('sklearn'), csv: TRAIN }), S.ALREADY_EXISTS, /fixed@v1\.0 exists already/);
  t.is((await c.getPipeline({ name: 'fixed', version: 'v1.0' })).pipeline?.sha256, a.pipeline?.sha256);
  // The object file is named by its hash and read-only.
  const objects = await readdir(join(t.context.svc.artifacts, 'objects'));
  t.true(objects.includes(`${a.pipeline?.sha256}.json`));
  t.is((await stat(join(t.context.svc.artifacts, 'objects', `${a.pipeline?.sha256}.json`))).mode & 0o222, 0);
});

test('service - unknown pipeline is NOT_FOUND; malformed refs are INVALID_ARGUMENT naming the field', async (t) => {
  const c = t.context.svc.client;
  await assertStatus(t, c.transform({ pipeline: { name: 'nope' }, records: [] }), S.NOT_FOUND, /pipeline nope not found/);
  await assertStatus(t, c.getPipeline({ name: 'nope', version: '3' }), S.NOT_FOUND, /nope@3 not found/);
  await assertStatus(t, c.getPipeline({ sha256: 'a'.repeat(64) }), S.NOT_FOUND, /sha256 a{64} not found/);
  await assertStatus(t, c.transform({ records: [] }), S.INVALID_ARGUMENT, /^pipeline: required/);
  await assertStatus(t, c.getPipeline({ name: '../etc' }), S.INVALID_ARGUMENT, /pipeline\.name/);
  await assertStatus(t, c.getPipeline({ sha256: 'xyz' }), S.INVALID_ARGUMENT, /pipeline\.sha256/);
  await assertStatus(t, c.listPipelines('a/b'), S.INVALID_ARGUMENT, /^name:/);
});

test('service - a spec that cannot be fitted is INVALID_ARGUMENT naming the step and the column', async (t) => {
  const c = t.context.svc.client;
  const fit = (spec: unknown) => c.fit({ name: 'bad', spec: typeof spec === 'string' ? spec : JSON.stringify(spec), csv: TRAIN });
  await assertStatus(t, fit({ steps: [{ type: 'select', columns: ['age'] }, { type: 'winsorize', columns: ['age'] }] }), S.INVALID_ARGUMENT, /steps\[1\]\.type: unknown step type "winsorize"/);
  await assertStatus(t, fit({ steps: [{ type: 'impute', columns: ['age', 'weight'] }] }), S.INVALID_ARGUMENT, /steps\[0\] \(impute\): column 'weight': not in the data/);
  await assertStatus(t, fit({ steps: [{ type: 'drop', columns: ['region'] }, { type: 'one_hot', columns: ['region'] }] }), S.INVALID_ARGUMENT, /steps\[1\] \(one_hot\): column 'region': not in the data/);
  await assertStatus(t, fit({ steps: [{ type: 'standard_scale', columns: ['sex'] }] }), S.INVALID_ARGUMENT, /steps\[0\] \(standard_scale\): column 'sex': is categorical/);
  await assertStatus(t, fit({ steps: [{ type: 'select', columns: ['bmi'] }, { type: 'standard_scale', columns: ['bmi'] }] }), S.INVALID_ARGUMENT, /steps\[1\] \(standard_scale\): column 'bmi': has missing values .*impute it first/);
  await assertStatus(t, fit({ steps: [{ type: 'select', columns: ['age', 'sex'] }, { type: 'impute', columns: ['sex'], strategy: 'most_frequent' }] }), S.INVALID_ARGUMENT, /output: column 'sex': is still categorical/);
  await assertStatus(t, fit({ steps: [{ type: 'impute', columns: ['bmi'], strategy: 'avg' }] }), S.INVALID_ARGUMENT, /steps\[0\]\.strategy: must be one of/);
  await assertStatus(t, fit({ steps: [{ type: 'log', columns: ['s1'], base: 2 }] }), S.INVALID_ARGUMENT, /steps\[0\]\.base: unknown parameter/);
  await assertStatus(t, fit('steps: [unclosed'), S.INVALID_ARGUMENT, /cannot parse/);
  await assertStatus(t, c.fit({ name: 'bad', spec: specText('sklearn'), csv: Buffer.from('a,b\n1,2,3\n') }), S.INVALID_ARGUMENT, /^inline CSV \(10 bytes\): data row 0 \(line 2\) has 3 fields, the header has 2$/);
  await assertStatus(t, c.fit({ name: 'bad', spec: specText('sklearn') }), S.INVALID_ARGUMENT, /^data:/);
  await assertStatus(t, c.fit({ name: 'bad', spec: '{"steps": [{"type": "standard_scale", "columns": ["x"]}]}', csv: Buffer.from('x\n1\ninf\n') }), S.INVALID_ARGUMENT, /^data: column 'x': inline CSV \(8 bytes\): data row 1 holds "inf", an infinite number/);
  await assertStatus(t, c.fit({ spec: '{"steps": [{"type": "select", "columns": ["age"]}]}', csv: TRAIN }), S.INVALID_ARGUMENT, /^name: required/);
  await assertStatus(t, c.fit({ name: 'bad', version: 'a b', spec: specText('sklearn'), csv: TRAIN }), S.INVALID_ARGUMENT, /^version:/);
  t.deepEqual((await c.listPipelines('bad')).pipelines, []);
});

test('service - data_path may not leave the data folder; a missing file is NOT_FOUND', async (t) => {
  const c = t.context.svc.client;
  await assertStatus(t, c.fit({ name: 'p', spec: specText('sklearn'), data_path: '../etc/passwd' }), S.INVALID_ARGUMENT, /data_path: "\.\.\/etc\/passwd" leaves the data folder/);
  await assertStatus(t, c.fit({ name: 'p', spec: specText('sklearn'), data_path: '/etc/passwd' }), S.INVALID_ARGUMENT, /data_path: must be a non-empty path relative/);
  await assertStatus(t, c.fit({ name: 'p', spec: specText('sklearn'), data_path: 'nope.csv' }), S.NOT_FOUND, /data_path: "nope\.csv" not found/);
});

test('service - without a data folder, data_path is FAILED_PRECONDITION; over maxBatchRecords is INVALID_ARGUMENT; fits beyond maxConcurrentFits are RESOURCE_EXHAUSTED', async (t) => {
  const svc = await startPreprocess({ overrides: { maxBatchRecords: 2, maxConcurrentFits: 1 } });
  try {
    const results = await Promise.allSettled([1, 2, 3, 4].map((i) => svc.client.fit({ name: `race${i}`, spec: specText('sklearn'), csv: TRAIN })));
    t.true(results.some((r) => r.status === 'fulfilled'));
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    t.true(refused.length > 0, 'some fits were refused');
    for (const r of refused) t.is((r.reason as grpc.ServiceError).code, S.RESOURCE_EXHAUSTED);
    await assertStatus(t, svc.client.fit({ name: 'p', spec: specText('sklearn'), data_path: 'train.csv' }), S.FAILED_PRECONDITION, /dataDir/);
    await svc.client.fit({ name: 'p', spec: specText('sklearn'), csv: TRAIN });
    await assertStatus(t, svc.client.transform({ pipeline: { name: 'p' }, records: [{}, {}, {}] }), S.INVALID_ARGUMENT, /records: 3 records, at most 2/);
  } finally {
    await svc.stop();
  }
});

test('service - an artifact changed on disk is refused with DATA_LOSS, naming the hash mismatch', async (t) => {
  const artifacts = await mkdtemp(join(tmpdir(), 'mlmesh-pipelines-'));
  const first = await startPreprocess({ artifacts });
  let sha = '';
  try {
    sha = (await first.client.fit({ name: 'tamper', spec: specText('engine'), csv: TRAIN })).pipeline?.sha256 ?? '';
  } finally {
    await first.stop();
  }
  const file = join(artifacts, 'objects', `${sha}.json`);
  await chmod(file, 0o644);
  await writeFile(file, (await readFile(file, 'utf8')).replace(/"replace_with": "Rare"/, '"replace_with": "Other"'));
  const second = await startPreprocess({ artifacts });
  try {
    await assertStatus(t, second.client.transform({ pipeline: { name: 'tamper' }, records: [] }), S.DATA_LOSS, /hashes to [0-9a-f]{64}, the artifact says/);
  } finally {
    await second.stop();
    await rm(artifacts, { recursive: true, force: true });
  }
});

test('service - a fit past its deadline is DEADLINE_EXCEEDED and stores nothing; the service fits again afterwards', async (t) => {
  const c = t.context.svc.client;
  const [header, ...rows] = TRAIN.toString('utf8').trim().split('\n');
  const big = Buffer.from(`${header}\n${Array.from({ length: 200 }, () => rows.join('\n')).join('\n')}\n`);
  await assertStatus(t, c.fit({ name: 'slow', spec: specText('sklearn'), csv: big }, { deadlineMs: 100 }), S.DEADLINE_EXCEEDED, /./);
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual((await c.listPipelines('slow')).pipelines, []);
  // The service is fine afterwards.
  t.is((await c.fit({ name: 'slow', spec: specText('engine'), csv: TRAIN })).pipeline?.version, '1');
});

test('service - metrics count transformed and refused records and row errors by code', async (t) => {
  const c = t.context.svc.client;
  await c.fit({ name: 'metered', spec: JSON.stringify({ steps: [{ type: 'select', columns: ['age'] }] }), csv: TRAIN });
  await c.transform({ pipeline: { name: 'metered' }, records: [{ fields: { age: { double_value: 1 } } }, {}, { fields: { age: { string_value: 'x' } } }] });
  const http = t.context.svc.http;
  t.is(await metricValue(http, 'mlmesh_preprocess_records_total', { pipeline: 'metered', outcome: 'transformed' }), 1);
  t.is(await metricValue(http, 'mlmesh_preprocess_records_total', { pipeline: 'metered', outcome: 'refused' }), 2);
  t.is(await metricValue(http, 'mlmesh_preprocess_row_errors_total', { pipeline: 'metered', code: 'MISSING_REQUIRED' }), 1);
  t.is(await metricValue(http, 'mlmesh_preprocess_row_errors_total', { pipeline: 'metered', code: 'WRONG_TYPE' }), 1);
  t.true((await metricValue(http, 'mlmesh_preprocess_fits_total', { outcome: 'ok' })) >= 1);
  // A strict batch with one bad row returns nothing: every record counts as refused.
  await t.throwsAsync(c.transform({ pipeline: { name: 'metered' }, records: [{ fields: { age: { double_value: 1 } } }, {}], mode: 'STRICT' }));
  t.is(await metricValue(http, 'mlmesh_preprocess_records_total', { pipeline: 'metered', outcome: 'transformed' }), 1);
  t.is(await metricValue(http, 'mlmesh_preprocess_records_total', { pipeline: 'metered', outcome: 'refused' }), 4);
});
