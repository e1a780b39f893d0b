/**
 * Unit tests of the model repository (path safety, listing, config reading) and of version
 * manifests (SHA-256 verification). Every test works on its own copy of an example model in a
 * temp folder, so the committed examples are never touched.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { InvalidArgumentError, NotFoundError } from '../../shared/errors/index.js';
import { ModelLoadError } from '../../services/inference/errors.js';
import { buildManifest, manifestDigest, MANIFEST_FORMAT, sha256File, verifyManifest } from '../../services/inference/manifest.js';
import type { Provenance } from '../../services/inference/manifest.js';
import { ModelRepository } from '../../services/inference/repository.js';
import { parseModelConfig } from '../../services/inference/model-config.js';

const EXAMPLES = join(projectRoot(), 'examples/models');

/** Every temp folder made here, removed after the tests even when one fails. */
const temps: string[] = [];

test.after.always(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(prefix = 'mlmesh-repo-test-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

/** A fresh repository folder holding copies of the given example models. */
async function repoWith(...models: string[]): Promise<string> {
  const root = await tempDir();
  for (const m of models) await cp(join(EXAMPLES, m), join(root, m), { recursive: true });
  return root;
}

/** A private copy of digits_mlp version 1 (model.onnx + manifest.json); returns the version folder. */
async function versionCopy(): Promise<string> {
  const root = await repoWith('digits_mlp');
  return join(root, 'digits_mlp', '1');
}

async function readManifest(dir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
}

async function writeManifest(dir: string, m: unknown): Promise<void> {
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

// --- ModelRepository ------------------------------------------------------------------------

test('repository - modelDir returns the folder of a model in the repository', async (t) => {
  const root = await repoWith('digits_mlp');
  t.is(await new ModelRepository(root).modelDir('digits_mlp'), join(root, 'digits_mlp'));
});

for (const bad of ['../x', '..', '.', 'a/b', '/etc', '%2e%2e', '', '..\\x', 'digits_mlp/../digits_mlp']) {
  test(`repository - modelDir rejects ${JSON.stringify(bad)} as a model_name`, async (t) => {
    const root = await repoWith('digits_mlp');
    const err = await t.throwsAsync(new ModelRepository(root).modelDir(bad), { instanceOf: InvalidArgumentError });
    t.is(err?.field, 'model_name');
    t.true(err?.message.includes('model_name'), err?.message);
  });
}

test('repository - modelDir rejects a model folder that is a symlink leading outside the repository', async (t) => {
  const root = await repoWith('digits_mlp');
  const outside = await tempDir('mlmesh-outside-');
  await cp(join(EXAMPLES, 'digits_mlp'), join(outside, 'stolen'), { recursive: true });
  await symlink(join(outside, 'stolen'), join(root, 'stolen'), 'dir');
  const err = await t.throwsAsync(new ModelRepository(root).modelDir('stolen'), { instanceOf: InvalidArgumentError });
  t.is(err?.field, 'model_name');
  t.true(err?.message.includes(`model_name 'stolen'`), err?.message);
  t.true(err?.message.includes('outside the repository'), err?.message);
  // The same holds for everything built on modelDir.
  await t.throwsAsync(new ModelRepository(root).readConfig('stolen'), { instanceOf: InvalidArgumentError });
  await t.throwsAsync(new ModelRepository(root).listVersions('stolen'), { instanceOf: InvalidArgumentError });
});

test('repository - modelDir accepts a symlink that stays inside the repository', async (t) => {
  const root = await repoWith('digits_mlp');
  await symlink(join(root, 'digits_mlp'), join(root, 'alias'), 'dir');
  t.is(await new ModelRepository(root).modelDir('alias'), join(root, 'alias'));
});

test('repository - a repository reached through a symlinked root still serves its models', async (t) => {
  const root = await repoWith('digits_mlp');
  const links = await tempDir('mlmesh-links-');
  await symlink(root, join(links, 'repo'), 'dir');
  const repo = new ModelRepository(join(links, 'repo'));
  t.is(await repo.modelDir('digits_mlp'), join(links, 'repo', 'digits_mlp'));
  t.is(repo.name, 'repo');
});

test('repository - an unknown model is a NotFoundError', async (t) => {
  const root = await repoWith('digits_mlp');
  await writeFile(join(root, 'notes.txt'), 'a file, not a model folder');
  const repo = new ModelRepository(root);
  const err = await t.throwsAsync(repo.modelDir('nope'), { instanceOf: NotFoundError });
  t.true(err?.message.includes(`model 'nope'`));
  await t.throwsAsync(repo.modelDir('notes.txt'), { instanceOf: NotFoundError });
  await t.throwsAsync(repo.readConfig('nope'), { instanceOf: NotFoundError });
});

test('repository - scan: a model folder holds config.json or a version folder; every other folder is listed with its reason', async (t) => {
  const root = await repoWith('digits_mlp', 'dtypes');
  await mkdir(join(root, 'no_config', '1'), { recursive: true });
  await mkdir(join(root, 'a_model'));
  await writeFile(join(root, 'a_model', 'config.json'), '{}');
  await writeFile(join(root, 'README.md'), 'not a model');
  await mkdir(join(root, '.hidden'));
  await writeFile(join(root, '.hidden', 'config.json'), '{}');
  await mkdir(join(root, 'config_is_a_dir', 'config.json'), { recursive: true });
  await mkdir(join(root, 'versions_not_numbers', 'v1'), { recursive: true });
  await mkdir(join(root, 'x'.repeat(129), '1'), { recursive: true });
  await symlink(join(root, 'digits_mlp'), join(root, 'linked'), 'dir');
  await symlink(join(root, 'nowhere'), join(root, 'dangling'), 'dir');
  const scan = await new ModelRepository(root).scan();
  t.deepEqual(scan.models, ['a_model', 'digits_mlp', 'dtypes', 'linked', 'no_config']);
  const reasons = Object.fromEntries(scan.skipped.map((s) => [s.name, s.reason]));
  t.deepEqual(Object.keys(reasons).sort(), ['.hidden', 'config_is_a_dir', 'dangling', 'versions_not_numbers', 'x'.repeat(129)].sort());
  t.regex(reasons['.hidden'] ?? '', /not a name a model can have/);
  t.regex(reasons['x'.repeat(129)] ?? '', /at most 128 characters/);
  t.is(reasons['config_is_a_dir'], 'config.json is not a file');
  t.regex(reasons['versions_not_numbers'] ?? '', /no config\.json and no version folder/);
  t.regex(reasons['dangling'] ?? '', /symlink/);
  t.deepEqual(await new ModelRepository(root).listModels(), scan.models);
});

test('repository - checkRoot refuses a root that does not exist or is a file, naming the path and the variable', async (t) => {
  const root = await tempDir();
  const missing = join(root, 'missing');
  const err = await t.throwsAsync(new ModelRepository(missing).checkRoot());
  t.is(err?.name, 'RepositoryError');
  t.is(err?.message, `model repository '${missing}' does not exist (set modelRepository, env MLMESH_INFERENCE_MODEL_REPOSITORY)`);
  await writeFile(join(root, 'file'), 'x');
  await t.throwsAsync(new ModelRepository(join(root, 'file')).checkRoot(), { message: /is not a folder/ });
  await t.notThrowsAsync(new ModelRepository(root).checkRoot());
});

test('repository - listModels of a missing root is empty', async (t) => {
  const root = await tempDir();
  t.deepEqual(await new ModelRepository(join(root, 'missing')).listModels(), []);
});

test('repository - listVersions lists only positive-integer folders, numerically sorted', async (t) => {
  const root = await repoWith('digits_mlp');
  const model = join(root, 'digits_mlp');
  for (const d of ['10', '2', '0', '01', '-1', '1.5', 'abc', 'v3']) await mkdir(join(model, d));
  await writeFile(join(model, '3'), 'a file named like a version');
  t.deepEqual(await new ModelRepository(root).listVersions('digits_mlp'), [1, 2, 10]);
});

test('repository - versionDir is the version folder inside the model folder', async (t) => {
  const root = await repoWith('digits_mlp');
  t.is(await new ModelRepository(root).versionDir('digits_mlp', 1), join(root, 'digits_mlp', '1'));
});

test('repository - readConfig reads and validates config.json', async (t) => {
  const root = await repoWith('digits_mlp');
  const cfg = await new ModelRepository(root).readConfig('digits_mlp');
  t.is(cfg.name, 'digits_mlp');
  t.is(cfg.maxBatchSize, 256);
  t.deepEqual(cfg.inputs, [{ name: 'input', datatype: 'FP32', dims: [64] }]);
});

test('repository - readConfig uses a valid override string instead of config.json', async (t) => {
  const root = await repoWith('digits_mlp');
  const cfg = await new ModelRepository(root).readConfig('digits_mlp', JSON.stringify({ max_batch_size: 8, instance_group: [{ count: 3 }] }));
  t.is(cfg.maxBatchSize, 8);
  t.is(cfg.instanceCount, 3);
  t.deepEqual(cfg.inputs, [], 'nothing is taken from config.json');
});

test('repository - readConfig with an override that is not JSON is an InvalidArgumentError naming parameters.config', async (t) => {
  const root = await repoWith('digits_mlp');
  const err = await t.throwsAsync(new ModelRepository(root).readConfig('digits_mlp', '{"max_batch_size": '), { instanceOf: InvalidArgumentError });
  t.is(err?.field, 'parameters.config');
  t.true(err?.message.startsWith('parameters.config is not valid JSON'), err?.message);
});

test('repository - readConfig with an invalid override config is an InvalidArgumentError naming parameters.config and the field', async (t) => {
  const root = await repoWith('digits_mlp');
  const err = await t.throwsAsync(new ModelRepository(root).readConfig('digits_mlp', '{"max_batch_size": -3}'), { instanceOf: InvalidArgumentError });
  t.is(err?.field, 'parameters.config');
  t.true(err?.message.startsWith('parameters.config: '), err?.message);
  t.true(err?.message.includes('max_batch_size'), err?.message);
  t.true(err?.cause instanceof ModelLoadError);
});

test('repository - readConfig of a folder without config.json gives every default (max_batch_size left to the ONNX file)', async (t) => {
  const root = await tempDir();
  await mkdir(join(root, 'empty', '1'), { recursive: true });
  const cfg = await new ModelRepository(root).readConfig('empty');
  t.deepEqual(cfg, parseModelConfig({}, 'empty'));
  t.is(cfg.maxBatchSize, undefined);
  t.deepEqual(cfg.inputs, []);
});

test('repository - readConfig of a config.json that cannot be read (a folder) is a ModelLoadError', async (t) => {
  const root = await tempDir();
  await mkdir(join(root, 'm', 'config.json'), { recursive: true });
  const err = await t.throwsAsync(new ModelRepository(root).readConfig('m'), { instanceOf: ModelLoadError });
  t.regex(err?.message ?? '', /cannot read config\.json/);
});

test('repository - readConfig of a config.json that is not JSON is a ModelLoadError', async (t) => {
  const root = await repoWith('digits_mlp');
  await writeFile(join(root, 'digits_mlp', 'config.json'), 'name: digits_mlp\n');
  const err = await t.throwsAsync(new ModelRepository(root).readConfig('digits_mlp'), { instanceOf: ModelLoadError });
  t.true(err?.message.includes('config.json is not valid JSON'));
});

test('repository - checkRepositoryName accepts empty and its own name, refuses others', async (t) => {
  const root = await repoWith('digits_mlp');
  const repo = new ModelRepository(root);
  t.notThrows(() => repo.checkRepositoryName(''));
  t.notThrows(() => repo.checkRepositoryName(repo.name));
  const err = t.throws(() => repo.checkRepositoryName('elsewhere'), { instanceOf: NotFoundError });
  t.true(err?.message.includes(`repository_name 'elsewhere'`));
});

// --- manifests ------------------------------------------------------------------------------

test('manifest - every committed example manifest verifies', async (t) => {
  const models = await new ModelRepository(EXAMPLES).listModels();
  t.true(models.length >= 4);
  for (const m of models) {
    const dir = join(EXAMPLES, m, '1');
    const { manifest, digest } = await verifyManifest(dir, `model '${m}' version 1`);
    t.is(manifest.format, MANIFEST_FORMAT);
    t.is(manifest.files['model.onnx'], await sha256File(join(dir, 'model.onnx')));
    t.is(digest, sha256(await readFile(join(dir, 'manifest.json'))));
  }
});

test('manifest - the digest verifyManifest returns equals manifestDigest of the same file', async (t) => {
  const dir = await versionCopy();
  const { digest } = await verifyManifest(dir, 'v');
  t.is(await manifestDigest(dir), digest);
});

test('manifest - the digest matches manifestDigest for a manifest that is not valid UTF-8', async (t) => {
  // A latin-1 byte in a provenance string: JSON.parse accepts the file (the byte decodes to U+FFFD),
  // so the version loads; the model manager then compares manifestDigest (raw bytes) with this
  // digest to decide whether the manifest changed on disk.
  const dir = await versionCopy();
  const text = (await readFile(join(dir, 'manifest.json'), 'latin1')).replace('tools/make_fixtures.py', 'Jos\xe9');
  await writeFile(join(dir, 'manifest.json'), Buffer.from(text, 'latin1'));
  const { digest } = await verifyManifest(dir, 'v');
  t.is(await manifestDigest(dir), digest);
});

test('manifest - manifestDigest is undefined when manifest.json is missing and changes with the file', async (t) => {
  const dir = await versionCopy();
  const before = await manifestDigest(dir);
  const m = await readManifest(dir);
  await writeManifest(dir, { ...m, provenance: { ...(m['provenance'] as object), note: 'edited' } });
  t.not(await manifestDigest(dir), before);
  await rm(join(dir, 'manifest.json'));
  t.is(await manifestDigest(dir), undefined);
});

test('manifest - a flipped byte in model.onnx is a SHA-256 mismatch', async (t) => {
  const dir = await versionCopy();
  const onnx = await readFile(join(dir, 'model.onnx'));
  const at = Math.floor(onnx.length / 2);
  onnx[at] = (onnx[at] ?? 0) ^ 0x01;
  await writeFile(join(dir, 'model.onnx'), onnx);
  const err = await t.throwsAsync(verifyManifest(dir, `model 'digits_mlp' version 1`), { instanceOf: ModelLoadError });
  t.true(err?.message.startsWith(`model 'digits_mlp' version 1: model.onnx: SHA-256 mismatch`), err?.message);
  t.true(err?.message.includes('refusing to load'));
});

test('manifest - a missing manifest.json is refused', async (t) => {
  const dir = await versionCopy();
  await rm(join(dir, 'manifest.json'));
  const err = await t.throwsAsync(verifyManifest(dir, 'v1'), { instanceOf: ModelLoadError });
  t.true(err?.message.startsWith('v1: manifest.json is missing'), err?.message);
});

test('manifest - a manifest.json that is not JSON is refused', async (t) => {
  const dir = await versionCopy();
  await writeFile(join(dir, 'manifest.json'), '{"format": ');
  await t.throwsAsync(verifyManifest(dir, 'v1'), { instanceOf: ModelLoadError, message: /^v1: manifest\.json is not valid JSON/ });
});

test('manifest - a manifest that does not list model.onnx is refused', async (t) => {
  const dir = await versionCopy();
  await writeFile(join(dir, 'extra.txt'), 'x');
  const m = await readManifest(dir);
  await writeManifest(dir, { ...m, files: { 'extra.txt': sha256('x') } });
  await t.throwsAsync(verifyManifest(dir, 'v1'), { instanceOf: ModelLoadError, message: 'v1: manifest.json does not list model.onnx' });
});

test('manifest - a listed file that is missing is refused', async (t) => {
  const dir = await versionCopy();
  const m = await readManifest(dir);
  await writeManifest(dir, { ...m, files: { ...(m['files'] as object), 'vocab.txt': sha256('gone') } });
  await t.throwsAsync(verifyManifest(dir, 'v1'), { instanceOf: ModelLoadError, message: 'v1: vocab.txt is listed in manifest.json but missing' });
});

test('manifest - a listed path escaping the version folder is refused', async (t) => {
  const dir = await versionCopy();
  // The escaping file exists and its hash is right: only the path is wrong.
  await writeFile(join(dir, '..', 'x'), 'outside');
  const m = await readManifest(dir);
  for (const path of ['../x', 'sub/../../x', join(dir, '..', 'x')]) {
    await writeManifest(dir, { ...m, files: { ...(m['files'] as object), [path]: sha256('outside') } });
    const err = await t.throwsAsync(verifyManifest(dir, 'v1'), { instanceOf: ModelLoadError });
    t.is(err?.message, `v1: manifest lists ${path}, outside the version folder`);
  }
});

test('manifest - a wrong format string is refused', async (t) => {
  const dir = await versionCopy();
  const m = await readManifest(dir);
  await writeManifest(dir, { ...m, format: 'mlmesh.manifest/v2' });
  await t.throwsAsync(verifyManifest(dir, 'v1'), { instanceOf: ModelLoadError, message: `v1: manifest.json format must be "${MANIFEST_FORMAT}", got "mlmesh.manifest/v2"` });
});

test('manifest - a hash that is not lowercase hex SHA-256 is refused', async (t) => {
  const dir = await versionCopy();
  const m = await readManifest(dir);
  const good = (m['files'] as Record<string, string>)['model.onnx'] ?? '';
  for (const bad of [good.slice(0, 63), `${good.slice(0, 63)}g`, good.toUpperCase(), 42]) {
    await writeManifest(dir, { ...m, files: { 'model.onnx': bad } });
    await t.throwsAsync(verifyManifest(dir, 'v1'), { instanceOf: ModelLoadError, message: 'v1: manifest hash of model.onnx is not a hex SHA-256' });
  }
});

test('manifest - a manifest without files or provenance objects is refused', async (t) => {
  const dir = await versionCopy();
  const m = await readManifest(dir);
  await writeManifest(dir, { format: MANIFEST_FORMAT, provenance: m['provenance'] });
  await t.throwsAsync(verifyManifest(dir, 'v1'), { instanceOf: ModelLoadError, message: 'v1: manifest.json has no "files" object' });
  await writeManifest(dir, { format: MANIFEST_FORMAT, files: m['files'] });
  await t.throwsAsync(verifyManifest(dir, 'v1'), { instanceOf: ModelLoadError, message: 'v1: manifest.json has no "provenance" object' });
});

test('manifest - buildManifest output verifies and lists every file, sorted', async (t) => {
  const dir = await versionCopy();
  await writeFile(join(dir, 'labels.txt'), '0\n1\n2\n');
  const provenance: Provenance = { training_data_sha256: null, parent_version: '1', produced_by: 'unit test', created_at: '2026-01-01T00:00:00Z', metrics: { accuracy: 0.5 } };
  const manifest = await buildManifest(dir, ['model.onnx', 'labels.txt'], provenance);
  t.is(manifest.format, MANIFEST_FORMAT);
  t.deepEqual(Object.keys(manifest.files), ['labels.txt', 'model.onnx']);
  t.is(manifest.files['labels.txt'], sha256('0\n1\n2\n'));
  t.deepEqual(manifest.provenance, provenance);
  await writeManifest(dir, manifest);
  const verified = await verifyManifest(dir, 'v1');
  t.deepEqual(verified.manifest, manifest);
  // And it really checks the extra file too.
  await writeFile(join(dir, 'labels.txt'), '0\n1\n3\n');
  await t.throwsAsync(verifyManifest(dir, 'v1'), { instanceOf: ModelLoadError, message: /labels\.txt: SHA-256 mismatch/ });
});

test('manifest - sha256File hashes a file like createHash does', async (t) => {
  const dir = await tempDir();
  await writeFile(join(dir, 'abc'), 'abc');
  t.is(await sha256File(join(dir, 'abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  const big = Buffer.alloc(3 * 1024 * 1024 + 7, 0x5a);
  await writeFile(join(dir, 'big'), big);
  t.is(await sha256File(join(dir, 'big')), sha256(big));
});
