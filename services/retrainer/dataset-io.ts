/**
 * Dataset snapshots on disk (format: types.ts DatasetManifest): written to a temporary folder,
 * then renamed to `<root>/<sha256 of dataset.json>` (content-addressed, so writing the same
 * dataset twice leaves one folder); read back with every hash checked.
 */
import { writeSynced } from '../monitor/files.js';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { FailedPreconditionError, InvalidArgumentError, errorMessage } from '../../shared/errors/index.js';
import { encodeNpy, parseNpy } from '../../shared/tensors/index.js';
import type { Datatype } from '../../shared/tensors/index.js';
import { DatasetError, checkManifest, expectedLayout, manifestBytes } from './dataset-manifest.js';
import { DATASET_ARRAYS, SOURCE_BASE, SOURCE_LOGGED } from './types.js';
import type { DatasetArray, DatasetFile, DatasetManifest, DatasetPart, LoadedDataset } from './types.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The file name of each array in a snapshot's folder. */
export const DATASET_FILE_NAMES: Readonly<Record<DatasetArray, string>> = Object.fromEntries(DATASET_ARRAYS.map((k) => [k, `${k}.npy`])) as Record<DatasetArray, string>;

const DATATYPE_OF: Record<string, Datatype> = { '<f4': 'FP32', '<i8': 'INT64', '|u1': 'UINT8' };

/**
 * Reads and verifies a snapshot: dataset.json's format and fields, its SHA-256 (against
 * `expectedSha256` when given, and against the folder's name when that is a SHA-256, as it is
 * for every snapshot writeDataset makes), every array file's SHA-256, dtype and shape, and the
 * values (finite x, class indices inside `classes`, sources that match the row counts).
 * @throws DatasetError (FAILED_PRECONDITION) naming the file and field at fault: a missing
 *   file, a hash mismatch (refused), a malformed manifest or array.
 */
export async function readDataset(manifestPath: string, expectedSha256?: string): Promise<LoadedDataset> {
  const path = resolve(manifestPath);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e: unknown) {
    throw new DatasetError(path, `cannot read dataset.json: ${errorMessage(e)}`, { cause: e });
  }
  const sha = sha256(bytes);
  if (expectedSha256 !== undefined && sha !== expectedSha256.toLowerCase()) {
    throw new DatasetError(path, `SHA-256 mismatch (expected ${expectedSha256.slice(0, 12)}…, file ${sha.slice(0, 12)}…): refusing to use it`);
  }
  const folder = basename(dirname(path));
  if (/^[0-9a-f]{64}$/.test(folder) && folder !== sha) {
    throw new DatasetError(path, `SHA-256 ${sha.slice(0, 12)}… does not match its folder's name ${folder.slice(0, 12)}… (a content-addressed snapshot was changed): refusing to use it`);
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e: unknown) {
    throw new DatasetError(path, `not valid JSON: ${errorMessage(e)}`, { cause: e });
  }
  const manifest = checkManifest(json, path);
  const arrays = {} as Record<DatasetArray, Uint8Array>;
  for (const k of DATASET_ARRAYS) arrays[k] = await readArray(join(dirname(path), manifest.files[k].path), manifest.files[k]);
  const pit = manifest.point_in_time?.file;
  if (pit) {
    const file = join(dirname(path), pit.path);
    const bytes = await readFile(file).catch((e: unknown) => {
      throw new DatasetError(file, `cannot read it: ${errorMessage(e)}`, { cause: e });
    });
    const actual = sha256(bytes);
    if (actual !== pit.sha256) throw new DatasetError(file, `SHA-256 mismatch (dataset.json ${pit.sha256.slice(0, 12)}…, file ${actual.slice(0, 12)}…): refusing to use it`);
  }
  const part = (p: 'train' | 'holdout'): DatasetPart => toPart(manifest, p, arrays, dirname(path));
  return { manifest, sha256: sha, path, train: part('train'), holdout: part('holdout') };
}

async function readArray(file: string, f: DatasetFile): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e: unknown) {
    throw new DatasetError(file, `cannot read it: ${errorMessage(e)}`, { cause: e });
  }
  const actual = sha256(bytes);
  if (actual !== f.sha256) throw new DatasetError(file, `SHA-256 mismatch (dataset.json ${f.sha256.slice(0, 12)}…, file ${actual.slice(0, 12)}…): refusing to use it`);
  let npy;
  try {
    npy = parseNpy(bytes, file);
  } catch (e: unknown) {
    throw new DatasetError(file, errorMessage(e), { cause: e });
  }
  if (npy.datatype !== DATATYPE_OF[f.dtype]) throw new DatasetError(file, `holds ${npy.datatype}, dataset.json says ${f.dtype}`);
  if (npy.shape.length !== f.shape.length || npy.shape.some((d, i) => d !== f.shape[i])) throw new DatasetError(file, `has shape [${npy.shape.join(', ')}], dataset.json says [${f.shape.join(', ')}]`);
  return npy.data;
}

function toPart(m: DatasetManifest, p: 'train' | 'holdout', arrays: Record<DatasetArray, Uint8Array>, dir: string): DatasetPart {
  const rows = m.sources.base[`${p}_rows`] + m.sources.logged[`${p}_rows`];
  const xb = arrays[`${p}_x`];
  const x = new Float32Array(xb.buffer, xb.byteOffset, xb.byteLength / 4);
  const yb = arrays[`${p}_y`];
  const y = new Float64Array(rows);
  if (m.task === 'classification') {
    const v = new BigInt64Array(yb.buffer, yb.byteOffset, rows);
    for (let i = 0; i < rows; i++) y[i] = Number(v[i]);
  } else y.set(new Float32Array(yb.buffer, yb.byteOffset, rows));
  const part: DatasetPart = { rows, x, y, source: arrays[`${p}_source`] };
  checkPart(m, p, part, (field, msg) => new DatasetError(join(dir, DATASET_FILE_NAMES[`${p}_${field}`]), msg));
  return part;
}

/**
 * Checks a part's values against the manifest: sizes, finite x, y (class index or finite
 * target), and sources (0/1, as many of each as `sources` says).
 */
function checkPart(m: Omit<DatasetManifest, 'files'>, p: 'train' | 'holdout', part: DatasetPart, fail: (field: 'x' | 'y' | 'source', msg: string) => Error): void {
  const rows = m.sources.base[`${p}_rows`] + m.sources.logged[`${p}_rows`];
  if (part.rows !== rows) throw fail('source', `${p} has ${part.rows} rows, sources says ${rows}`);
  if (part.x.length !== rows * m.feature_count) throw fail('x', `${p} x holds ${part.x.length} values, ${rows} rows × ${m.feature_count} features need ${rows * m.feature_count}`);
  if (part.y.length !== rows || part.source.length !== rows) throw fail('y', `${p} y and source must hold ${rows} values, hold ${part.y.length} and ${part.source.length}`);
  for (let i = 0; i < part.x.length; i++) {
    if (!Number.isFinite(part.x[i])) throw fail('x', `${p} row ${Math.floor(i / m.feature_count)} feature ${i % m.feature_count} is ${part.x[i]} (x must be finite)`);
  }
  const k = m.classes?.length ?? 0;
  for (let i = 0; i < rows; i++) {
    const v = part.y[i] as number;
    if (m.task === 'classification' ? !(Number.isInteger(v) && v >= 0 && v < k) : !Number.isFinite(v)) {
      throw fail('y', `${p} row ${i}: y is ${v}, ${m.task === 'classification' ? `not a class index of classes (0..${k - 1})` : 'not a finite number'}`);
    }
  }
  let base = 0;
  for (let i = 0; i < rows; i++) {
    const s = part.source[i];
    if (s === SOURCE_BASE) base++;
    else if (s !== SOURCE_LOGGED) throw fail('source', `${p} row ${i}: source is ${s}, must be ${SOURCE_BASE} (base) or ${SOURCE_LOGGED} (logged)`);
  }
  if (base !== m.sources.base[`${p}_rows`]) throw fail('source', `${p} has ${base} base rows, sources.base.${p}_rows says ${m.sources.base[`${p}_rows`]}`);
}

/** What writeDataset made. */
export interface WrittenDataset {
  /** SHA-256 of dataset.json: the snapshot's identity and its folder's name. */
  sha256: string;
  /** Absolute path of dataset.json. */
  path: string;
  manifest: DatasetManifest;
}


async function syncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function encodePart(m: Omit<DatasetManifest, 'files'>, part: DatasetPart): Record<'x' | 'y' | 'source', Buffer> {
  const x = encodeNpy('FP32', [part.rows, m.feature_count], new Uint8Array(part.x.buffer, part.x.byteOffset, part.x.byteLength));
  let y: Buffer;
  if (m.task === 'classification') {
    const v = new BigInt64Array(part.rows);
    for (let i = 0; i < part.rows; i++) v[i] = BigInt(part.y[i] as number);
    y = encodeNpy('INT64', [part.rows], new Uint8Array(v.buffer));
  } else {
    const v = Float32Array.from(part.y);
    y = encodeNpy('FP32', [part.rows], new Uint8Array(v.buffer));
  }
  const source = encodeNpy('UINT8', [part.rows], new Uint8Array(part.source.buffer, part.source.byteOffset, part.source.byteLength));
  return { x, y, source };
}

/**
 * Writes a snapshot under `rootDir` (`<repo>/<model>/datasets`): the six .npy files and
 * dataset.json (canonical, so identical inputs give the identical hash) into a temporary folder,
 * fsynced, then renamed to `<rootDir>/<sha256 of dataset.json>`. With `pointInTimeCsv`, the
 * CSV the manifest's `point_in_time.file` names (and hashes) is written beside them. Idempotent: when that folder
 * already holds a valid snapshot (same hash), it is kept and the temporary one removed; a folder
 * of that name that does not verify is replaced.
 * @throws InvalidArgumentError when the parts do not agree with the manifest (rows, sources,
 *   feature_count, y not a class index or not finite, x not finite).
 */
export async function writeDataset(
  rootDir: string,
  manifest: Omit<DatasetManifest, 'files'>,
  parts: { train: DatasetPart; holdout: DatasetPart },
  pointInTimeCsv?: Buffer,
): Promise<WrittenDataset> {
  const pit = manifest.point_in_time?.file;
  if ((pit === undefined) !== (pointInTimeCsv === undefined)) throw new InvalidArgumentError('pointInTimeCsv: given exactly when the manifest has point_in_time');
  if (pit && pointInTimeCsv && sha256(pointInTimeCsv) !== pit.sha256) throw new InvalidArgumentError(`pointInTimeCsv: its SHA-256 is not point_in_time.file.sha256 (${pit.sha256.slice(0, 12)}…)`);
  if (manifest.task === 'classification' && (manifest.classes === null || manifest.classes.length === 0)) throw new InvalidArgumentError('classes: required (non-empty) for a classification dataset');
  for (const p of ['train', 'holdout'] as const) {
    checkPart(manifest, p, parts[p], (field, msg) => new InvalidArgumentError(`parts.${p}.${field}: ${msg}`));
    const logged = parts[p].source.reduce((n, s) => n + (s === SOURCE_LOGGED ? 1 : 0), 0);
    if (logged !== manifest.sources.logged[`${p}_rows`]) throw new InvalidArgumentError(`parts.${p}.source: ${logged} logged rows, sources.logged.${p}_rows says ${manifest.sources.logged[`${p}_rows`]}`);
  }
  const root = resolve(rootDir);
  await mkdir(root, { recursive: true });
  const tmp = join(root, `.tmp-${randomUUID()}`);
  await mkdir(tmp);
  try {
    const layout = expectedLayout(manifest);
    const files = {} as Record<DatasetArray, DatasetFile>;
    for (const p of ['train', 'holdout'] as const) {
      const enc = encodePart(manifest, parts[p]);
      for (const field of ['x', 'y', 'source'] as const) {
        const k: DatasetArray = `${p}_${field}`;
        await writeSynced(join(tmp, DATASET_FILE_NAMES[k]), enc[field]);
        files[k] = { path: DATASET_FILE_NAMES[k], sha256: sha256(enc[field]), dtype: layout[k].dtype, shape: layout[k].shape };
      }
    }
    if (pit && pointInTimeCsv) await writeSynced(join(tmp, pit.path), pointInTimeCsv);
    const full: DatasetManifest = { ...manifest, files };
    const bytes = manifestBytes(full);
    const sha = sha256(bytes);
    // dataset.json last: a folder without it was never finished.
    await writeSynced(join(tmp, 'dataset.json'), bytes);
    await syncDir(tmp);
    const dir = join(root, sha);
    const path = join(dir, 'dataset.json');
    const written: WrittenDataset = { sha256: sha, path, manifest: checkManifest(JSON.parse(bytes.toString('utf8')), path) };
    const verified = (): Promise<boolean> => readDataset(path, sha).then(() => true, () => false);
    if (await stat(dir).then(() => true, () => false)) {
      if (await verified()) {
        await rm(tmp, { recursive: true, force: true });
        return written;
      }
      // Same name, content that does not verify (a tampered or half-deleted copy): replaced.
      const broken = join(root, `.broken-${randomUUID()}`);
      await rename(dir, broken);
      await rm(broken, { recursive: true, force: true });
    }
    try {
      await rename(tmp, dir);
    } catch (e: unknown) {
      // A concurrent writer of the same dataset renamed its copy first: keep that one.
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !(await verified())) throw e;
      await rm(tmp, { recursive: true, force: true });
      return written;
    }
    await syncDir(root);
    return written;
  } catch (e: unknown) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Where a model version's training data is: its manifest's `provenance.training_data`
 * (`{ dataset, sha256 }`, dataset relative to the version folder, or absolute). Undefined when the
 * provenance names none (a version made before snapshots, like the ones tools/make_fixtures.py
 * wrote without one).
 * @throws FailedPreconditionError when training_data is there but malformed (no dataset path, no
 *   hex SHA-256: a dataset is only ever used with its hash).
 */
export function resolveTrainingData(versionDir: string, provenance: Record<string, unknown> | null | undefined): { path: string; sha256: string } | undefined {
  const td = provenance?.training_data;
  if (td === undefined || td === null) return undefined;
  if (typeof td !== 'object' || Array.isArray(td)) throw new FailedPreconditionError(`${versionDir}: provenance.training_data must be an object { dataset, sha256 }`);
  const { dataset, sha256: sha } = td as Record<string, unknown>;
  if (typeof dataset !== 'string' || dataset === '') throw new FailedPreconditionError(`${versionDir}: provenance.training_data.dataset must be the path of a dataset.json`);
  if (typeof sha !== 'string' || !/^[0-9a-f]{64}$/.test(sha)) throw new FailedPreconditionError(`${versionDir}: provenance.training_data.sha256 must be a hex SHA-256 (a dataset is only used with its hash), got ${JSON.stringify(sha)}`);
  return { path: isAbsolute(dataset) ? dataset : resolve(versionDir, dataset), sha256: sha };
}
