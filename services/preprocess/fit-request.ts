/**
 * A Fit request from the API: where its training data comes from, which name and version it
 * gets, and the fit itself with the artifact stored at the end.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError, clip } from '../../shared/errors/index.js';
import type { FitRequest__Output } from '../../shared/generated/mlmesh/preprocess/v1/FitRequest.js';
import { sealArtifact } from './artifact.js';
import type { FitResult } from './fit.js';
import { fitInWorker } from './fit-runner.js';
import type { FitJob } from './fit-runner.js';
import { parseSpec } from './spec.js';
import { checkName } from './store.js';
import type { ArtifactStore } from './store.js';

/** How many times an auto-numbered Fit retries when another fit took its version first. */
const VERSION_RETRIES = 3;

/**
 * The CSV a Fit request names: its inline `csv`, or `data_path` under `dataDir`.
 * @throws InvalidArgumentError (neither given, a path leaving dataDir), FailedPreconditionError
 *   (data_path with no dataDir configured), NotFoundError (no such file).
 */
export async function fitSource(req: FitRequest__Output, dataDir: string): Promise<FitJob['source']> {
  if (req.data === 'csv') {
    const bytes = req.csv as Uint8Array;
    return { kind: 'bytes', bytes, description: `inline CSV (${bytes.byteLength} bytes)` };
  }
  if (req.data !== 'data_path') throw new InvalidArgumentError('data: give the training CSV as csv (bytes) or data_path', { field: 'data' });
  const rel = req.data_path as string;
  if (dataDir === '') throw new FailedPreconditionError('data_path: this service reads no files (set the option dataDir, env MLMESH_PREPROCESS_DATA_DIR), send csv instead');
  if (rel === '' || isAbsolute(rel)) throw new InvalidArgumentError(`data_path: must be a non-empty path relative to the data folder, got ${clip(JSON.stringify(rel))}`, { field: 'data_path' });
  const root = resolve(dataDir);
  const path = resolve(root, rel);
  const inside = relative(root, path);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) throw new InvalidArgumentError(`data_path: ${clip(JSON.stringify(rel))} leaves the data folder`, { field: 'data_path' });
  try {
    if (!(await stat(path)).isFile()) throw new InvalidArgumentError(`data_path: ${clip(JSON.stringify(rel))} is not a file`, { field: 'data_path' });
  } catch (e: unknown) {
    if (e instanceof InvalidArgumentError) throw e;
    throw new NotFoundError(`data_path: ${clip(JSON.stringify(rel))} not found in the data folder`, { cause: e });
  }
  return { kind: 'file', path };
}

/** What {@link fitAndStore} needs. */
export interface FitAndStoreOptions {
  readonly store: ArtifactStore;
  readonly producedBy: string;
  readonly signal?: AbortSignal;
}

/**
 * Fits a request's spec on its data (in a worker thread) and stores the artifact. The name is
 * the request's, else the spec's; the version likewise, else the next integer (if a concurrent
 * fit takes it first, the artifact is sealed again with the next one: no second fit).
 * @throws INVALID_ARGUMENT (spec, data, fit), AlreadyExistsError, the signal's reason.
 */
export async function fitAndStore(req: FitRequest__Output, source: FitJob['source'], o: FitAndStoreOptions): Promise<FitResult> {
  if (req.spec.trim() === '') throw new InvalidArgumentError('spec: required (YAML or JSON text)', { field: 'spec' });
  const spec = parseSpec(req.spec);
  const name = req.name !== '' ? req.name : spec.name;
  if (name === undefined) throw new InvalidArgumentError('name: required (in the request or the spec)', { field: 'name' });
  checkName(name, 'name');
  const fixed = req.version !== '' ? req.version : spec.version;
  if (fixed !== undefined) checkName(fixed, 'version');
  const first = fixed ?? (await o.store.nextVersion(name));
  const { artifact, passes } = await fitInWorker({ spec: req.spec, source, name, version: first, producedBy: o.producedBy }, o.signal);
  let sealed = artifact;
  for (let attempt = 0; ; attempt++) {
    try {
      await o.store.put(sealed);
      return { artifact: sealed, passes };
    } catch (e: unknown) {
      if (!(e instanceof AlreadyExistsError) || fixed !== undefined || attempt >= VERSION_RETRIES) throw e;
      sealed = sealArtifact({ ...artifact, version: await o.store.nextVersion(name) });
    }
  }
}
