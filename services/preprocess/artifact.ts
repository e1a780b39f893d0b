/**
 * The pipeline artifact: plain JSON holding every fitted parameter (no code, nothing to
 * execute when loaded), the output feature names, the inferred input schema, provenance, and
 * the SHA-256 of all of that. The hash is over the canonical JSON of the artifact without its
 * `sha256` field, so it identifies the content whatever the file's formatting.
 */
import { canonicalJson, sha256Hex } from '../../shared/canonical/index.js';
import { ArtifactIntegrityError } from './errors.js';
import type { InputSchema } from './schema.js';
import type { SpecObject, StepParams } from './step-kind.js';

/** The `format` of every artifact this code writes and reads. */
export const ARTIFACT_FORMAT = 'mlmesh.preprocess.pipeline/v1';

/** Where an artifact came from. */
export interface Provenance {
  /** SHA-256 of the training CSV's bytes. */
  readonly training_data_sha256: string;
  /** Data rows (without the header). */
  readonly training_rows: number;
  /** The training data's path, or "inline CSV (N bytes)". */
  readonly training_data: string;
  /** SHA-256 of the spec's canonical JSON. */
  readonly spec_sha256: string;
  /** When it was fitted (RFC 3339). */
  readonly fitted_at: string;
  /** What fitted it, e.g. `mlmesh-preprocess 0.1.0 (cli)`. */
  readonly produced_by: string;
  /** Passes made over the training data. */
  readonly passes: number;
}

/** An artifact before it is sealed with its hash. */
export interface ArtifactBody {
  readonly format: typeof ARTIFACT_FORMAT;
  readonly name: string;
  readonly version: string;
  readonly spec: SpecObject;
  readonly input_schema: InputSchema;
  readonly steps: readonly StepParams[];
  readonly feature_names: readonly string[];
  readonly provenance: Provenance;
}

/** A sealed artifact. */
export interface PipelineArtifact extends ArtifactBody {
  readonly sha256: string;
}

/** The content hash of an artifact body. */
export function artifactHash(body: ArtifactBody): string {
  const { sha256: _ignored, ...rest } = body as ArtifactBody & { sha256?: string };
  return sha256Hex(canonicalJson(rest));
}

/** Seals a body: adds its SHA-256. */
export function sealArtifact(body: ArtifactBody): PipelineArtifact {
  return { ...body, sha256: artifactHash(body) };
}

/** The artifact as stored: indented JSON, keys in canonical order, a final newline. */
export function serializeArtifact(a: PipelineArtifact): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(a)), null, 2)}\n`;
}

/**
 * Parses a stored artifact and checks it: its format, its fields, and that its content hashes
 * to its `sha256` (and to `expectedSha256` when given).
 * @throws ArtifactIntegrityError (DATA_LOSS) on any mismatch.
 */
export function parseArtifact(text: string, source: string, expectedSha256?: string): PipelineArtifact {
  let a: PipelineArtifact;
  try {
    a = JSON.parse(text) as PipelineArtifact;
  } catch (e: unknown) {
    throw new ArtifactIntegrityError(`${source}: not JSON`, { cause: e });
  }
  if (typeof a !== 'object' || a === null || a.format !== ARTIFACT_FORMAT) throw new ArtifactIntegrityError(`${source}: not a pipeline artifact (format must be ${ARTIFACT_FORMAT})`);
  for (const k of ['name', 'version', 'sha256'] as const) if (typeof a[k] !== 'string') throw new ArtifactIntegrityError(`${source}: ${k} must be a string`);
  if (!Array.isArray(a.steps) || !Array.isArray(a.feature_names) || typeof a.input_schema !== 'object' || !Array.isArray(a.input_schema?.columns)) {
    throw new ArtifactIntegrityError(`${source}: steps, feature_names and input_schema.columns are required`);
  }
  const actual = artifactHash(a);
  if (actual !== a.sha256) throw new ArtifactIntegrityError(`${source}: content hashes to ${actual}, the artifact says ${a.sha256} (modified or corrupt)`);
  if (expectedSha256 !== undefined && actual !== expectedSha256) throw new ArtifactIntegrityError(`${source}: content hashes to ${actual}, expected ${expectedSha256}`);
  return a;
}
