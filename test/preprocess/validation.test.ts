/**
 * Per-row validation over gRPC: every failure kind gives the right row error, the valid rows
 * of the same batch are transformed exactly as the reference says, and strict mode refuses the
 * batch with INVALID_ARGUMENT listing the failures.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { responseTensor } from '../../services/preprocess/index.js';
import type { PipelineArtifact } from '../../services/preprocess/index.js';
import type { Record as PRecord } from '../../shared/generated/mlmesh/preprocess/v1/Record.js';
import { assertStatus, grpc } from '../helpers/grpc.js';
import { FIXTURES, expected, firstFloat32Mismatch, readCsv, specText } from '../helpers/preprocess-fixtures.js';
import { csvToRecords, startPreprocess } from '../helpers/preprocess.js';
import type { PreprocessFixture } from '../helpers/preprocess.js';

interface Ctx {
  svc: PreprocessFixture;
  sklearn: PipelineArtifact;
  engine: PipelineArtifact;
  test: { header: string[]; rows: string[][] };
}
const test = anyTest as TestFn<Ctx>;

test.before(async (t) => {
  const svc = await startPreprocess();
  const csv = readFileSync(join(FIXTURES, 'train.csv'));
  const artifacts: PipelineArtifact[] = [];
  for (const which of ['sklearn', 'engine'] as const) {
    await svc.client.fit({ name: which, spec: specText(which), csv });
    artifacts.push(JSON.parse((await svc.client.getPipeline({ name: which })).artifact_json) as PipelineArtifact);
  }
  t.context = { svc, sklearn: artifacts[0] as PipelineArtifact, engine: artifacts[1] as PipelineArtifact, test: await readCsv('test.csv') };
});
test.after.always(async (t) => {
  await t.context?.svc?.stop();
});

/** The first `n` test rows as records. */
function records(t: { context: Ctx }, a: PipelineArtifact, n: number): PRecord[] {
  return csvToRecords(a.input_schema, t.context.test.header, t.context.test.rows.slice(0, n));
}

function set(r: PRecord, column: string, value: PRecord['fields'] extends infer F ? (F extends Record<string, infer V> ? V | undefined : never) : never): void {
  const fields = (r.fields ??= {});
  if (value === undefined) delete fields[column];
  else fields[column] = value;
}

test('validation - every failure kind is reported per row and the valid rows are transformed as scikit-learn does', async (t) => {
  const batch = records(t, t.context.sklearn, 10);
  set(batch[1] as PRecord, 'age', undefined); // required (scaled, not imputed)
  set(batch[3] as PRecord, 's1', { string_value: 'high' }); // number column
  set(batch[4] as PRecord, 'sex', { string_value: 'other' }); // one_hot with handle_unknown: error
  set(batch[6] as PRecord, 's2', { double_value: Infinity });
  set(batch[7] as PRecord, 'weight', { double_value: 70 }); // not a column of the pipeline
  set(batch[8] as PRecord, 'age', { null_value: 'NULL_VALUE' });
  set(batch[8] as PRecord, 'bp', { bool_value: true }); // a bool is accepted in a number column (as 1): no error for bp
  set(batch[8] as PRecord, 's3', { string_value: '40' }); // two failures in one row: both listed
  const res = await t.context.svc.client.transform({ pipeline: { name: 'sklearn' }, records: batch });
  t.deepEqual(
    res.errors.map((e) => [e.row, e.column, e.code]),
    [
      [1, 'age', 'MISSING_REQUIRED'],
      [3, 's1', 'WRONG_TYPE'],
      [4, 'sex', 'UNKNOWN_CATEGORY'],
      [6, 's2', 'NOT_FINITE'],
      [7, 'weight', 'UNKNOWN_COLUMN'],
      [8, 's3', 'WRONG_TYPE'],
      [8, 'age', 'MISSING_REQUIRED'],
    ],
  );
  for (const e of res.errors) t.true(e.message.includes(`'${e.column}'`), `message names the column: ${e.message}`);
  const valid = [0, 2, 5, 9];
  t.deepEqual(res.row_index, valid);
  t.deepEqual(res.shape.map(Number), [valid.length, res.feature_names.length]);
  const want = expected('sklearn').test;
  t.is(firstFloat32Mismatch(responseTensor(res), valid.flatMap((r) => want[r] as number[])), undefined);
});

test('validation - a step domain failure is OUT_OF_RANGE on its column; the other rows match the numpy reference', async (t) => {
  const batch = records(t, t.context.engine, 6);
  set(batch[2] as PRecord, 's4', { double_value: -3 }); // log needs > 0
  set(batch[4] as PRecord, 's3', { int64_value: '-5' }); // log1p needs > -1
  const res = await t.context.svc.client.transform({ pipeline: { name: 'engine', version: '1' }, records: batch });
  t.deepEqual(res.errors.map((e) => [e.row, e.column, e.code]), [[2, 's4', 'OUT_OF_RANGE'], [4, 's3', 'OUT_OF_RANGE']]);
  t.deepEqual(res.row_index, [0, 1, 3, 5]);
  const want = expected('engine').test;
  t.is(firstFloat32Mismatch(responseTensor(res), [0, 1, 3, 5].flatMap((r) => want[r] as number[])), undefined);
});

test('validation - strict mode refuses the batch with INVALID_ARGUMENT listing every failure; a clean batch passes', async (t) => {
  const batch = records(t, t.context.sklearn, 5);
  set(batch[1] as PRecord, 'age', undefined);
  set(batch[3] as PRecord, 'sex', { string_value: 'other' });
  await assertStatus(
    t,
    t.context.svc.client.transform({ pipeline: { name: 'sklearn' }, records: batch, mode: 'STRICT' }),
    grpc.status.INVALID_ARGUMENT,
    /2 of 5 records refused: records\[1\]\.age: MISSING_REQUIRED: .*; records\[3\]\.sex: UNKNOWN_CATEGORY/,
  );
  const clean = records(t, t.context.sklearn, 5);
  const res = await t.context.svc.client.transform({ pipeline: { name: 'sklearn' }, records: clean, mode: 'STRICT' });
  t.deepEqual(res.row_index, [0, 1, 2, 3, 4]);
  t.deepEqual(res.errors, []);
});

const num = (fields: Record<string, number>): PRecord => ({ fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { double_value: v }])) });

test('validation - enforce_range refuses numbers outside the training range (widened by range_tolerance)', async (t) => {
  const spec = { name: 'ranges', schema: { enforce_range: true, range_tolerance: 0.1 }, steps: [{ type: 'select', columns: ['age', 's1', 's3'] }] };
  const fit = await t.context.svc.client.fit({ spec: JSON.stringify(spec), csv: readFileSync(join(FIXTURES, 'train.csv')) });
  t.is(fit.pipeline?.version, '1');
  const a = JSON.parse((await t.context.svc.client.getPipeline({ name: 'ranges' })).artifact_json) as PipelineArtifact;
  const age = a.input_schema.columns.find((c) => c.name === 'age');
  t.like(age, { type: 'number', required: true, used: true });
  t.like(a.input_schema.columns.find((c) => c.name === 'region'), { type: 'string', required: false, used: false });
  const { min = 0, max = 0 } = age ?? {};
  const res = await t.context.svc.client.transform({
    pipeline: { name: 'ranges' },
    records: [num({ age: 50, s1: 180, s3: 50 }), num({ age: max + 0.2 * (max - min), s1: 180, s3: 50 }), num({ age: max + 0.05 * (max - min), s1: 180, s3: 50 }), num({ age: 50, s1: 180 })],
  });
  t.deepEqual(res.errors.map((e) => [e.row, e.column, e.code]), [[1, 'age', 'OUT_OF_RANGE'], [3, 's3', 'MISSING_REQUIRED']]);
  t.deepEqual(res.row_index, [0, 2]);
  t.deepEqual(Array.from(responseTensor(res)), [50, 180, 50, max + 0.05 * (max - min), 180, 50].map(Math.fround));
});

test('validation - an output feature that is not finite (a ratio by zero) is NOT_FINITE on that feature', async (t) => {
  const spec = { name: 'ratios', steps: [{ type: 'select', columns: ['s1', 's3'] }, { type: 'derive', name: 's1_per_s3', op: 'ratio', left: 's1', right: 's3' }] };
  await t.context.svc.client.fit({ spec: JSON.stringify(spec), csv: readFileSync(join(FIXTURES, 'train.csv')) });
  const res = await t.context.svc.client.transform({ pipeline: { name: 'ratios' }, records: [num({ s1: 180, s3: 0 }), num({ s1: 180, s3: 50 }), num({ s1: 0, s3: 0 })] });
  t.deepEqual(res.errors.map((e) => [e.row, e.column, e.code]), [[0, 's1_per_s3', 'NOT_FINITE'], [2, 's1_per_s3', 'NOT_FINITE']]);
  t.deepEqual(res.feature_names, ['s1', 's3', 's1_per_s3']);
  t.deepEqual(Array.from(responseTensor(res)), [180, 50, 3.6].map(Math.fround));
});
