import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { verifyManifest } from '../../services/inference/index.js';
import { copyRepository } from '../helpers/inference.js';
import { runNode } from '../helpers/process.js';

test('manifest tool - writes a manifest that verifies, with provenance, and a changed file then fails', async (t) => {
  const repo = await copyRepository(['digits_mlp']);
  try {
    const v2 = join(repo, 'digits_mlp', '2');
    await cp(join(repo, 'digits_mlp', '1'), v2, { recursive: true });
    await rm(join(v2, 'manifest.json'));
    await writeFile(join(v2, 'notes.txt'), 'retrained on fresh data\n');
    const child = runNode('tools/cli/main.js', ['manifest', v2, '--source', 'retrainer@test', '--parent', '1', '--metric', 'test_accuracy=0.971']);
    t.is(await child.exited, 0, child.stderr.join('\n'));
    const { manifest } = await verifyManifest(v2, 'v2');
    t.deepEqual(Object.keys(manifest.files), ['model.onnx', 'notes.txt']);
    t.is(manifest.provenance.produced_by, 'retrainer@test');
    t.is(manifest.provenance.parent_version, '1');
    t.deepEqual(manifest.provenance.metrics, { test_accuracy: 0.971 });
    await writeFile(join(v2, 'notes.txt'), 'tampered\n');
    await t.throwsAsync(verifyManifest(v2, 'v2'), { message: /notes.txt: SHA-256 mismatch/ });
    const bad = runNode('tools/cli/main.js', ['manifest', v2, '--metric', 'accuracy']);
    t.is(await bad.exited, 2);
    t.regex(bad.stderr.join('\n'), /'--metric <name=value>' argument 'accuracy' is invalid\. expected name=number/);
    t.truthy(await readFile(join(v2, 'manifest.json')));
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
});
