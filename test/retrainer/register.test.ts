/**
 * The retrainer's pure parts: the `retraining` section's validation, registering a version
 * (atomic, idempotent for its own run, refusing someone else's folder), and the lineage walk.
 */
import test from 'ava';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../shared/config/index.js';
import type { Run__Output } from '../../shared/generated/mlmesh/retrainer/v1/Run.js';
import { verifyManifest } from '../../services/inference/manifest.js';
import { lineageOf } from '../../services/retrainer/lineage.js';
import { nextVersion, registerVersion } from '../../services/retrainer/register.js';
import { loadModelRetraining, parseRetraining } from '../../services/retrainer/settings.js';

const CMD = ['python3', 'train.py', '--data', '{dataset}', '--out', '{output}'];

test('retraining settings - defaults, and every bad field refused by name', (t) => {
  const s = parseRetraining('m', { command: CMD }, '/repo/m');
  t.is(s.task, 'classification');
  t.is(s.cwd, '/repo/m');
  t.is(s.gate.referenceMargin, 0.02);
  t.is(s.gate.minDriftedRows, 20);
  t.is(s.gate.minAccuracy, undefined);
  const bad: Array<[unknown, RegExp]> = [
    [{}, /retraining\.command: must be a non-empty array/],
    [{ command: ['python3', 'train.py'] }, /must pass \{dataset\} and \{output\}/],
    [{ command: [...CMD, '{nope}'] }, /unknown placeholder \{nope\}/],
    [{ command: CMD, timeout_ms: 5 }, /retraining\.timeout_ms: must be an integer in \[1000/],
    [{ command: CMD, holdout_fraction: 1.5 }, /retraining\.holdout_fraction/],
    [{ command: CMD, task: 'ranking' }, /retraining\.task: must be "classification" or "regression"/],
    [{ command: CMD, classes: ['a', 'a'] }, /retraining\.classes: lists a label twice/],
    [{ command: CMD, task: 'regression', classes: ['a', 'b'] }, /retraining\.classes: only for task "classification"/],
    [{ command: CMD, gate: { min_acuracy: 0.9 } }, /retraining\.gate\.min_acuracy: unknown field/],
    [{ command: CMD, gate: { min_accuracy: 2 } }, /retraining\.gate\.min_accuracy: must be a number in \[0, 1\]/],
    [{ command: CMD, comand: [] }, /retraining\.comand: unknown field/],
  ];
  for (const [raw, re] of bad) t.throws(() => parseRetraining('m', raw, '/repo/m'), { message: re }, JSON.stringify(raw));
});

test('retraining settings - the example model is retrainable; a model without the section is refused', async (t) => {
  const repo = join(projectRoot(), 'examples/models');
  const m = await loadModelRetraining(repo, 'digits_mlp');
  t.is(m.input, 'input');
  t.is(m.featureCount, 64);
  t.is(m.output, 'probabilities');
  t.is(m.outputKind, 'probabilities');
  t.deepEqual(m.settings.classes, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  await t.throwsAsync(loadModelRetraining(repo, 'dtypes'), { message: /has no "retraining" section/ });
  await t.throwsAsync(loadModelRetraining(repo, 'no_such_model'), { message: /no .*config\.json/ });
  await t.throwsAsync(loadModelRetraining(repo, '../etc'), { message: /not a model folder name/ });
});

function fakeRun(id: string, parent: string): Run__Output {
  return {
    id, model: 'digits_mlp', parent_version: parent, state: 'running', stage: 'register', stages: [], coalesced: [],
    trigger: { kind: 'drift', retrain_request_id: 'rr-1', drifted_report_ids: ['digits_mlp/1/4'], first_sequence: '10', last_sequence: '20', reason: 'drift', actor: 'monitor', time_unix_ms: '0', version: parent },
    dataset: null, gate: null, candidate_version: '', candidate_sha256: '', rollout_id: '', rollout_outcome: '', reason: '',
    created_unix_ms: '0', updated_unix_ms: '0', seed: '7', workdir: '', command: ['python3', 'train.py'], training_metrics: { accuracy: 0.9 }, cancel_requested: false, training_pid: 0,
  };
}

test('register - writes the next version atomically with provenance, is idempotent for its run, refuses a folder it did not write; lineage walks back', async (t) => {
  const repo = await mkdtemp(join(tmpdir(), 'mlmesh-register-'));
  try {
    const modelDir = join(repo, 'digits_mlp');
    await cp(join(projectRoot(), 'examples/models/digits_mlp'), modelDir, { recursive: true });
    t.is(await nextVersion(modelDir), '2');
    const src = join(projectRoot(), 'examples/models/digits_mlp/1/model.onnx');
    const run = fakeRun('run-a', '1');
    const first = await registerVersion({ modelDir, version: '2', modelPath: src, referenceDir: join(modelDir, '1', 'reference'), run, codeVersion: 'test', producedBy: 'test' });
    t.true(first.written);
    const v = await verifyManifest(join(modelDir, '2'), 'v2');
    t.is(v.manifest.provenance.parent_version, '1');
    t.is(v.manifest.provenance['run_id'], 'run-a');
    t.truthy(v.manifest.files['reference/reference.json']);
    t.deepEqual((v.manifest.provenance['trigger'] as { drifted_report_ids: string[] }).drifted_report_ids, ['digits_mlp/1/4']);
    // Nothing left behind but the version.
    t.deepEqual((await readdir(modelDir)).filter((n) => n.startsWith('.')), []);
    const again = await registerVersion({ modelDir, version: '2', modelPath: src, referenceDir: undefined, run, codeVersion: 'test', producedBy: 'test' });
    t.false(again.written, 'the same run does not write the version twice');
    await t.throwsAsync(registerVersion({ modelDir, version: '2', modelPath: src, referenceDir: undefined, run: fakeRun('run-b', '1'), codeVersion: 'test', producedBy: 'test' }), { message: /already exists \(made by run-a\)/ });
    // A copy failure leaves no half-written version.
    await t.throwsAsync(registerVersion({ modelDir, version: '3', modelPath: join(repo, 'missing.onnx'), referenceDir: undefined, run: fakeRun('run-c', '2'), codeVersion: 'test', producedBy: 'test' }));
    t.deepEqual((await readdir(modelDir)).filter((n) => n === '3' || n.startsWith('.')), []);
    // Lineage: 2 → 1 → (version 1's parent is null).
    const lin = await lineageOf(repo, 'digits_mlp', '2', (id) => (id === 'run-a' ? run : undefined));
    t.deepEqual(lin.versions.map((x) => [x.version, x.parent_version, x.run?.id ?? '']), [['2', '1', 'run-a'], ['1', '', '']]);
    await t.throwsAsync(lineageOf(repo, 'digits_mlp', '9', () => undefined), { message: /has no version 9/ });
    await t.throwsAsync(lineageOf(repo, 'digits_mlp', 'x', () => undefined), { message: /version: "x" is not a version number/ });
    // A parent cycle in hand-edited manifests ends the walk.
    const m1 = JSON.parse(await readFile(join(modelDir, '1', 'manifest.json'), 'utf8')) as { provenance: { parent_version: string } };
    m1.provenance.parent_version = '2';
    await writeFile(join(modelDir, '1', 'manifest.json'), JSON.stringify(m1));
    t.is((await lineageOf(repo, 'digits_mlp', '2', () => undefined)).versions.length, 2);
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
});
