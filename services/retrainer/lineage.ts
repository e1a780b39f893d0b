/**
 * A served version's lineage: its manifest's provenance, the run that produced it (gate numbers,
 * dataset snapshot with hashes, sources and stream ranges, trigger with its drift reports), then
 * the parent version's, and so on up to the first version (or the first one missing).
 */
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError, clip } from '../../shared/errors/index.js';
import type { Lineage } from '../../shared/generated/mlmesh/retrainer/v1/Lineage.js';
import type { LineageVersion } from '../../shared/generated/mlmesh/retrainer/v1/LineageVersion.js';
import type { Run__Output } from '../../shared/generated/mlmesh/retrainer/v1/Run.js';
import { readProvenance } from './register.js';

/** Most versions walked (a parent cycle in hand-edited manifests stops here too). */
const MAX_DEPTH = 1000;

/**
 * Walks `version`'s parents through the manifests in `<repo>/<model>/`. `runOf` finds a run by id.
 * @throws InvalidArgumentError for a malformed model or version; NotFoundError when the version
 *   asked for has no manifest.
 */
export async function lineageOf(repo: string, model: string, version: string, runOf: (id: string) => Run__Output | undefined): Promise<Lineage & { versions: LineageVersion[] }> {
  if (!/^[A-Za-z0-9_.-]+$/.test(model) || model.startsWith('.')) throw new InvalidArgumentError(`model: ${clip(JSON.stringify(model), 100)} is not a model folder name`, { field: 'model' });
  if (!/^[1-9][0-9]*$/.test(version)) throw new InvalidArgumentError(`version: ${clip(JSON.stringify(version), 40)} is not a version number`, { field: 'version' });
  const versions: LineageVersion[] = [];
  const seen = new Set<string>();
  let v: string | null = version;
  while (v && !seen.has(v) && versions.length < MAX_DEPTH) {
    seen.add(v);
    const p = await readProvenance(join(repo, model, v));
    if (!p) {
      if (versions.length === 0) throw new NotFoundError(`model '${clip(model, 100)}' has no version ${v} with a manifest in the repository`, { resource: { type: 'model version', name: `${clip(model, 100)}/${v}` } });
      versions.push({ version: v, parent_version: '', provenance_json: '', present: false });
      break;
    }
    const runId = typeof p['run_id'] === 'string' ? p['run_id'] : '';
    const run = runId ? runOf(runId) : undefined;
    versions.push({ version: v, parent_version: p.parent_version ?? '', provenance_json: JSON.stringify(p), present: true, ...(run ? { run } : {}) });
    // A parent that is not a version number (a hand-edited manifest) ends the walk: it is never used as a path.
    v = p.parent_version !== null && /^[1-9][0-9]*$/.test(p.parent_version) ? p.parent_version : null;
  }
  return { model, versions };
}
