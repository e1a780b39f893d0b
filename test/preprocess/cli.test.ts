/**
 * The CLI (offline, as a training job would run it) and the service (online) give identical
 * outputs for the same artifact: byte for byte, with the same row mapping and row errors.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest from 'ava';
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
  const child = runNode('tools/cli.js', args);
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
