/**
 * Registering a blessed candidate as the model's next version: the files are assembled in a
 * temporary folder inside the model's folder (same file system), the manifest written and
 * verified there, and the folder renamed to the version number at the end, so inference never
 * sees half a version. The version's provenance names its run, so a restarted retrainer that
 * finds the folder already there knows it registered it (and never registers a candidate twice).
 */
import { cp, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildManifest, verifyManifest } from '../inference/manifest.js';
import type { Manifest, Provenance } from '../inference/manifest.js';
import { FailedPreconditionError } from '../../shared/errors/index.js';
import type { Run__Output } from '../../shared/generated/mlmesh/retrainer/v1/Run.js';

/** Files of a version folder, relative, sorted (manifest.json left out). */
async function listFiles(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p, base)));
    else if (e.isFile() && !(dir === base && e.name === 'manifest.json')) out.push(p.slice(base.length + 1));
  }
  return out.sort();
}

/** The version numbers present in a model's folder. */
export async function versionsOnDisk(modelDir: string): Promise<number[]> {
  const entries = await readdir(modelDir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && /^[1-9][0-9]*$/.test(e.name))
    .map((e) => Number(e.name))
    .sort((a, b) => a - b);
}

/** The next version number: one above the highest on disk. */
export async function nextVersion(modelDir: string): Promise<string> {
  const v = await versionsOnDisk(modelDir);
  return String((v[v.length - 1] ?? 0) + 1);
}

/** A version's manifest provenance, or undefined when the folder or manifest is missing. */
export async function readProvenance(versionDir: string): Promise<Provenance | undefined> {
  try {
    return (JSON.parse(await readFile(join(versionDir, 'manifest.json'), 'utf8')) as Manifest).provenance;
  } catch {
    return undefined;
  }
}

/** What a registration needs besides the run. */
export interface RegisterInput {
  modelDir: string;
  version: string;
  /** The training job's model.onnx and (optional) reference folder. */
  modelPath: string;
  referenceDir: string | undefined;
  /** The run as it stands (dataset, gate, trigger, command are recorded from it). */
  run: Run__Output;
  /** Version of the code that trained (the repository's package version and git commit when known). */
  codeVersion: string;
  producedBy: string;
  now?: Date;
  /** Checked just before the rename: a cancelled run registers nothing. */
  signal?: AbortSignal;
}

/** The provenance recorded for a version a run produced. */
export function runProvenance(i: RegisterInput): Provenance {
  const r = i.run;
  const metrics: Record<string, number> = { ...r.training_metrics };
  const g = r.gate;
  if (g?.candidate_reference) metrics['gate_reference_accuracy'] = g.candidate_reference.accuracy;
  if (g?.candidate_drifted) metrics['gate_drifted_accuracy'] = g.candidate_drifted.accuracy;
  return {
    training_data_sha256: r.dataset?.sha256 || null,
    training_data: r.dataset ? { dataset: relativeDataset(i.modelDir, r.dataset.path), sha256: r.dataset.sha256 } : null,
    parent_version: r.parent_version || null,
    produced_by: i.producedBy,
    created_at: (i.now ?? new Date()).toISOString(),
    metrics,
    run_id: r.id,
    trigger: {
      kind: r.trigger?.kind ?? '',
      retrain_request_id: r.trigger?.retrain_request_id ?? '',
      drifted_report_ids: r.trigger?.drifted_report_ids ?? [],
      first_sequence: Number(r.trigger?.first_sequence ?? 0),
      last_sequence: Number(r.trigger?.last_sequence ?? 0),
      coalesced_request_ids: r.coalesced.map((c) => c.retrain_request_id).filter((x) => x !== ''),
    },
    training_command: r.command,
    code_version: i.codeVersion,
    seed: Number(r.seed),
    gate: g ? { blessed: g.blessed, reason: g.reason, checks: g.checks.map((c) => ({ name: c.name, passed: c.passed, value: c.value, threshold: c.threshold })) } : null,
  };
}

/** The dataset path as the version folder sees it (the snapshot lives in <model>/datasets/). */
function relativeDataset(modelDir: string, path: string): string {
  const prefix = `${modelDir}/`;
  return path.startsWith(prefix) ? `../${path.slice(prefix.length)}` : path;
}

/**
 * Writes version `version` atomically: copies model.onnx (and reference/) into
 * `<model>/.register-<run>-<version>`, writes and verifies manifest.json with the run's
 * provenance, renames the folder to `<model>/<version>`. Returns false when that folder already
 * exists and was written by this run (a restart after the rename): nothing is written again.
 * @throws FailedPreconditionError when the folder exists and belongs to something else.
 */
export async function registerVersion(i: RegisterInput): Promise<{ written: boolean; manifest: Manifest | undefined }> {
  const final = join(i.modelDir, i.version);
  const existing = await readProvenance(final);
  if (existing) {
    if (existing['run_id'] === i.run.id) return { written: false, manifest: undefined };
    throw new FailedPreconditionError(`version ${i.version} of model '${i.run.model}' already exists (made by ${typeof existing['run_id'] === 'string' ? existing['run_id'] : existing.produced_by}): not overwritten`);
  }
  if (await stat(final).catch(() => undefined)) throw new FailedPreconditionError(`${final} already exists without a manifest: not overwritten`);
  const tmp = join(i.modelDir, `.register-${i.run.id}-${i.version}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await cp(i.modelPath, join(tmp, 'model.onnx'));
    if (i.referenceDir) await cp(i.referenceDir, join(tmp, 'reference'), { recursive: true });
    const manifest = await buildManifest(tmp, await listFiles(tmp), runProvenance(i));
    await writeFile(join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await verifyManifest(tmp, `candidate of run ${i.run.id}`);
    if (i.signal?.aborted) throw new Error(`run ${i.run.id} stopped (${String(i.signal.reason)}) before its version was registered`);
    await rename(tmp, final);
    return { written: true, manifest };
  } catch (e: unknown) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
