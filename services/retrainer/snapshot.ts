/**
 * A run's dataset snapshot: the parent version's training data (the base snapshot) plus the
 * labelled logged predictions since the drift began, written content-addressed by writeDataset.
 *
 * - Base rows keep their split, and every one of them is SOURCE_BASE in the new snapshot, also
 *   the rows the base itself had from logs: they are the parent's training data now, and the
 *   gate's "reference-like" slice is what the parent was trained and checked on.
 * - Logged rows: MLMESH_PREDICTIONS on the model's subject from `range.firstSequence` to the
 *   stream's end when the read starts (the drifted windows and after). Shadow copies, logs
 *   without inputs, logs for another model (a colliding subject token) and logs whose watched
 *   tensor is missing, of the wrong width, malformed or not finite are skipped and counted. A
 *   later log with the same request id replaces the earlier one (the monitor's join does the same).
 * - Feedback: MLMESH_FEEDBACK on the model's subject from its start, joined by request id
 *   (label-join.ts; last wins). Feedback for a request not in the range read is unmatched.
 * - Only labelled rows enter; the newest `maxLoggedRows` are kept (by sequence, then row).
 * - With `pointInTime`, the kept rows logged through a gateway deployment (`mlmesh_deployment`)
 *   get their point-in-time feature rows (point-in-time.ts), written as a CSV beside the arrays
 *   and counted in the manifest's `point_in_time`; a gateway log without inputs then counts as
 *   logged rows (`mlmesh_rows` says how many), and its labelled rows enter with the rebuilt
 *   model input, or not at all when it cannot be rebuilt. Without `pointInTime`, or for logs of
 *   no deployment, nothing changes.
 *   A row goes to the holdout when sha256(`${seed}:${request_id}:${row}`)'s first 4 bytes / 2^32
 *   is below holdoutFraction: stable, so a re-run on more data keeps earlier rows on their side.
 */
import { createHash } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { CancelledError, FailedPreconditionError, InvalidArgumentError } from '../../shared/errors/index.js';
import { decodeFeedback, decodePredictionLog, STREAMS, SUBJECTS } from '../../shared/events/index.js';
import type { PredictionLog__Output } from '../../shared/events/index.js';
import { dirname, join } from 'node:path';
import type { DatasetSummary } from '../../shared/generated/mlmesh/retrainer/v1/DatasetSummary.js';
import type { PointInTimeSummary } from '../../shared/generated/mlmesh/retrainer/v1/PointInTimeSummary.js';
import { writeDataset } from './dataset-io.js';
import { FeedbackIndex } from './label-join.js';
import type { LabelMapping } from './label-join.js';
import { logRows } from './logged-rows.js';
import { POINT_IN_TIME_FILE, pointInTimeRows } from './point-in-time.js';
import type { GatewayRow, PointInTimeSource } from './point-in-time.js';
import type { LogSkip } from './logged-rows.js';
import { readStreamRange } from './stream-range.js';
import { DATASET_FORMAT, SOURCE_BASE, SOURCE_LOGGED } from './types.js';
import type { DatasetManifest, DatasetPart, LoadedDataset, PointInTimeManifest } from './types.js';

/** What buildSnapshot needs. */
export interface BuildSnapshotOptions {
  nc: NatsConnection;
  model: string;
  /** The serving version whose training data `base` is (the candidate's parent); null for none. */
  parentVersion: string | null;
  /** The parent's training data, verified (readDataset); null: logged rows only. */
  base: LoadedDataset | null;
  /**
   * MLMESH_PREDICTIONS sequences to read: from firstSequence to the stream's end. lastSequence
   * (e.g. the drifted window's last) must be stored already.
   */
  range: { firstSequence: number; lastSequence?: number };
  /** The watched input tensor and its columns (the model's monitoring section). */
  monitoring: { input: string; featureCount: number };
  task: 'classification' | 'regression';
  /** Class labels in index order; null: labels are the integers 0..K-1, K covering the base and the labels seen. */
  classes: string[] | null;
  seed: number;
  /** Share of labelled logged rows put in the holdout, in [0, 1]. */
  holdoutFraction: number;
  /** Most logged rows kept (the newest). */
  maxLoggedRows: number;
  /** `<repo>/<model>/datasets`. */
  rootDir: string;
  /** Recorded as is (the only time in dataset.json, so the same inputs give the same hash). */
  createdAt: string;
  producedBy: string;
  /** Where point-in-time feature rows of gateway rows come from; undefined: none are read. */
  pointInTime?: PointInTimeSource;
  signal?: AbortSignal;
}

/** Logs read but not used, by reason, and logs replaced by a later one with the same request id. */
export type SnapshotSkips = Record<LogSkip | 'undecodable' | 'replaced', number>;

/** A built snapshot, its summary (the proto's DatasetSummary) and what was skipped. */
export interface BuiltSnapshot {
  loaded: LoadedDataset;
  summary: DatasetSummary;
  skipped: SnapshotSkips;
}

/** The holdout draw of a logged row: in [0, 1), a function of seed, request id and row only. */
export function holdoutDraw(seed: number, requestId: string, row: number): number {
  return createHash('sha256').update(`${seed}:${requestId}:${row}`).digest().readUInt32BE(0) / 2 ** 32;
}

/** The summary of a snapshot, shaped as the proto's DatasetSummary. */
export function datasetSummary(d: LoadedDataset): DatasetSummary {
  const s = d.manifest.sources;
  const j = d.manifest.label_join;
  const p = d.manifest.point_in_time;
  return {
    sha256: d.sha256,
    path: d.path,
    rows_by_source: { base: s.base.train_rows + s.base.holdout_rows, logged: s.logged.train_rows + s.logged.holdout_rows },
    train_rows: d.train.rows,
    holdout_rows: d.holdout.rows,
    logged_rows: j.logged_rows,
    labelled_rows: j.labelled_rows,
    label_coverage: j.coverage,
    ranges: s.logged.ranges.map((r) => ({ ...r })),
    feedback_messages: j.feedback_messages,
    feedback_unmatched: j.feedback_unmatched,
    base_sha256: s.base.dataset_sha256 ?? '',
    ...(p ? { point_in_time: pointInTimeSummary(p, join(dirname(d.path), p.file.path)) } : {}),
  };
}

function pointInTimeSummary(p: PointInTimeManifest, path: string): PointInTimeSummary {
  return {
    path,
    sha256: p.file.sha256,
    rows: p.file.rows,
    features_address: p.features_address,
    deployments: p.deployments.map((d) => d.deployment),
    feature_versions: [...new Set(p.deployments.flatMap((d) => d.features))],
    rows_asked: p.rows_asked,
    rows_found: p.rows_found,
    rows_missing_features: p.rows_missing_features,
    rows_skipped: { ...p.rows_skipped },
    skew_checked: p.skew.checked,
    skew_match: p.skew.match,
    skew_differ: p.skew.differ,
    skew_unchecked: { ...p.skew.unchecked },
    rebuilt_rows: p.rebuilt.rows,
    rebuild_skipped: { ...p.rebuilt.skipped },
    max_abs_diff: p.skew.max_abs_diff,
  };
}

function checkOptions(o: BuildSnapshotOptions): void {
  if (o.model === '') throw new InvalidArgumentError('model: required');
  const fc = o.monitoring.featureCount;
  if (!Number.isSafeInteger(fc) || fc < 1) throw new InvalidArgumentError(`monitoring.featureCount: must be a positive integer, got ${fc}`);
  if (o.monitoring.input === '') throw new InvalidArgumentError('monitoring.input: required (the watched input tensor)');
  if (!Number.isSafeInteger(o.range.firstSequence) || o.range.firstSequence < 1) throw new InvalidArgumentError(`range.firstSequence: must be a positive integer, got ${o.range.firstSequence}`);
  const last = o.range.lastSequence;
  if (last !== undefined && (!Number.isSafeInteger(last) || last < o.range.firstSequence)) throw new InvalidArgumentError(`range.lastSequence: must be an integer at least range.firstSequence (${o.range.firstSequence}), got ${last}`);
  if (!(o.holdoutFraction >= 0 && o.holdoutFraction <= 1)) throw new InvalidArgumentError(`holdoutFraction: must be in [0, 1], got ${o.holdoutFraction}`);
  if (!Number.isSafeInteger(o.maxLoggedRows) || o.maxLoggedRows < 0) throw new InvalidArgumentError(`maxLoggedRows: must be a non-negative integer, got ${o.maxLoggedRows}`);
  if (!Number.isSafeInteger(o.seed)) throw new InvalidArgumentError(`seed: must be an integer, got ${o.seed}`);
  if (o.task === 'regression' && o.classes !== null) throw new InvalidArgumentError('classes: must be null for a regressor');
  if (o.classes !== null && (o.classes.length === 0 || new Set(o.classes).size !== o.classes.length)) throw new InvalidArgumentError('classes: must be a non-empty list of distinct labels');
  const b = o.base?.manifest;
  if (!b) return;
  const where = `base dataset ${o.base?.sha256.slice(0, 12)}…`;
  if (b.task !== o.task) throw new FailedPreconditionError(`${where}: task is ${b.task}, the model's retraining task is ${o.task}`);
  if (b.feature_count !== fc) throw new FailedPreconditionError(`${where}: feature_count is ${b.feature_count}, the watched input has ${fc} columns`);
  if (b.input !== o.monitoring.input) throw new FailedPreconditionError(`${where}: input is ${JSON.stringify(b.input)}, the watched input tensor is ${JSON.stringify(o.monitoring.input)}`);
}

/**
 * The class list of the new snapshot and each base class index's index in it. With explicit
 * classes, base rows are mapped by label; with null, the base's classes must be "0".."K-1".
 */
function baseClassMap(o: BuildSnapshotOptions): { classes: string[] | null; map: number[] | null } {
  const bc = o.base?.manifest.classes ?? null;
  if (o.task === 'regression' || bc === null) return { classes: o.classes, map: null };
  if (o.classes === null) {
    if (bc.some((c, i) => c !== String(i))) throw new FailedPreconditionError(`base dataset: classes are ${JSON.stringify(bc.slice(0, 10))}…, not the integers 0..K-1 that classes: null means; give the model's classes`);
    return { classes: null, map: null };
  }
  const cls = o.classes;
  const map = bc.map((c) => {
    const i = cls.indexOf(c);
    if (i < 0) throw new FailedPreconditionError(`base dataset: class ${JSON.stringify(c)} is not among the model's classes`);
    return i;
  });
  return { classes: cls, map };
}

interface Logged {
  seq: number;
  rows: number;
  /** Kept only for request ids some Feedback names (the others cannot enter the snapshot); undefined for a gateway log without inputs. */
  x: Float32Array | undefined;
  /** A gateway log's deployment, parameters and time (kept like x). */
  gateway: { deployment: string; parameters: Record<string, string>; timeMs: number } | undefined;
}

interface PickedRow {
  seq: number;
  requestId: string;
  row: number;
  /** undefined until rebuilt (a gateway log without inputs). */
  x: Float32Array | undefined;
  y: number;
  gateway: Logged['gateway'];
}

/** The row count of a gateway log without inputs (its `mlmesh_rows` list), undefined when it does not say. */
function gatewayRows(log: PredictionLog__Output): number | undefined {
  if (!log.parameters['mlmesh_deployment']) return undefined;
  try {
    const list: unknown = JSON.parse(log.parameters['mlmesh_rows'] ?? 'null');
    return Array.isArray(list) && list.length > 0 ? list.length : undefined;
  } catch {
    // Not the gateway's list: the log cannot be rebuilt, it stays an inputs_omitted skip.
    return undefined;
  }
}

function assemble(fc: number, base: DatasetPart | undefined, map: number[] | null, logged: PickedRow[]): DatasetPart {
  const nb = base?.rows ?? 0;
  const rows = nb + logged.length;
  const part: DatasetPart = { rows, x: new Float32Array(rows * fc), y: new Float64Array(rows), source: new Uint8Array(rows) };
  if (base) {
    part.x.set(base.x);
    for (let i = 0; i < nb; i++) part.y[i] = map ? (map[base.y[i] as number] as number) : (base.y[i] as number);
    part.source.fill(SOURCE_BASE, 0, nb);
  }
  logged.forEach((r, k) => {
    part.x.set(r.x as Float32Array, (nb + k) * fc);
    part.y[nb + k] = r.y;
    part.source[nb + k] = SOURCE_LOGGED;
  });
  return part;
}

/**
 * Builds and writes the snapshot of a run (see the module comment for what goes in).
 * @throws InvalidArgumentError for bad options; FailedPreconditionError when the base does not
 *   fit the model (task, feature_count, input, classes), a stream is missing, or
 *   range.lastSequence is past the stream's end; CancelledError when `signal` aborts.
 */
export async function buildSnapshot(o: BuildSnapshotOptions): Promise<BuiltSnapshot> {
  checkOptions(o);
  const checkSignal = (): void => {
    if (o.signal?.aborted) throw new CancelledError('building the dataset snapshot: cancelled', { cause: o.signal.reason });
  };
  checkSignal();
  const { classes: given, map } = baseClassMap(o);
  const fc = o.monitoring.featureCount;
  const skipped: SnapshotSkips = { other_model: 0, shadow: 0, inputs_omitted: 0, missing_tensor: 0, wrong_width: 0, malformed: 0, non_finite: 0, undecodable: 0, replaced: 0 };

  // Feedback first: then only the inputs of requests that have some need to be kept.
  const feedback = new FeedbackIndex();
  const fbRange = await readStreamRange(o.nc, STREAMS.feedback.name, SUBJECTS.feedback(o.model), 1, (m) => {
    let fb;
    try {
      fb = decodeFeedback(m.data);
    } catch {
      // Not a Feedback: counted (messages, unmatched), the rest is still joined.
      feedback.addUndecodable();
      return;
    }
    feedback.add(fb, o.model);
  }, o.signal);

  const byRequest = new Map<string, Logged>();
  let loggedRows = 0;
  const predRange = await readStreamRange(o.nc, STREAMS.predictions.name, SUBJECTS.predictionsOf(o.model), o.range.firstSequence, (m) => {
    let log: PredictionLog__Output;
    try {
      log = decodePredictionLog(m.data);
    } catch {
      // Not a PredictionLog: counted in skipped, the rest is still read.
      skipped.undecodable++;
      return;
    }
    let r: { rows: number; x: Float32Array | undefined } | LogSkip = logRows(log, o.model, o.monitoring.input, fc);
    if (r === 'inputs_omitted' && o.pointInTime) {
      const n = gatewayRows(log);
      if (n !== undefined) r = { rows: n, x: undefined };
    }
    if (typeof r === 'string') {
      skipped[r]++;
      return;
    }
    loggedRows += r.rows;
    // A log without a request id can never be labelled: counted as logged rows only.
    if (log.request_id === '') return;
    const prev = byRequest.get(log.request_id);
    if (prev) {
      skipped.replaced++;
      loggedRows -= prev.rows;
      byRequest.delete(log.request_id);
    }
    const wanted = feedback.has(log.request_id);
    const deployment = log.parameters['mlmesh_deployment'];
    const gateway = wanted && deployment ? { deployment, parameters: { ...log.parameters }, timeMs: Number(log.meta?.time_unix_ms ?? 0) } : undefined;
    byRequest.set(log.request_id, { seq: m.seq, rows: r.rows, x: wanted ? r.x : undefined, gateway });
  }, o.signal, o.range.lastSequence);

  const mapping: LabelMapping = { task: o.task, classes: given };
  const { targets, unmatched } = feedback.join((id) => byRequest.get(id)?.rows, mapping);
  const picked: PickedRow[] = [];
  for (const [id, rows] of targets) {
    const p = byRequest.get(id) as Logged;
    for (const [row, y] of rows) picked.push({ seq: p.seq, requestId: id, row, x: p.x?.subarray(row * fc, (row + 1) * fc), y, gateway: p.gateway });
  }
  const labelledRows = picked.length;
  picked.sort((a, b) => a.seq - b.seq || a.row - b.row);
  let kept = picked.slice(Math.max(0, picked.length - o.maxLoggedRows));

  let classes = given;
  if (o.task === 'classification' && classes === null) {
    // Integers as classes: enough of them for every base index and every label kept.
    let k = o.base?.manifest.classes?.length ?? 0;
    for (const r of kept) k = Math.max(k, r.y + 1);
    if (k === 0) throw new FailedPreconditionError('classes: null, and neither a base dataset nor a labelled logged row says which classes there are');
    classes = Array.from({ length: k }, (_, i) => String(i));
  }

  let pointInTime: PointInTimeManifest | undefined;
  let pointInTimeCsv: Buffer | undefined;
  const viaGateway = kept.filter((r) => r.gateway !== undefined);
  if (o.pointInTime && viaGateway.length > 0) {
    const cls = classes;
    const rows: GatewayRow[] = viaGateway.map((r) => {
      const g = r.gateway as NonNullable<PickedRow['gateway']>;
      return { requestId: r.requestId, row: r.row, deployment: g.deployment, parameters: g.parameters, logTimeMs: g.timeMs, x: r.x, label: cls ? (cls[r.y] ?? String(r.y)) : String(r.y) };
    });
    const pit = await pointInTimeRows(o.pointInTime, rows, o.signal);
    for (const [i, x] of pit.rebuilt) (viaGateway[i] as PickedRow).x = x;
    const { rows: fileRows, ...counts } = pit.manifest;
    pointInTimeCsv = pit.csv;
    pointInTime = { file: { path: POINT_IN_TIME_FILE, sha256: createHash('sha256').update(pit.csv).digest('hex'), rows: fileRows }, ...counts };
  }
  // A gateway row logged without inputs and not rebuilt has no model input: it cannot train.
  kept = kept.filter((r) => r.x !== undefined && r.x.length === fc);
  const toHoldout = (r: PickedRow): boolean => holdoutDraw(o.seed, r.requestId, r.row) < o.holdoutFraction;
  const loggedTrain = kept.filter((r) => !toHoldout(r));
  const loggedHoldout = kept.filter(toHoldout);
  const base = o.base;
  const manifest: Omit<DatasetManifest, 'files'> = {
    format: DATASET_FORMAT,
    model: o.model,
    parent_version: o.parentVersion,
    task: o.task,
    classes: o.task === 'classification' ? classes : null,
    feature_count: fc,
    input: o.monitoring.input,
    sources: {
      base: { dataset_sha256: base?.sha256 ?? null, train_rows: base?.train.rows ?? 0, holdout_rows: base?.holdout.rows ?? 0 },
      logged: { train_rows: loggedTrain.length, holdout_rows: loggedHoldout.length, ranges: [predRange, fbRange] },
    },
    label_join: {
      logged_rows: loggedRows,
      labelled_rows: labelledRows,
      coverage: loggedRows === 0 ? 0 : labelledRows / loggedRows,
      feedback_messages: feedback.messages,
      feedback_unmatched: unmatched,
    },
    split: { seed: o.seed, holdout_fraction: o.holdoutFraction },
    ...(pointInTime ? { point_in_time: pointInTime } : {}),
    created_at: o.createdAt,
    produced_by: o.producedBy,
  };
  checkSignal();
  const train = assemble(fc, base?.train, map, loggedTrain);
  const holdout = assemble(fc, base?.holdout, map, loggedHoldout);
  const written = await writeDataset(o.rootDir, manifest, { train, holdout }, pointInTimeCsv);
  const loaded: LoadedDataset = { manifest: written.manifest, sha256: written.sha256, path: written.path, train, holdout };
  return { loaded, summary: datasetSummary(loaded), skipped };
}
