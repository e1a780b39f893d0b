import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { AlreadyExistsError } from '../../shared/errors/index.js';
import { ArtifactStore, CompiledPipeline, FitError, bytesSource, compareVersions, fitPipeline, parseSpec, quantileSorted, yeoJohnson } from '../../services/preprocess/index.js';

const fit = (spec: object, csv: string) => fitPipeline({ spec: parseSpec(spec as Record<string, unknown>), source: bytesSource(Buffer.from(csv)), name: 'u', version: '1', producedBy: 'unit', now: () => new Date(0) });

test('stats - quantiles match numpy linear interpolation', (t) => {
  const s = Float64Array.from([1, 2, 3, 4]);
  t.is(quantileSorted(s, 0.25), 1.75); // np.percentile([1,2,3,4], 25)
  t.is(quantileSorted(s, 0.5), 2.5);
  t.is(quantileSorted(Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 0.05), 1.45); // np.quantile(range(1, 11), 0.05)
  t.is(quantileSorted(Float64Array.from([7]), 0.9), 7);
});

test('stats - Yeo-Johnson matches its definition on both signs and at lambda 0 and 2', (t) => {
  t.is(yeoJohnson(3, 0), Math.log1p(3));
  t.is(yeoJohnson(-3, 2), -Math.log1p(3));
  t.true(Math.abs(yeoJohnson(3, 0.5) - (Math.sqrt(4) - 1) / 0.5) < 1e-15);
  t.true(Math.abs(yeoJohnson(-3, 0.5) - -(Math.pow(4, 1.5) - 1) / 1.5) < 1e-15);
});

test('spec - errors name the field; YAML and JSON of the same spec have the same hash', (t) => {
  t.throws(() => parseSpec('steps: []'), { message: /spec steps: must be a non-empty list/ });
  t.throws(() => parseSpec({ steps: [{ type: 'impute', columns: ['a'], fill_value: 3 }] }), { message: /steps\[0\]\.fill_value: is only used with strategy 'constant'/ });
  t.throws(() => parseSpec({ steps: [{ type: 'one_hot', columns: ['a'], min_frequency: 2.5 }] }), { message: /steps\[0\]\.min_frequency/ });
  t.throws(() => parseSpec({ steps: [{ type: 'select', columns: ['a', 'a'] }] }), { message: /steps\[0\]\.columns\[1\]: 'a' is listed twice/ });
  t.throws(() => parseSpec({ stepz: [] }), { message: /spec stepz: unknown key/ });
  t.throws(() => parseSpec({ columns: { a: 'int' }, steps: [{ type: 'select', columns: ['a'] }] }), { message: /columns\.a: must be one of number, string/ });
  const yaml = parseSpec('steps:\n  - type: select\n    columns: [a]\n');
  const json = parseSpec('{"steps": [{"columns": ["a"], "type": "select"}]}');
  t.is(yaml.sha256, json.sha256);
});

test('fit - types are inferred or declared; required follows imputation; unused columns are optional', async (t) => {
  const csv = 'a,b,zip,c,unused\n1,x,01234,,9\n2,,02345,5,9\n3,y,01234,6,\n';
  const { artifact } = await fit(
    {
      columns: { zip: 'string' },
      steps: [
        { type: 'drop', columns: ['unused'] },
        { type: 'impute', columns: ['b'], strategy: 'constant', fill_value: 'none' },
        { type: 'impute', columns: ['c'], strategy: 'median' },
        { type: 'one_hot', columns: ['b', 'zip'], handle_unknown: 'ignore' },
      ],
    },
    csv,
  );
  const col = (n: string) => artifact.input_schema.columns.find((c) => c.name === n);
  t.like(col('a'), { type: 'number', required: true, used: true, min: 1, max: 3, missing_in_training: 0 });
  t.like(col('b'), { type: 'string', required: false, categories: ['x', 'y'], missing_in_training: 1 });
  t.like(col('zip'), { type: 'string', required: true, categories: ['01234', '02345'] });
  t.like(col('c'), { type: 'number', required: false, missing_in_training: 1 });
  t.like(col('unused'), { used: false, required: false });
  t.deepEqual(artifact.feature_names, ['a', 'b_none', 'b_x', 'b_y', 'zip_01234', 'zip_02345', 'c']);
  t.is(artifact.provenance.fitted_at, '1970-01-01T00:00:00.000Z');
  t.is(artifact.provenance.training_rows, 3);
  const r = new CompiledPipeline(artifact).transformCsv(['a', 'b', 'zip', 'c'], [['4', '', '09999', '']]);
  t.deepEqual(Array.from(r.tensor), [4, 1, 0, 0, 0, 0, 5.5]);
});

test('fit - rare_label keeps every label when there are no more than n_categories; unseen labels become Rare', async (t) => {
  const csv = `c\n${['a', 'a', 'a', 'b', 'b', 'c'].join('\n')}\n`;
  const few = await fit({ steps: [{ type: 'rare_label', columns: ['c'], tol: 0.4, n_categories: 3 }, { type: 'ordinal', columns: ['c'] }] }, csv);
  t.deepEqual((few.artifact.steps[0] as unknown as { kept: Record<string, string[]> }).kept['c']?.slice().sort(), ['a', 'b', 'c']);
  const many = await fit({ steps: [{ type: 'rare_label', columns: ['c'], tol: 0.4, n_categories: 2 }, { type: 'ordinal', columns: ['c'] }] }, csv);
  t.deepEqual((many.artifact.steps[0] as unknown as { kept: Record<string, string[]> }).kept['c'], ['a']);
  const r = new CompiledPipeline(many.artifact).transformCsv(['c'], [['a'], ['b'], ['zzz']]);
  t.deepEqual(Array.from(r.tensor), [1, 0, 0]); // categories ['Rare', 'a']
});

test('store - name@version is immutable even across store instances; versions sort numerically', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-store-'));
  try {
    const a = (await fit({ steps: [{ type: 'select', columns: ['x'] }] }, 'x\n1\n')).artifact;
    const b = (await fit({ steps: [{ type: 'select', columns: ['x'] }] }, 'x\n2\n')).artifact;
    const results = await Promise.allSettled([new ArtifactStore(dir).put(a), new ArtifactStore(dir).put(b)]);
    t.is(results.filter((r) => r.status === 'fulfilled').length, 1);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    t.true(failed?.reason instanceof AlreadyExistsError);
    t.deepEqual(['10', '9', '2', 'a'].sort(compareVersions), ['2', '9', '10', 'a']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('schema - unknown_columns: ignore accepts fields the pipeline does not know; error (the default) refuses the row', async (t) => {
  const spec = { steps: [{ type: 'select', columns: ['x'] }] };
  const strict = new CompiledPipeline((await fit(spec, 'x\n1\n')).artifact);
  const lax = new CompiledPipeline((await fit({ ...spec, schema: { unknown_columns: 'ignore' } }, 'x\n1\n')).artifact);
  const refused = strict.transformCsv(['x', 'y'], [['2', 'extra']]);
  t.deepEqual(refused.errors.map((e) => [e.row, e.column, e.code]), [[0, 'y', 'UNKNOWN_COLUMN']]);
  const ok = lax.transformCsv(['x', 'y'], [['2', 'extra']]);
  t.deepEqual(ok.errors, []);
  t.deepEqual(Array.from(ok.tensor), [2]);
});

test('csv values - only decimal literals are numbers (no hex); Infinity is NOT_FINITE, text is WRONG_TYPE', async (t) => {
  const p = new CompiledPipeline((await fit({ steps: [{ type: 'select', columns: ['x'] }] }, 'x\n1\n2\n')).artifact);
  const r = p.transformCsv(['x'], [[' 1.5e1 '], ['0x10'], ['-Infinity'], ['.5'], ['1,5']]);
  t.deepEqual(r.errors.map((e) => [e.row, e.code]), [[1, 'WRONG_TYPE'], [2, 'NOT_FINITE'], [4, 'WRONG_TYPE']]);
  t.deepEqual(Array.from(r.tensor), [15, 0.5]);
});

test('fit - a CSV with a header and no data rows is a FitError naming the source (not a crash)', async (t) => {
  await t.throwsAsync(fit({ steps: [{ type: 'select', columns: ['a'] }] }, 'a,b\n'), { instanceOf: FitError, message: /inline CSV \(4 bytes\) has a header but no data rows/ });
});
