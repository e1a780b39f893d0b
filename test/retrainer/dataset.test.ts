import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import test from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { DatasetError, manifestBytes, readDataset, resolveTrainingData, writeDataset } from '../../services/retrainer/dataset.js';
import { SOURCE_BASE, SOURCE_LOGGED } from '../../services/retrainer/types.js';
import { makeBase } from '../helpers/retrainer-dataset.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const VERSION_DIR = join(projectRoot(), 'examples/models/digits_mlp/1');

let tmp = '';
test.before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mlmesh-dataset-io-'));
});
test.after.always(async () => {
  await rm(tmp, { recursive: true, force: true });
});

test('fixture - the committed digits_mlp base snapshot verifies and its train rows are the training data of version 1', async (t) => {
  const manifest = JSON.parse(await readFile(join(VERSION_DIR, 'manifest.json'), 'utf8')) as { provenance: Record<string, unknown> & { training_data_sha256: string } };
  const td = resolveTrainingData(VERSION_DIR, manifest.provenance);
  if (!td) return t.fail('manifest.json names no training_data');
  t.is(dirname(td.path), join(projectRoot(), 'examples/models/digits_mlp/datasets', td.sha256));
  const d = await readDataset(td.path, td.sha256);
  t.is(d.sha256, td.sha256);
  t.is(d.manifest.model, 'digits_mlp');
  t.deepEqual(d.manifest.classes, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  t.is(d.manifest.feature_count, 64);
  t.is(d.manifest.input, 'input');
  t.is(d.manifest.parent_version, null);
  t.is(d.train.rows, 1597);
  t.is(d.holdout.rows, 200);
  t.true(d.train.source.every((s) => s === SOURCE_BASE) && d.holdout.source.every((s) => s === SOURCE_BASE));
  // make_fixtures.py: sha256(X_train.tobytes() + y_train.tobytes()), y int64.
  const y = BigInt64Array.from(d.train.y, (v) => BigInt(v));
  const bytes = Buffer.concat([Buffer.from(d.train.x.buffer, d.train.x.byteOffset, d.train.x.byteLength), Buffer.from(y.buffer)]);
  t.is(sha(bytes), manifest.provenance.training_data_sha256);
  // The Python writer and the TS one lay dataset.json out byte for byte alike.
  t.true(manifestBytes(d.manifest).equals(await readFile(td.path)));
  // … and the .npy files too: writeDataset of the same rows makes the same snapshot.
  const { files: _files, ...rest } = d.manifest;
  const w = await writeDataset(join(tmp, 'digits', 'datasets'), rest, { train: d.train, holdout: d.holdout });
  t.is(w.sha256, td.sha256);
});

test('io - writeDataset then readDataset gives back the rows; writing the same dataset again is idempotent', async (t) => {
  const root = join(tmp, 'idem', 'datasets');
  const a = await makeBase(root, 'idem');
  const b = await makeBase(root, 'idem');
  t.is(a.sha256, b.sha256);
  t.deepEqual(await readdir(root), [a.sha256]);
  t.is(a.path, join(root, a.sha256, 'dataset.json'));
  t.deepEqual([...a.train.x], [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
  t.deepEqual([...a.train.y], [0, 1, 2, 0]);
  t.deepEqual([...a.holdout.y], [0, 1]);
  t.deepEqual(a.manifest.files.train_x, { path: 'train_x.npy', sha256: a.manifest.files.train_x.sha256, dtype: '<f4', shape: [4, 3] });
  t.is(a.manifest.files.train_y.dtype, '<i8');
  t.is(a.manifest.files.train_source.dtype, '|u1');
  t.is(sha(await readFile(a.path)), a.sha256);
  // Concurrent writers of the same dataset: one folder, no temporary left.
  const [c, d] = await Promise.all([makeBase(root, 'idem'), makeBase(root, 'idem')]);
  t.is(c.sha256, a.sha256);
  t.is(d.sha256, a.sha256);
  t.deepEqual(await readdir(root), [a.sha256]);
  // A folder of that name that no longer verifies is replaced by the new copy.
  await writeFile(join(root, a.sha256, 'train_y.npy'), 'garbage');
  const e = await makeBase(root, 'idem');
  t.is(e.sha256, a.sha256);
  t.deepEqual(await readdir(root), [a.sha256]);
});

test('io - a regression dataset stores y as <f4', async (t) => {
  const root = join(tmp, 'reg', 'datasets');
  const w = await writeDataset(
    root,
    {
      format: 'mlmesh.dataset/v1', model: 'reg', parent_version: null, task: 'regression', classes: null, feature_count: 2, input: 'x',
      sources: { base: { dataset_sha256: null, train_rows: 1, holdout_rows: 0 }, logged: { train_rows: 1, holdout_rows: 1, ranges: [] } },
      label_join: { logged_rows: 3, labelled_rows: 2, coverage: 2 / 3, feedback_messages: 2, feedback_unmatched: 0 },
      split: { seed: 1, holdout_fraction: 0.5 }, created_at: 'now', produced_by: 'test',
    },
    {
      train: { rows: 2, x: Float32Array.from([1, 2, 3, 4]), y: Float64Array.from([0.5, -2]), source: Uint8Array.from([SOURCE_BASE, SOURCE_LOGGED]) },
      holdout: { rows: 1, x: Float32Array.from([5, 6]), y: Float64Array.from([7.25]), source: Uint8Array.from([SOURCE_LOGGED]) },
    },
  );
  const d = await readDataset(w.path);
  t.is(d.manifest.files.train_y.dtype, '<f4');
  t.deepEqual([...d.train.y], [0.5, -2]);
  t.deepEqual([...d.holdout.y], [7.25]);
});

test('io - writeDataset refuses parts that disagree with the manifest', async (t) => {
  const base = await makeBase(join(tmp, 'bad', 'datasets'), 'bad');
  const { files: _files, ...m } = base.manifest;
  const bad = { ...base.train, y: Float64Array.from([0, 1, 5, 0]) };
  const e1 = await t.throwsAsync(writeDataset(join(tmp, 'bad2'), m, { train: bad, holdout: base.holdout }));
  t.regex(e1.message, /parts\.train\.y: train row 2: y is 5, not a class index/);
  const e2 = await t.throwsAsync(writeDataset(join(tmp, 'bad2'), { ...m, feature_count: 4 }, { train: base.train, holdout: base.holdout }));
  t.regex(e2.message, /parts\.train\.x: train x holds 12 values, 4 rows × 4 features need 16/);
});

async function copyOf(name: string): Promise<{ dir: string; path: string; sha: string }> {
  const base = await makeBase(join(tmp, 'orig', 'datasets'), 'orig');
  const dir = join(tmp, name, base.sha256);
  await cp(dirname(base.path), dir, { recursive: true });
  return { dir, path: join(dir, 'dataset.json'), sha: base.sha256 };
}

test('io - a tampered array file is refused, naming the file', async (t) => {
  const c = await copyOf('tampered-npy');
  const file = join(c.dir, 'train_x.npy');
  const bytes = await readFile(file);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
  await writeFile(file, bytes);
  const e = await t.throwsAsync(readDataset(c.path, c.sha), { instanceOf: DatasetError });
  t.regex(e.message, /train_x\.npy: SHA-256 mismatch .*refusing/);
  t.is(e.file, file);
});

test('io - a changed dataset.json is refused: by the expected hash, and by its folder name', async (t) => {
  const c = await copyOf('tampered-json');
  const text = (await readFile(c.path, 'utf8')).replace('"produced_by": "test"', '"produced_by": "someone else"');
  await writeFile(c.path, text);
  const e1 = await t.throwsAsync(readDataset(c.path, c.sha), { instanceOf: DatasetError });
  t.regex(e1.message, /dataset\.json: SHA-256 mismatch \(expected [0-9a-f]{12}…/);
  const e2 = await t.throwsAsync(readDataset(c.path), { instanceOf: DatasetError });
  t.regex(e2.message, /does not match its folder's name/);
});

test('io - a malformed manifest names the field at fault', async (t) => {
  const base = await makeBase(join(tmp, 'fields', 'datasets'), 'fields');
  const cases: Array<[(m: Record<string, unknown>) => void, RegExp]> = [
    [(m) => (m.format = 'other'), /format must be "mlmesh\.dataset\/v1"/],
    [(m) => (m.feature_count = 4), /files\.train_x\.shape is \[4, 3\], the rows of sources and feature_count say \[4, 4\]/],
    [(m) => ((m.sources as { base: { train_rows: number } }).base.train_rows = 5), /files\.train_x\.shape is \[4, 3\].*\[5, 3\]/],
    [(m) => (m.classes = null), /classes must be a non-empty list of strings/],
    [(m) => ((m.files as { train_y: { dtype: string } }).train_y.dtype = '<f4'), /files\.train_y\.dtype must be <i8/],
    [(m) => ((m.files as { holdout_x: { path: string } }).holdout_x.path = '../x.npy'), /files\.holdout_x\.path must be a file name/],
    [(m) => ((m.label_join as { coverage: number }).coverage = 2), /label_join\.coverage must be a number in \[0, 1\]/],
  ];
  for (const [i, [change, want]] of cases.entries()) {
    const dir = join(tmp, 'fields', `case-${i}`);
    await cp(dirname(base.path), dir, { recursive: true });
    const m = JSON.parse(await readFile(base.path, 'utf8')) as Record<string, unknown>;
    change(m);
    await writeFile(join(dir, 'dataset.json'), JSON.stringify(m));
    const e = await t.throwsAsync(readDataset(join(dir, 'dataset.json')), { instanceOf: DatasetError });
    t.regex(e.message, want, `case ${i}`);
  }
});

test('io - a missing file is refused, naming it', async (t) => {
  const c = await copyOf('missing');
  await rm(join(c.dir, 'holdout_source.npy'));
  const e = await t.throwsAsync(readDataset(c.path, c.sha), { instanceOf: DatasetError });
  t.regex(e.message, /holdout_source\.npy: cannot read it/);
});

test('resolveTrainingData - relative and absolute paths, none, and a missing hash', (t) => {
  const s = 'a'.repeat(64);
  t.deepEqual(resolveTrainingData('/repo/m/2', { training_data: { dataset: '../datasets/x/dataset.json', sha256: s } }), { path: '/repo/m/datasets/x/dataset.json', sha256: s });
  t.deepEqual(resolveTrainingData('/repo/m/2', { training_data: { dataset: '/elsewhere/dataset.json', sha256: s } }), { path: '/elsewhere/dataset.json', sha256: s });
  t.is(resolveTrainingData('/repo/m/2', { training_data_sha256: s }), undefined);
  t.is(resolveTrainingData('/repo/m/2', undefined), undefined);
  t.throws(() => resolveTrainingData('/repo/m/2', { training_data: { dataset: 'd.json' } }), { message: /training_data\.sha256 must be a hex SHA-256/ });
  t.throws(() => resolveTrainingData('/repo/m/2', { training_data: { sha256: s } }), { message: /training_data\.dataset must be the path/ });
});
