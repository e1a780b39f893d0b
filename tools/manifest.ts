/**
 * Writes `<version dir>/manifest.json`: the SHA-256 of every file in the version folder (but the
 * manifest itself and the drift monitor's `reference/` folder) and provenance. The inference service refuses a version whose files do not
 * match it.
 *
 *   npm run manifest -- examples/models/digits_mlp/2 --produced-by "train.py@abc123" \
 *     --training-data-sha256 <hex> --parent-version 1 --metric test_accuracy=0.97
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { buildManifest, verifyManifest } from '../services/inference/index.js';

async function listFiles(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    // reference/ belongs to the drift monitor (replaced by ReplaceReference, checked by its own
    // reference.json), so it is not part of what the inference service verifies.
    if (e.isDirectory() && dir === base && e.name === 'reference') continue;
    if (e.isDirectory()) out.push(...(await listFiles(p, base)));
    else if (e.isFile() && relative(base, p) !== 'manifest.json') out.push(relative(base, p));
  }
  return out;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'produced-by': { type: 'string', default: 'mlmesh manifest tool' },
    'training-data-sha256': { type: 'string' },
    'parent-version': { type: 'string' },
    metric: { type: 'string', multiple: true, default: [] },
  },
});
const dir = positionals[0];
if (!dir) {
  process.stderr.write('usage: npm run manifest -- <version dir> [--produced-by X] [--training-data-sha256 H] [--parent-version V] [--metric name=value]...\n');
  process.exit(2);
}
const metrics: Record<string, number> = {};
for (const m of values.metric) {
  const [k, v] = m.split('=');
  if (!k || v === undefined || !Number.isFinite(Number(v))) {
    process.stderr.write(`--metric ${m}: expected name=number\n`);
    process.exit(2);
  }
  metrics[k] = Number(v);
}
const files = await listFiles(dir);
if (!files.includes('model.onnx')) {
  process.stderr.write(`${dir} has no model.onnx\n`);
  process.exit(2);
}
const manifest = await buildManifest(dir, files, {
  training_data_sha256: values['training-data-sha256'] ?? null,
  parent_version: values['parent-version'] ?? null,
  produced_by: values['produced-by'],
  created_at: new Date().toISOString(),
  metrics,
});
await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
await verifyManifest(dir, dir);
process.stdout.write(`wrote ${join(dir, 'manifest.json')} (${files.length} file(s))\n`);
