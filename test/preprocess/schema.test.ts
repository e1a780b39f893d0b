/**
 * What the inferred schema keeps and how the first pass reads numbers: no raw values of columns
 * the pipeline drops or does not encode (issue 11 item 18), and infinite values read as pandas
 * reads them and refused as scikit-learn refuses them, naming the column, row and value (item 19).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Code } from '../../shared/errors/index.js';
import { ArtifactStore, CompiledPipeline, FitError, bytesSource, fitPipeline, parseSpec } from '../../services/preprocess/index.js';

async function fit(spec: string, csv: string) {
  return (await fitPipeline({ spec: parseSpec(spec), source: bytesSource(Buffer.from(csv)), name: 'x', version: '1', producedBy: 'test' })).artifact;
}

// Patients with an id and a national number the pipeline drops, a visit code it reads as a
// number (used, not encoded), a site it one-hot encodes, an age it scales.
const IDS = ['PX-93817', 'PX-44120', 'PX-70731', 'PX-11872', 'PX-50266', 'PX-38809'];
const NATIONAL = ['7810045512', '8203118834', '6907233371', '9111027760', '7504182295', '8809300146'];
const PATIENTS = `patient_id,national_no,visit_code,site,age\n${IDS.map((id, i) => `${id},${NATIONAL[i]},V0${i + 3},${i % 2 ? 'east' : 'west'},${40 + i}`).join('\n')}\n`;
const PATIENT_SPEC = `
steps:
  - {type: drop, columns: [patient_id, national_no]}
  - {type: impute, columns: [visit_code], strategy: constant, fill_value: none}
  - {type: drop, columns: [visit_code]}
  - {type: one_hot, columns: [site]}
  - {type: standard_scale, columns: [age]}
`;

test('schema - the stored artifact holds no value of a dropped column and categories only for encoded columns', async (t) => {
  const artifact = await fit(PATIENT_SPEC, PATIENTS);
  const col = (n: string) => artifact.input_schema.columns.find((c) => c.name === n);
  t.deepEqual(col('patient_id'), { name: 'patient_id', type: 'string', required: false, used: false, missing_in_training: 0 });
  t.deepEqual(col('national_no'), { name: 'national_no', type: 'number', required: false, used: false, missing_in_training: 0 });
  // Read by a step, but not encoded: no categories either.
  t.like(col('visit_code'), { type: 'string', used: true });
  t.false('categories' in (col('visit_code') ?? {}));
  t.deepEqual(col('site')?.categories, ['east', 'west']);
  t.like(col('age'), { min: 40, max: 45 });

  // The file as stored, byte by byte: none of the ids, national numbers or visit codes.
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-schema-'));
  try {
    await new ArtifactStore(dir).put(artifact);
    const text = await readFile(join(dir, 'objects', `${artifact.sha256}.json`), 'utf8');
    for (const v of [...IDS, ...NATIONAL, 'V03', 'V08']) t.false(text.includes(v), `the artifact contains ${v}`);
    t.true(text.includes('"east"'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // Dropped columns are accepted whatever they hold when transforming.
  const r = new CompiledPipeline(artifact).transformCsv(['patient_id', 'national_no', 'visit_code', 'site', 'age'], [['anything', 'not a number', 'V99', 'east', '41']]);
  t.deepEqual(r.errors, []);
  t.is(r.rows, 1);
});

test('schema - an infinite training value in a used column fails the fit naming the column, the data row and the value as written', async (t) => {
  for (const [value, row] of [['inf', 2], ['-Infinity', 0], ['1e999', 3], ['+INF', 1]] as const) {
    const cells = ['1.5', '2', '3', '4.25'];
    cells[row] = value;
    const e = await t.throwsAsync(fit('steps: [{type: standard_scale, columns: [x]}]', `x,y\n${cells.map((c, i) => `${c},${i}`).join('\n')}\n`), { instanceOf: FitError });
    t.is(e?.code, Code.INVALID_ARGUMENT);
    t.regex(e?.message ?? '', new RegExp(`^data: column 'x': inline CSV \\(\\d+ bytes\\): data row ${row} holds ${JSON.stringify(value).replace(/[+]/g, '\\+')}, an infinite number`), value);
    t.notRegex(e?.message ?? '', /categorical/);
  }
  // Any step that reads it, not only scalers; and a declared number column likewise.
  await t.throwsAsync(fit('columns: {x: number}\nsteps: [{type: impute, columns: [x], strategy: median}]', 'x\n1\n\ninf\n'), { message: /column 'x': .*data row 1 holds "inf"/ });
  // Left to the output without any step: the model would get it, so it is refused too.
  await t.throwsAsync(fit('steps: [{type: drop, columns: [y]}]', 'x,y\n1,a\ninf,b\n'), { message: /column 'x': .*data row 1 holds "inf"/ });
});

test('schema - infinities where scikit-learn accepts them: in a dropped column, or listed as a missing-value token', async (t) => {
  // pandas reads the column as float; a ColumnTransformer that drops it never looks at it.
  const csv = 'x,big\n1,inf\n2,5\n3,-inf\n';
  const dropped = await fit('steps: [{type: drop, columns: [big]}, {type: standard_scale, columns: [x]}]', csv);
  t.like(dropped.input_schema.columns.find((c) => c.name === 'big'), { type: 'number', used: false });
  // The training rows themselves transform cleanly.
  const r = new CompiledPipeline(dropped).transformCsv(['x', 'big'], [['1', 'inf'], ['2', '5'], ['3', '-inf']]);
  t.deepEqual(r.errors, []);
  t.is(r.rows, 3);

  const missing = await fit('csv: {missing_values: ["", inf]}\nsteps: [{type: impute, columns: [x], strategy: mean}]', 'x\n1\ninf\n3\n');
  t.is((missing.steps[0] as unknown as { statistics: Record<string, number> }).statistics['x'], 2);
  // Serving an infinity to a used column is still a row error, as before.
  t.is(new CompiledPipeline(dropped).transformCsv(['x', 'big'], [['Infinity', '1']]).errors[0]?.code, 'NOT_FINITE');
});
