/**
 * Writing a version's `manifest.json`: the SHA-256 of every file in the version folder (but the
 * manifest itself and the drift monitor's `reference/` folder) and provenance. The inference
 * service refuses a version whose files do not match it. `mlmesh manifest` and `mlmesh model
 * add` write manifests with {@link writeManifest}.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { buildManifest, verifyManifest } from '../services/inference/index.js';
import type { Manifest, Provenance } from '../services/inference/index.js';

/** The files of a version folder the manifest covers (relative paths, sorted). */
export async function listVersionFiles(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    // reference/ belongs to the drift monitor (replaced by ReplaceReference, checked by its own
    // reference.json), so it is not part of what the inference service verifies.
    if (e.isDirectory() && dir === base && e.name === 'reference') continue;
    if (e.isDirectory()) out.push(...(await listVersionFiles(p, base)));
    else if (e.isFile() && relative(base, p) !== 'manifest.json') out.push(relative(base, p));
  }
  return out.sort();
}

/** A manifest's problem before it is written (no model.onnx): the caller's message. */
export class ManifestInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestInputError';
  }
}

/**
 * Hashes the version folder's files, writes `manifest.json` with `provenance`, and verifies it
 * as the inference service will.
 * @throws ManifestInputError when the folder has no model.onnx; ModelLoadError if the written
 *   manifest does not verify (a file changed while it was hashed).
 */
export async function writeManifest(dir: string, provenance: Provenance): Promise<{ manifest: Manifest; files: string[] }> {
  const files = await listVersionFiles(dir);
  if (!files.includes('model.onnx')) throw new ManifestInputError(`${dir} has no model.onnx`);
  const manifest = await buildManifest(dir, files, provenance);
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  await verifyManifest(dir, dir);
  return { manifest, files };
}
