/**
 * The CLI (offline, as a training job would run it) and the service (online) give identical
 * outputs for the same artifact: byte for byte, with the same row mapping and row errors.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest from 'ava';
import { parse as parseCsv } from 'csv-parse/sync';
import type { TestFn } from 'ava';
import type { PipelineArtifact } from '../../services/preprocess/index.js';
import { runNode } from '../helpers/process.js';
import { FIXTURES, readCsv } from '../helpers/preprocess-fixtures.js';
import { csvToRecords, startPreprocess } from '../helpers/preprocess.js';
import type { PreprocessFixture } from '../helpers/preprocess.js';

interface Ctx {
  dir: string;
  svc: PreprocessFixture;
  /** test.csv with a few rows made invalid. */
  data: string;
}
const test = anyTest as TestFn<Ctx>;

async function cli(args: readonly string[]): Promise<{ code: number | string; stdout: string[]; stderr: string }> {
  const child = runNode('tools/cli/main.js', [...args, '--json']);
  const code = await child.exited;
  return { code, stdout: child.stdout, stderr: child.stderr.join('\n') };
}

test.before(async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-cli-'));
  const { header, rows } = await readCsv('test.csv');
  const col = (name: string) => header.indexOf(name);
  const bad = rows.map((r) => [...r]);
  (bad[2] as string[])[col('age')] = '';
  (bad[5] as string[])[col('s1')] = 'abc';
  (bad[7] as string[])[col('sex')] = 'other';
  (bad[7] as string[])[col('s2')] = 'Infinity';
  const data = join(dir, 'data.csv');
  await writeFile(data, `${header.join(',')}\n${bad.map((r) => r.map((f) => (f.includes(',') ? `"${f}"` : f)).join(',')).join('\n')}\n`);
  const fit = await cli(['pipeline', 'fit', '--data', join(FIXTURES, 'train.csv'), '--spec', join(FIXTURES, 'spec_sklearn.yaml'), '--version', '7', '--out', join(dir, 'store')]);
  if (fit.code !== 0) throw new Error(`cli fit failed: ${fit.stderr}`);
  // The service serves the folder the CLI wrote.
  t.context = { dir, data, svc: await startPreprocess({ artifacts: join(dir, 'store') }) };
});
test.after.always(async (t) => {
  await t.context?.svc?.stop();
  if (t.context?.dir) await rm(t.context.dir, { recursive: true, force: true });
});

test('cli - transform output equals the service Transform byte for byte (raw float32 and CSV), with the same row mapping and errors', async (t) => {
  const { dir, data, svc } = t.context;
  const f32 = await cli(['pipeline', 'transform', '--artifact', 'diabetes@7', '--store', join(dir, 'store'), '--data', data, '--out', join(dir, 'out.f32'), '--errors', join(dir, 'errors.jsonl')]);
  t.is(f32.code, 0, f32.stderr);
  const csv = await cli(['pipeline', 'transform', '--artifact', 'diabetes@7', '--store', join(dir, 'store'), '--data', data, '--out', join(dir, 'out.csv'), '--row-index']);
  t.is(csv.code, 0, csv.stderr);
  t.like(JSON.parse(f32.stdout[0] ?? '{}'), { pipeline: 'diabetes@7', rows_in: 89, rows_out: 86, refused: 3 });

  const got = await svc.client.getPipeline({ name: 'diabetes', version: '7' });
  const artifact = JSON.parse(got.artifact_json) as PipelineArtifact;
  // The data has no quoted fields: split on commas.
  const lines = (await readFile(data, 'utf8')).trim().split('\n').map((l) => l.split(','));
  const records = csvToRecords(artifact.input_schema, lines[0] as string[], lines.slice(1));
  const res = await svc.client.transform({ pipeline: { name: 'diabetes', version: '7' }, records });

  // Raw output: the same bytes.
  const raw = await readFile(join(dir, 'out.f32'));
  t.is(raw.byteLength, 86 * artifact.feature_names.length * 4);
  t.true(Buffer.compare(raw, res.tensor) === 0, 'the .f32 file and the service tensor are the same bytes');

  // CSV output: the same float32 values (printed exactly), the same row mapping.
  const out = (await readFile(join(dir, 'out.csv'), 'utf8')).trim().split('\n');
  t.deepEqual(out[0]?.split(','), ['row', ...res.feature_names]);
  const body = out.slice(1).map((l) => l.split(',').map(Number));
  t.deepEqual(body.map((r) => r[0]), res.row_index);
  const fromCsv = Buffer.from(Float32Array.from(body.flatMap((r) => r.slice(1))).buffer);
  t.true(Buffer.compare(fromCsv, res.tensor) === 0, 'the CSV values read back as the service tensor bytes');

  // The same row errors.
  const errors = (await readFile(join(dir, 'errors.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { row: number; column: string; code: string });
  t.deepEqual(errors.map((e) => [e.row, e.column, e.code]), res.errors.map((e) => [e.row, e.column, e.code]));
  t.deepEqual(errors.map((e) => [e.row, e.code]), [[2, 'MISSING_REQUIRED'], [5, 'WRONG_TYPE'], [7, 'NOT_FINITE']]);
});

test('cli - --strict with refused rows exits 1 and writes nothing; bad usage exits 2; an unfittable spec exits 1 naming the step', async (t) => {
  const { dir, data } = t.context;
  const strict = await cli(['pipeline', 'transform', '--artifact', 'diabetes', '--store', join(dir, 'store'), '--data', data, '--out', join(dir, 'strict.csv'), '--strict']);
  t.is(strict.code, 1);
  t.regex(strict.stderr, /--strict: 3 of 89 rows refused; nothing written/);
  t.false(existsSync(join(dir, 'strict.csv')));

  const usage = await cli(['pipeline', 'transform', '--artifact', 'diabetes', '--data', data, '--out', join(dir, 'x.txt')]);
  t.is(usage.code, 2);
  t.regex(usage.stderr, /--out must end in \.csv or \.f32/);

  const spec = join(dir, 'bad.yaml');
  await writeFile(spec, 'name: bad\nsteps:\n  - {type: robust_scale, columns: [age, height]}\n');
  const fit = await cli(['pipeline', 'fit', '--data', join(FIXTURES, 'train.csv'), '--spec', spec, '--out', join(dir, 'store')]);
  t.is(fit.code, 1);
  t.regex(fit.stderr, /steps\[0\] \(robust_scale\): column 'height': not in the data/);
});

test('cli - the artifact file itself can be given, and is verified', async (t) => {
  const { dir, data } = t.context;
  const sha = (await t.context.svc.client.getPipeline({ name: 'diabetes', version: '7' })).pipeline?.sha256 ?? '';
  const file = join(dir, 'store', 'objects', `${sha}.json`);
  const ok = await cli(['pipeline', 'transform', '--artifact', file, '--data', data, '--out', join(dir, 'file.f32')]);
  t.is(ok.code, 0, ok.stderr);
  const byRef = await cli(['pipeline', 'transform', '--artifact', sha, '--store', join(dir, 'store'), '--data', data, '--out', join(dir, 'sha.f32')]);
  t.is(byRef.code, 0, byRef.stderr);
  t.deepEqual(await readFile(join(dir, 'file.f32')), await readFile(join(dir, 'sha.f32')));
  const copy = join(dir, 'tampered.json');
  await writeFile(copy, (await readFile(file, 'utf8')).replace('"unknown"', '"UNKNOWN"'));
  const bad = await cli(['pipeline', 'transform', '--artifact', copy, '--data', data, '--out', join(dir, 'bad.f32')]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /hashes to [0-9a-f]{64}, the artifact says/);
});

test('cli - the CSV output is RFC 4180: feature names holding commas, quotes or newlines are quoted, and a CSV reader sees one column per feature', async (t) => {
  const { dir } = t.context;
  // One-hot categories become feature names: `site_east, upper` must stay one column.
  const train = join(dir, 'sites.csv');
  await writeFile(train, 'site,x\n"east, upper",1\nwest,2\n"say ""hi""",3\n"two\nlines",4\nwest,5\n');
  const spec = join(dir, 'sites.yaml');
  await writeFile(spec, 'name: sites\nsteps:\n  - {type: one_hot, columns: [site]}\n');
  const fit = await cli(['pipeline', 'fit', '--data', train, '--spec', spec, '--out', join(dir, 'store')]);
  t.is(fit.code, 0, fit.stderr);
  const names = (JSON.parse(fit.stdout[0] ?? '{}') as { feature_names: string[] }).feature_names;
  t.deepEqual(names, ['site_east, upper', 'site_say "hi"', 'site_two\nlines', 'site_west', 'x']);

  const out = join(dir, 'sites-out.csv');
  const run = await cli(['pipeline', 'transform', '--artifact', 'sites', '--store', join(dir, 'store'), '--data', train, '--out', out, '--row-index']);
  t.is(run.code, 0, run.stderr);
  // csv-parse (not our reader) reads the file back: strict field counts, RFC 4180 quoting.
  const text = await readFile(out, 'utf8');
  const table: string[][] = parseCsv(text, { relax_column_count: false });
  t.deepEqual(table[0], ['row', ...names]);
  t.deepEqual(table.slice(1), [
    ['0', '1', '0', '0', '0', '1'],
    ['1', '0', '0', '0', '1', '2'],
    ['2', '0', '1', '0', '0', '3'],
    ['3', '0', '0', '1', '0', '4'],
    ['4', '0', '0', '0', '1', '5'],
  ]);
  t.true(text.startsWith('row,"site_east, upper","site_say ""hi""","site_two\nlines",site_west,x\n'), text.slice(0, 80));
});

test('cli - a ragged row in transform input is one refused row (MALFORMED_ROW); the other rows are transformed as without it', async (t) => {
  const { dir, data } = t.context;
  const lines = (await readFile(data, 'utf8')).trim().split('\n');
  // Data rows 3 and 10 (lines 5 and 12): one field too many, one too few.
  const ragged = [...lines];
  ragged[4] = `${ragged[4]},extra`;
  ragged[11] = (ragged[11] as string).split(',').slice(0, -1).join(',');
  const raggedFile = join(dir, 'ragged.csv');
  await writeFile(raggedFile, `${ragged.join('\n')}\n`);
  const withoutFile = join(dir, 'without.csv');
  await writeFile(withoutFile, `${lines.filter((_, i) => i !== 4 && i !== 11).join('\n')}\n`);
  const args = (input: string, out: string, extra: string[] = []) => ['pipeline', 'transform', '--artifact', 'diabetes@7', '--store', join(dir, 'store'), '--data', input, '--out', out, ...extra];

  const run = await cli(args(raggedFile, join(dir, 'ragged.f32'), ['--errors', join(dir, 'ragged-errors.jsonl')]));
  t.is(run.code, 0, run.stderr);
  t.like(JSON.parse(run.stdout[0] ?? '{}'), { rows_in: 89, rows_out: 84, refused: 5 });
  const errors = (await readFile(join(dir, 'ragged-errors.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { row: number; column: string; code: string; message: string });
  t.deepEqual(errors.map((e) => [e.row, e.code]), [[2, 'MISSING_REQUIRED'], [3, 'MALFORMED_ROW'], [5, 'WRONG_TYPE'], [7, 'NOT_FINITE'], [10, 'MALFORMED_ROW']]);
  t.regex(errors[1]?.message ?? '', /has 15 fields, the header has 14/);
  t.regex(errors[4]?.message ?? '', /has 13 fields, the header has 14/);

  // The good rows give exactly what the same file without the ragged rows gives.
  const without = await cli(args(withoutFile, join(dir, 'without.f32')));
  t.is(without.code, 0, without.stderr);
  t.deepEqual(await readFile(join(dir, 'ragged.f32')), await readFile(join(dir, 'without.f32')));

  // --strict: a ragged row is a refused row like any other.
  const strict = await cli(args(raggedFile, join(dir, 'ragged-strict.csv'), ['--strict']));
  t.is(strict.code, 1);
  t.regex(strict.stderr, /--strict: 5 of 89 rows refused; nothing written/);
  t.regex(strict.stderr, /"row":3,"column":"","code":"MALFORMED_ROW"/);
  t.false(existsSync(join(dir, 'ragged-strict.csv')));
});

test('cli - a ragged row in fit input fails the fit naming the file, the data row and the line (not "training data")', async (t) => {
  const { dir } = t.context;
  const train = (await readFile(join(FIXTURES, 'train.csv'), 'utf8')).trim().split('\n');
  train[8] = `${train[8]},1`;
  const file = join(dir, 'ragged-train.csv');
  await writeFile(file, `${train.join('\n')}\n`);
  const fit = await cli(['pipeline', 'fit', '--data', file, '--spec', join(FIXTURES, 'spec_sklearn.yaml'), '--out', join(dir, 'store-ragged')]);
  t.is(fit.code, 1);
  t.is(fit.stderr.trim(), `mlmesh pipeline fit: ${file}: data row 7 (line 9) has 15 fields, the header has 14`);

  // A transform input broken beyond one row (an unclosed quote) fails naming the file, not "training data".
  const broken = join(dir, 'broken.csv');
  await writeFile(broken, `${train[0]}\n"59,,32.1\n`);
  const run = await cli(['pipeline', 'transform', '--artifact', 'diabetes@7', '--store', join(dir, 'store'), '--data', broken, '--out', join(dir, 'broken.f32')]);
  t.is(run.code, 1);
  t.regex(run.stderr, new RegExp(`^mlmesh pipeline transform: ${broken.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: a quoted field is not closed at the end of the file`));
  t.notRegex(run.stderr, /training data/);
});
