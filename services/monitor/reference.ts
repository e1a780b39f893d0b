/**
 * Drift references: a sample of training inputs and the model's outputs on them, stored beside
 * the version as numpy files so a Python training job writes them with `np.save`:
 *
 *   <repo>/<model>/<version>/reference/inputs.npy    [rows, features]
 *   <repo>/<model>/<version>/reference/outputs.npy   [rows, classes] (optional)
 *   <repo>/<model>/<version>/reference/reference.json  SHA-256 of both + provenance (optional
 *                                                     for hand-made references; checked when present)
 *
 * The reference folder is not in the version's model manifest, so replacing it (ReplaceReference)
 * does not touch what the inference service verifies.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { writeSynced } from './files.js';
import { dirname, join } from 'node:path';
import { InvalidArgumentError, NotFoundError, clip } from '../../shared/errors/index.js';
import { parseNpy } from '../../shared/tensors/index.js';
import type { NpyArray } from '../../shared/tensors/index.js';
import { argmaxRows, softmaxRows, tensorToMatrix } from './matrix.js';
import type { Matrix } from './matrix.js';
import type { ModelMonitoring } from './model-monitoring.js';

/** reference.json format identifier. */
export const REFERENCE_FORMAT = 'mlmesh.reference/v1';

/** Provenance of a reference. */
export interface ReferenceProvenance {
  produced_by: string;
  source_data_sha256: string | null;
  created_at: string;
  previous_sha256: string | null;
}

/** A reference ready for the detectors. */
export interface Reference {
  model: string;
  version: string;
  /** SHA-256 over the files' hashes: identifies the reference in reports. */
  sha256: string;
  rows: number;
  inputs: Matrix | undefined;
  /** Class probabilities (softmaxed when the model outputs logits); undefined when there are none. */
  outputs: Matrix | undefined;
  featureNames: string[];
  /** Column indices tested with KS / with chi-squared. */
  numeric: number[];
  categorical: number[];
  provenance: ReferenceProvenance | null;
  /** Predicted class and max probability per reference row (from outputs). */
  predicted: { labels: Int32Array; max: Float64Array } | undefined;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function combinedSha(inputsSha: string, outputsSha: string | null): string {
  return sha(Buffer.from(`inputs.npy:${inputsSha}\noutputs.npy:${outputsSha ?? '-'}\n`));
}

/** The folder of a version's reference. */
export function referenceDir(repo: string, model: string, version: string): string {
  return join(repo, model, version, 'reference');
}

function toMatrix(a: NpyArray, field: string): Matrix {
  if (a.shape.length !== 2) throw new InvalidArgumentError(`${field}: must be 2-D [rows, columns], has shape (${a.shape.join(', ')})`);
  if ((a.shape[0] as number) < 2) throw new InvalidArgumentError(`${field}: needs at least 2 rows`);
  let m: Matrix;
  try {
    m = tensorToMatrix(a.datatype, a.shape, a.data);
  } catch (e: unknown) {
    throw new InvalidArgumentError(`${field}: ${e instanceof Error ? e.message : String(e)}`);
  }
  // A reference is the yardstick of every window: it must be complete.
  const bad = m.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new InvalidArgumentError(`${field}: value at row ${Math.floor(bad / m.cols)}, column ${bad % m.cols} is ${m.data[bad]}: a reference must hold finite values only`);
  return m;
}

/**
 * Builds a {@link Reference} from parsed arrays and the model's monitoring settings.
 * @throws InvalidArgumentError (naming `inputs_npy`/`outputs_npy`) on shapes that do not fit.
 */
export function buildReference(
  model: string,
  version: string,
  inputs: NpyArray,
  outputs: NpyArray | undefined,
  mon: ModelMonitoring,
  hashes: { inputs: string; outputs: string | null },
  provenance: ReferenceProvenance | null,
): Reference {
  const inM = toMatrix(inputs, 'inputs_npy');
  let outM = outputs ? toMatrix(outputs, 'outputs_npy') : undefined;
  if (outM && outM.rows !== inM.rows) throw new InvalidArgumentError(`outputs_npy: has ${outM.rows} rows, inputs_npy has ${inM.rows}`);
  if (outM && mon.outputKind === 'logits') outM = softmaxRows(outM);
  if (mon.outputKind === 'none') outM = undefined;
  const featureNames = mon.featureNames ?? Array.from({ length: inM.cols }, (_, i) => `f${i}`);
  if (featureNames.length !== inM.cols) throw new InvalidArgumentError(`inputs_npy: has ${inM.cols} columns, monitoring.feature_names names ${featureNames.length}`);
  // The model's config is the authority on widths: a reference of another width would make
  // every window's detectors skip (or, worse, compare the wrong columns).
  const tensor = (name: string | undefined, which: string): string => (name ? `'${name}'` : `(the first ${which})`);
  if (mon.inputWidth !== undefined && inM.cols !== mon.inputWidth) throw new InvalidArgumentError(`inputs_npy: has ${inM.cols} columns, the model's config.json declares ${mon.inputWidth} for input ${tensor(mon.input, 'input')}`);
  if (outM && mon.outputWidth !== undefined && outM.cols !== mon.outputWidth) throw new InvalidArgumentError(`outputs_npy: has ${outM.cols} columns, the model's config.json declares ${mon.outputWidth} for output ${tensor(mon.output, 'output')}`);
  const categorical = mon.categorical.map((c) => {
    const i = featureNames.indexOf(c);
    if (i < 0) throw new InvalidArgumentError(`monitoring.categorical_features: ${JSON.stringify(c)} is not a feature (${mon.featureNames ? 'see feature_names' : `without feature_names the features are f0…f${inM.cols - 1}`})`);
    return i;
  });
  const numeric = featureNames.map((_, i) => i).filter((i) => !categorical.includes(i));
  return {
    model,
    version,
    sha256: combinedSha(hashes.inputs, hashes.outputs),
    rows: inM.rows,
    inputs: inM,
    outputs: outM,
    featureNames,
    numeric,
    categorical,
    provenance,
    predicted: outM ? argmaxRows(outM) : undefined,
  };
}

/**
 * Loads a version's reference, checking reference.json's hashes when it exists.
 * @returns undefined when the version has no reference folder.
 * @throws InvalidArgumentError when a file is malformed or a hash does not match.
 */
export async function loadReference(repo: string, model: string, version: string, mon: ModelMonitoring): Promise<Reference | undefined> {
  const dir = referenceDir(repo, model, version);
  await recoverSwap(dir);
  let inputsBytes: Buffer;
  try {
    inputsBytes = await readFile(join(dir, 'inputs.npy'));
  } catch {
    // No reference for this version: its windows are reported without tests.
    return undefined;
  }
  const outputsBytes = await readFile(join(dir, 'outputs.npy')).catch(() => undefined);
  const hashes = { inputs: sha(inputsBytes), outputs: outputsBytes ? sha(outputsBytes) : null };
  let provenance: ReferenceProvenance | null = null;
  const metaText = await readFile(join(dir, 'reference.json'), 'utf8').catch(() => undefined);
  const where = `model '${model}' version ${version} reference`;
  if (metaText !== undefined) {
    const meta = JSON.parse(metaText) as { format?: string; files?: Record<string, string>; provenance?: ReferenceProvenance };
    if (meta.format !== REFERENCE_FORMAT) throw new InvalidArgumentError(`${where}: reference.json format must be ${REFERENCE_FORMAT}`);
    if (meta.files?.['inputs.npy'] !== hashes.inputs) throw new InvalidArgumentError(`${where}: inputs.npy does not match the SHA-256 in reference.json`);
    if ((meta.files['outputs.npy'] ?? null) !== hashes.outputs) throw new InvalidArgumentError(`${where}: outputs.npy does not match the SHA-256 in reference.json`);
    provenance = meta.provenance ?? null;
  }
  const parse = (b: Buffer, f: string): NpyArray => {
    try {
      return parseNpy(b, f);
    } catch (e: unknown) {
      throw new InvalidArgumentError(`${where}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  return buildReference(model, version, parse(inputsBytes, 'inputs.npy'), outputsBytes ? parse(outputsBytes, 'outputs.npy') : undefined, mon, hashes, provenance);
}

/**
 * Finishes or undoes a swap a crash interrupted: with no `reference/` folder, a complete new
 * folder (it has reference.json, written last) is moved in, else the old one is moved back.
 */
async function recoverSwap(dir: string): Promise<void> {
  if (await stat(dir).then(() => true, () => false)) return;
  const parent = dirname(dir);
  const entries = await readdir(parent).catch(() => [] as string[]);
  const fresh = entries.filter((e) => e.startsWith('reference.new-'));
  for (const f of fresh) {
    if (await stat(join(parent, f, 'reference.json')).then(() => true, () => false)) {
      await rename(join(parent, f), dir);
      return;
    }
  }
  const old = entries.find((e) => e.startsWith('reference.old-'));
  if (old) await rename(join(parent, old), dir);
}

/**
 * Replaces a version's reference on disk: validates, writes a new folder beside the old one
 * (fsynced, reference.json last) and swaps them by two renames, so a reader sees the old or the
 * new reference, never a mix; a crash between the renames is repaired by the next load.
 * @throws NotFoundError when the model version folder does not exist; InvalidArgumentError on bad files.
 */
export async function replaceReference(
  repo: string,
  model: string,
  version: string,
  inputsNpy: Uint8Array,
  outputsNpy: Uint8Array | undefined,
  mon: ModelMonitoring,
  provenance: Omit<ReferenceProvenance, 'created_at' | 'previous_sha256'>,
  previous: Reference | undefined,
): Promise<Reference> {
  if (!/^[1-9]\d*$/.test(version)) throw new InvalidArgumentError(`version: must be a positive integer, got ${clip(JSON.stringify(version))}`);
  if (!/^[\w.-]+$/.test(model) || model.startsWith('.')) throw new InvalidArgumentError(`model: ${clip(JSON.stringify(model))} is not a model name`);
  const versionDir = join(repo, model, version);
  if (!(await stat(versionDir).catch(() => undefined))?.isDirectory()) throw new NotFoundError(`model '${clip(model)}' version ${clip(version)} is not in the repository`);
  const parse = (b: Uint8Array, field: string): NpyArray => {
    try {
      return parseNpy(b, field);
    } catch (e: unknown) {
      throw new InvalidArgumentError(`${field}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  if (inputsNpy.byteLength === 0) throw new InvalidArgumentError('inputs_npy: required');
  const inputs = parse(inputsNpy, 'inputs_npy');
  const outputs = outputsNpy && outputsNpy.byteLength > 0 ? parse(outputsNpy, 'outputs_npy') : undefined;
  const hashes = { inputs: sha(inputsNpy), outputs: outputs ? sha(outputsNpy as Uint8Array) : null };
  const prov: ReferenceProvenance = { ...provenance, created_at: new Date().toISOString(), previous_sha256: previous?.sha256 ?? null };
  const ref = buildReference(model, version, inputs, outputs, mon, hashes, prov);
  const dir = referenceDir(repo, model, version);
  const tmp = `${dir}.new-${randomUUID()}`;
  const old = `${dir}.old-${randomUUID()}`;
  await recoverSwap(dir);
  await mkdir(tmp, { recursive: true });
  await writeSynced(join(tmp, 'inputs.npy'), inputsNpy);
  if (outputs) await writeSynced(join(tmp, 'outputs.npy'), outputsNpy as Uint8Array);
  const files: Record<string, string> = { 'inputs.npy': hashes.inputs };
  if (hashes.outputs) files['outputs.npy'] = hashes.outputs;
  // reference.json last: its presence marks the new folder complete (see recoverSwap).
  await writeSynced(join(tmp, 'reference.json'), JSON.stringify({ format: REFERENCE_FORMAT, files, rows: ref.rows, provenance: prov }, null, 2) + '\n');
  const hadOld = await stat(dir).then(() => true, () => false);
  if (hadOld) await rename(dir, old);
  await rename(tmp, dir);
  if (hadOld) await rm(old, { recursive: true, force: true });
  return ref;
}
