import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { ModelLoadError } from './errors.js';

/** Manifest format identifier. */
export const MANIFEST_FORMAT = 'mlmesh.manifest/v1';

/** Where a model version came from. */
export interface Provenance {
  training_data_sha256: string | null;
  parent_version: string | null;
  produced_by: string;
  created_at: string;
  metrics: Record<string, number>;
  [key: string]: unknown;
}

/** `<version>/manifest.json`: the SHA-256 of every file of the version, and its provenance. */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  /** File path relative to the version folder → lowercase hex SHA-256. */
  files: Record<string, string>;
  provenance: Provenance;
}

/** A version's files as verified. */
export interface VerifiedVersion {
  manifest: Manifest;
  /** SHA-256 of manifest.json's bytes: a reload keeps a served version whose digest is unchanged. */
  digest: string;
  /** The bytes of model.onnx whose hash matched. */
  model: Buffer;
}

/** SHA-256 of a file, streamed, as lowercase hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function fail(where: string, msg: string): never {
  throw new ModelLoadError(`${where}: ${msg}`);
}

/**
 * Reads `<versionDir>/manifest.json` and checks the SHA-256 of every file it lists, which must
 * include `model.onnx`. Returns the manifest, the SHA-256 of manifest.json itself, and the
 * verified bytes of model.onnx (so nothing reads the file again after the check). `where` (e.g. `model 'digits' version 1`) prefixes every message.
 * @throws ModelLoadError when the manifest is missing or malformed, a listed file is missing or
 *   outside the version folder, or a hash does not match.
 */
export async function verifyManifest(versionDir: string, where: string): Promise<VerifiedVersion> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(versionDir, 'manifest.json'));
  } catch {
    return fail(where, 'manifest.json is missing (every version needs one: SHA-256 of its files and provenance)');
  }
  let m: unknown;
  try {
    m = JSON.parse(bytes.toString('utf8'));
  } catch (e: unknown) {
    return fail(where, `manifest.json is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const obj = m as Partial<Manifest>;
  if (typeof m !== 'object' || m === null) fail(where, 'manifest.json must be an object');
  if (obj.format !== MANIFEST_FORMAT) fail(where, `manifest.json format must be "${MANIFEST_FORMAT}", got ${JSON.stringify(obj.format)}`);
  if (typeof obj.files !== 'object' || obj.files === null) fail(where, 'manifest.json has no "files" object');
  if (typeof obj.provenance !== 'object' || obj.provenance === null) fail(where, 'manifest.json has no "provenance" object');
  if (!('model.onnx' in obj.files)) fail(where, 'manifest.json does not list model.onnx');
  let model: Buffer | undefined;
  for (const [file, expected] of Object.entries(obj.files)) {
    const rel = normalize(file);
    if (isAbsolute(rel) || rel.startsWith(`..${sep}`) || rel === '..') fail(where, `manifest lists ${file}, outside the version folder`);
    if (typeof expected !== 'string' || !/^[0-9a-f]{64}$/.test(expected)) fail(where, `manifest hash of ${file} is not a hex SHA-256`);
    const path = join(versionDir, rel);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) fail(where, `${file} is listed in manifest.json but missing`);
    let actual: string;
    if (rel === 'model.onnx') {
      // The model is hashed from the very bytes the sessions will be created from.
      model = await readFile(path);
      actual = createHash('sha256').update(model).digest('hex');
    } else {
      actual = await sha256File(path);
    }
    if (actual !== expected) fail(where, `${file}: SHA-256 mismatch (manifest ${expected.slice(0, 12)}…, file ${actual.slice(0, 12)}…): refusing to load`);
  }
  return { manifest: obj as Manifest, digest: createHash('sha256').update(bytes).digest('hex'), model: model as Buffer };
}

/** SHA-256 of a version's manifest.json as it is on disk now, or undefined when unreadable. */
export async function manifestDigest(versionDir: string): Promise<string | undefined> {
  try {
    return createHash('sha256').update(await readFile(join(versionDir, 'manifest.json'))).digest('hex');
  } catch {
    // Unreadable: the caller treats it as changed, and the reload reports why.
    return undefined;
  }
}

/** Builds a manifest for the files of a version folder (used by the `manifest` tool). */
export async function buildManifest(versionDir: string, files: readonly string[], provenance: Provenance): Promise<Manifest> {
  const hashes: Record<string, string> = {};
  for (const f of [...files].sort()) hashes[f] = await sha256File(join(versionDir, f));
  return { format: MANIFEST_FORMAT, files: hashes, provenance };
}
