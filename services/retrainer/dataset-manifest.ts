/**
 * dataset.json as bytes and back: the canonical form a snapshot's hash is taken over, and the
 * checks a manifest read from disk must pass (every message names the field at fault).
 */
import { FailedPreconditionError } from '../../shared/errors/index.js';
import { DATASET_ARRAYS, DATASET_FORMAT } from './types.js';
import type { DatasetArray, DatasetFile, DatasetManifest, DatasetRange, PointInTimeManifest } from './types.js';

/** A dataset snapshot that cannot be used: malformed, tampered with, or inconsistent. */
export class DatasetError extends FailedPreconditionError {
  /** The file (dataset.json or one of its arrays) at fault. */
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`dataset ${file}: ${message}`, options);
    this.name = 'DatasetError';
    this.file = file;
  }
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * The manifest with its keys in the fixed order of {@link DatasetManifest}, so that the same
 * content always serialises to the same bytes (the snapshot's identity is their hash). Keys not
 * in the format are dropped.
 */
export function canonicalManifest(m: DatasetManifest): DatasetManifest {
  const file = (f: DatasetFile): DatasetFile => ({ path: f.path, sha256: f.sha256, dtype: f.dtype, shape: [...f.shape] });
  const range = (r: DatasetRange): DatasetRange => ({ stream: r.stream, subject: r.subject, first_sequence: r.first_sequence, last_sequence: r.last_sequence, messages: r.messages });
  const files = {} as Record<DatasetArray, DatasetFile>;
  for (const k of DATASET_ARRAYS) files[k] = file(m.files[k]);
  return {
    format: m.format,
    model: m.model,
    parent_version: m.parent_version,
    task: m.task,
    classes: m.classes === null ? null : [...m.classes],
    feature_count: m.feature_count,
    input: m.input,
    files,
    sources: {
      base: { dataset_sha256: m.sources.base.dataset_sha256, train_rows: m.sources.base.train_rows, holdout_rows: m.sources.base.holdout_rows },
      logged: { train_rows: m.sources.logged.train_rows, holdout_rows: m.sources.logged.holdout_rows, ranges: m.sources.logged.ranges.map(range) },
    },
    label_join: {
      logged_rows: m.label_join.logged_rows,
      labelled_rows: m.label_join.labelled_rows,
      coverage: m.label_join.coverage,
      feedback_messages: m.label_join.feedback_messages,
      feedback_unmatched: m.label_join.feedback_unmatched,
    },
    split: { seed: m.split.seed, holdout_fraction: m.split.holdout_fraction },
    ...(m.point_in_time ? { point_in_time: canonicalPointInTime(m.point_in_time) } : {}),
    created_at: m.created_at,
    produced_by: m.produced_by,
  };
}

const counts = (m: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)));

function canonicalPointInTime(p: PointInTimeManifest): PointInTimeManifest {
  return {
    file: { path: p.file.path, sha256: p.file.sha256, rows: p.file.rows },
    features_address: p.features_address,
    deployments: p.deployments.map((d) => ({ deployment: d.deployment, sha256: d.sha256, pipeline: d.pipeline, feature_services: [...d.feature_services], features: [...d.features], entity_fields: [...d.entity_fields] })),
    rows_asked: p.rows_asked,
    rows_found: p.rows_found,
    rows_missing_features: p.rows_missing_features,
    rows_skipped: counts(p.rows_skipped),
    skew: { tolerance: p.skew.tolerance, checked: p.skew.checked, match: p.skew.match, differ: p.skew.differ, max_abs_diff: p.skew.max_abs_diff, unchecked: counts(p.skew.unchecked) },
    rebuilt: { rows: p.rebuilt.rows, skipped: counts(p.rebuilt.skipped) },
  };
}

/**
 * The bytes of dataset.json: canonical key order, two-space indentation, a final newline
 * (tools/make_retrainer_fixtures.py writes the same layout with `json.dumps(indent=2)`).
 */
export function manifestBytes(m: DatasetManifest): Buffer {
  return Buffer.from(JSON.stringify(canonicalManifest(m), null, 2) + '\n', 'utf8');
}

type Obj = Record<string, unknown>;

function obj(v: unknown, field: string, where: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DatasetError(where, `${field} must be an object`);
  return v as Obj;
}

function str(o: Obj, key: string, field: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new DatasetError(where, `${field}.${key} must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

function count(o: Obj, key: string, field: string, where: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new DatasetError(where, `${field}.${key} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return v;
}

function fraction(o: Obj, key: string, field: string, where: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new DatasetError(where, `${field}.${key} must be a number in [0, 1], got ${JSON.stringify(v)}`);
  return v;
}

function nullableSha(o: Obj, key: string, field: string, where: string): string | null {
  const v = o[key];
  if (v === null) return null;
  if (typeof v !== 'string' || !SHA256.test(v)) throw new DatasetError(where, `${field}.${key} must be a hex SHA-256 or null, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Checks the parsed JSON of a dataset.json against the format and returns it typed (canonical).
 * Shapes are checked against the row counts of `sources` and against `feature_count`; the files
 * themselves are checked by the reader.
 * @throws DatasetError naming the field at fault.
 */
export function checkManifest(json: unknown, where: string): DatasetManifest {
  const m = obj(json, 'dataset.json', where);
  if (m.format !== DATASET_FORMAT) throw new DatasetError(where, `format must be "${DATASET_FORMAT}", got ${JSON.stringify(m.format)}`);
  const model = str(m, 'model', 'manifest', where);
  const parent = m.parent_version;
  if (parent !== null && (typeof parent !== 'string' || parent === '')) throw new DatasetError(where, `parent_version must be a version string or null, got ${JSON.stringify(parent)}`);
  const task = m.task;
  if (task !== 'classification' && task !== 'regression') throw new DatasetError(where, `task must be "classification" or "regression", got ${JSON.stringify(task)}`);
  const classes = m.classes;
  if (task === 'classification') {
    if (!Array.isArray(classes) || classes.length === 0 || !classes.every((c) => typeof c === 'string')) throw new DatasetError(where, 'classes must be a non-empty list of strings for a classification dataset');
    if (new Set(classes).size !== classes.length) throw new DatasetError(where, 'classes holds a label twice');
  } else if (classes !== null) throw new DatasetError(where, 'classes must be null for a regression dataset');
  const featureCount = count(m, 'feature_count', 'manifest', where);
  if (featureCount === 0) throw new DatasetError(where, 'feature_count must be at least 1');
  const input = str(m, 'input', 'manifest', where);
  const sources = obj(m.sources, 'sources', where);
  const base = obj(sources.base, 'sources.base', where);
  const logged = obj(sources.logged, 'sources.logged', where);
  if (!Array.isArray(logged.ranges)) throw new DatasetError(where, 'sources.logged.ranges must be a list');
  const ranges = logged.ranges.map((r: unknown, i: number): DatasetRange => {
    const f = `sources.logged.ranges[${i}]`;
    const o = obj(r, f, where);
    return { stream: str(o, 'stream', f, where), subject: str(o, 'subject', f, where), first_sequence: count(o, 'first_sequence', f, where), last_sequence: count(o, 'last_sequence', f, where), messages: count(o, 'messages', f, where) };
  });
  const join = obj(m.label_join, 'label_join', where);
  const split = obj(m.split, 'split', where);
  const seed = split.seed;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw new DatasetError(where, `split.seed must be an integer, got ${JSON.stringify(seed)}`);
  const filesObj = obj(m.files, 'files', where);
  for (const k of Object.keys(filesObj)) if (!(DATASET_ARRAYS as readonly string[]).includes(k)) throw new DatasetError(where, `files.${k}: not an array of the format (${DATASET_ARRAYS.join(', ')})`);
  const files = {} as Record<DatasetArray, DatasetFile>;
  for (const k of DATASET_ARRAYS) {
    const f = obj(filesObj[k], `files.${k}`, where);
    const path = str(f, 'path', `files.${k}`, where);
    if (path.includes('/') || path.includes('\\') || path.startsWith('.')) throw new DatasetError(where, `files.${k}.path must be a file name in the snapshot's folder, got ${JSON.stringify(path)}`);
    const sha = str(f, 'sha256', `files.${k}`, where);
    if (!SHA256.test(sha)) throw new DatasetError(where, `files.${k}.sha256 is not a hex SHA-256`);
    const shape = f.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) throw new DatasetError(where, `files.${k}.shape must be a list of non-negative integers`);
    files[k] = { path, sha256: sha, dtype: str(f, 'dtype', `files.${k}`, where), shape: shape as number[] };
  }
  const manifest: DatasetManifest = {
    format: DATASET_FORMAT,
    model,
    parent_version: parent,
    task,
    classes: task === 'classification' ? (classes) : null,
    feature_count: featureCount,
    input,
    files,
    sources: {
      base: { dataset_sha256: nullableSha(base, 'dataset_sha256', 'sources.base', where), train_rows: count(base, 'train_rows', 'sources.base', where), holdout_rows: count(base, 'holdout_rows', 'sources.base', where) },
      logged: { train_rows: count(logged, 'train_rows', 'sources.logged', where), holdout_rows: count(logged, 'holdout_rows', 'sources.logged', where), ranges },
    },
    label_join: {
      logged_rows: count(join, 'logged_rows', 'label_join', where),
      labelled_rows: count(join, 'labelled_rows', 'label_join', where),
      coverage: fraction(join, 'coverage', 'label_join', where),
      feedback_messages: count(join, 'feedback_messages', 'label_join', where),
      feedback_unmatched: count(join, 'feedback_unmatched', 'label_join', where),
    },
    split: { seed, holdout_fraction: fraction(split, 'holdout_fraction', 'split', where) },
    ...(m.point_in_time === undefined ? {} : { point_in_time: checkPointInTime(m.point_in_time, where) }),
    created_at: str(m, 'created_at', 'manifest', where),
    produced_by: str(m, 'produced_by', 'manifest', where),
  };
  checkShapes(manifest, where);
  return manifest;
}

/** The dtype and shape every array must have, given the manifest's rows, task and feature_count. */
export function expectedLayout(m: Omit<DatasetManifest, 'files'>): Record<DatasetArray, { dtype: string; shape: number[] }> {
  const train = m.sources.base.train_rows + m.sources.logged.train_rows;
  const holdout = m.sources.base.holdout_rows + m.sources.logged.holdout_rows;
  const y = m.task === 'classification' ? '<i8' : '<f4';
  return {
    train_x: { dtype: '<f4', shape: [train, m.feature_count] },
    train_y: { dtype: y, shape: [train] },
    train_source: { dtype: '|u1', shape: [train] },
    holdout_x: { dtype: '<f4', shape: [holdout, m.feature_count] },
    holdout_y: { dtype: y, shape: [holdout] },
    holdout_source: { dtype: '|u1', shape: [holdout] },
  };
}

function countMap(o: Obj, key: string, field: string, where: string): Record<string, number> {
  const m = obj(o[key], `${field}.${key}`, where);
  for (const k of Object.keys(m)) count(m, k, `${field}.${key}`, where);
  return m as Record<string, number>;
}

function strList(o: Obj, key: string, field: string, where: string): string[] {
  const v = o[key];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== '')) throw new DatasetError(where, `${field}.${key} must be a list of non-empty strings`);
  return v as string[];
}

/** Checks dataset.json's `point_in_time` section. */
function checkPointInTime(v: unknown, where: string): PointInTimeManifest {
  const f = 'point_in_time';
  const p = obj(v, f, where);
  const file = obj(p.file, `${f}.file`, where);
  const path = str(file, 'path', `${f}.file`, where);
  if (path.includes('/') || path.includes('\\') || path.startsWith('.')) throw new DatasetError(where, `${f}.file.path must be a file name in the snapshot's folder, got ${JSON.stringify(path)}`);
  const sha = str(file, 'sha256', `${f}.file`, where);
  if (!SHA256.test(sha)) throw new DatasetError(where, `${f}.file.sha256 is not a hex SHA-256`);
  if (!Array.isArray(p.deployments)) throw new DatasetError(where, `${f}.deployments must be a list`);
  const deployments = p.deployments.map((d: unknown, i: number) => {
    const w = `${f}.deployments[${i}]`;
    const o = obj(d, w, where);
    return { deployment: str(o, 'deployment', w, where), sha256: str(o, 'sha256', w, where), pipeline: str(o, 'pipeline', w, where), feature_services: strList(o, 'feature_services', w, where), features: strList(o, 'features', w, where), entity_fields: strList(o, 'entity_fields', w, where) };
  });
  const skew = obj(p.skew, `${f}.skew`, where);
  const rebuilt = obj(p.rebuilt, `${f}.rebuilt`, where);
  const num = (o: Obj, k: string, w: string): number => {
    const x = o[k];
    if (typeof x !== 'number' || !(x >= 0)) throw new DatasetError(where, `${w}.${k} must be a non-negative number, got ${JSON.stringify(x)}`);
    return x;
  };
  const out: PointInTimeManifest = {
    file: { path, sha256: sha, rows: count(file, 'rows', `${f}.file`, where) },
    features_address: str(p, 'features_address', f, where),
    deployments,
    rows_asked: count(p, 'rows_asked', f, where),
    rows_found: count(p, 'rows_found', f, where),
    rows_missing_features: count(p, 'rows_missing_features', f, where),
    rows_skipped: countMap(p, 'rows_skipped', f, where),
    skew: { tolerance: num(skew, 'tolerance', `${f}.skew`), checked: count(skew, 'checked', `${f}.skew`, where), match: count(skew, 'match', `${f}.skew`, where), differ: count(skew, 'differ', `${f}.skew`, where), max_abs_diff: num(skew, 'max_abs_diff', `${f}.skew`), unchecked: countMap(skew, 'unchecked', `${f}.skew`, where) },
    rebuilt: { rows: count(rebuilt, 'rows', `${f}.rebuilt`, where), skipped: countMap(rebuilt, 'skipped', `${f}.rebuilt`, where) },
  };
  if (out.rows_found + out.rows_missing_features !== out.rows_asked) throw new DatasetError(where, `${f}: rows_found (${out.rows_found}) + rows_missing_features (${out.rows_missing_features}) must be rows_asked (${out.rows_asked})`);
  if (out.file.rows !== out.rows_asked) throw new DatasetError(where, `${f}.file.rows (${out.file.rows}) must be rows_asked (${out.rows_asked}): one line per row asked for`);
  if (out.skew.match + out.skew.differ !== out.skew.checked) throw new DatasetError(where, `${f}.skew: match + differ must be checked`);
  return out;
}

function checkShapes(m: DatasetManifest, where: string): void {
  const want = expectedLayout(m);
  for (const k of DATASET_ARRAYS) {
    const f = m.files[k];
    const w = want[k];
    if (f.dtype !== w.dtype) throw new DatasetError(where, `files.${k}.dtype must be ${w.dtype} (task ${m.task}), got ${JSON.stringify(f.dtype)}`);
    if (f.shape.length !== w.shape.length || f.shape.some((d, i) => d !== w.shape[i])) {
      throw new DatasetError(where, `files.${k}.shape is [${f.shape.join(', ')}], the rows of sources and feature_count say [${w.shape.join(', ')}]`);
    }
  }
  const j = m.label_join;
  if (j.labelled_rows > j.logged_rows) throw new DatasetError(where, `label_join.labelled_rows (${j.labelled_rows}) exceeds label_join.logged_rows (${j.logged_rows})`);
  const logged = m.sources.logged.train_rows + m.sources.logged.holdout_rows;
  if (logged > j.labelled_rows) throw new DatasetError(where, `sources.logged holds ${logged} rows, more than label_join.labelled_rows (${j.labelled_rows})`);
}
