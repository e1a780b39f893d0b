/**
 * Point-in-time feature rows of a snapshot (docs/retrainer.md, "Point-in-time feature rows"):
 * for each labelled logged row that came through a gateway deployment (its log's
 * `mlmesh_deployment` parameter),
 *
 * 1. the deployment's spec (deployments.ts) says which features the row read, for which entity
 *    (the logged parameter its `features[].entity` names) and which request fields it had;
 * 2. GetHistoricalFeatures gives every feature's value for that entity as of the time the
 *    gateway read them (the log's `mlmesh_as_of_ms`, else its event time), in batches;
 * 3. the row's record (the point-in-time values, nulls where a value is not PRESENT as the
 *    gateway's `on_missing: pipeline` does, and the logged request fields typed by the spec) is
 *    transformed by the deployment's pipeline (preprocess Transform, LENIENT, in batches);
 * 4. with a logged input tensor, the rebuilt row is compared with it (training/serving skew);
 *    without one (inputs_omitted), the rebuilt row becomes the row's model input.
 *
 * Every row asked for is one line of a CSV, and every row not asked for, not compared or not
 * rebuilt is counted by reason. A feature service or preprocess service that does not answer
 * fails the whole build: a snapshot must not silently lose its point-in-time rows.
 */
import { stringify } from 'csv-stringify/sync';
import type { FeaturesClient, PreprocessClient } from '../../shared/client/index.js';
import { CancelledError, UnavailableError, errorMessage } from '../../shared/errors/index.js';
import type { FeatureValue__Output } from '../../shared/generated/mlmesh/features/v1/FeatureValue.js';
import type { Value as PValue } from '../../shared/generated/mlmesh/preprocess/v1/Value.js';
import { featureValue } from '../gateway/index.js';
import type { RequestFieldSpec } from '../gateway/index.js';
import { DeploymentReader } from './deployments.js';
import type { ResolvedDeployment } from './deployments.js';
import type { PointInTimeManifest } from './types.js';

/** Largest absolute difference between a logged and a rebuilt value that still matches. */
export const SKEW_TOLERANCE = 1e-5;
/** Rows per GetHistoricalFeatures call and records per Transform call. */
export const POINT_IN_TIME_BATCH = 1000;
/** The file name of the point-in-time rows in a snapshot's folder. */
export const POINT_IN_TIME_FILE = 'point_in_time.csv';

/** Where the point-in-time rows come from (the retrainer's clients and options). */
export interface PointInTimeSource {
  features: FeaturesClient;
  /** For messages and the manifest. */
  featuresAddress: string;
  preprocess: PreprocessClient;
  preprocessAddress: string;
  /** The gateway's deployments folder. */
  deploymentsDir: string;
  /** Deadline of each call, ms. */
  callTimeoutMs: number;
}

/** One labelled logged row of a gateway deployment. */
export interface GatewayRow {
  requestId: string;
  /** Tensor row in its log. */
  row: number;
  /** `mlmesh_deployment`. */
  deployment: string;
  /** The log's parameters (log_parameters fields as JSON lists in tensor row order). */
  parameters: Readonly<Record<string, string>>;
  /** The log's event time, epoch ms. */
  logTimeMs: number;
  /** The logged input row; undefined when the log omitted its inputs. */
  x: Float32Array | undefined;
  /** The label as the CSV shows it. */
  label: string;
}

/** What the point-in-time stage gives the snapshot. */
export interface PointInTimeResult {
  /** Index into the rows given → the rebuilt model input (rows logged without inputs only). */
  rebuilt: Map<number, Float32Array>;
  /** The CSV's bytes. */
  csv: Buffer;
  /** The manifest's section, without `file` (the writer adds it). */
  manifest: Omit<PointInTimeManifest, 'file'> & { rows: number };
}

/** Why a row was not asked for, not compared, or not rebuilt. */
type Reason =
  | 'deployment_unknown'
  | 'deployment_version_mismatch'
  | 'entity_not_logged'
  | 'malformed_parameters'
  | 'request_field_not_logged'
  | 'request_field_malformed'
  | 'feature_missing'
  | 'transform_error'
  | 'width_mismatch';

const bump = (m: Record<string, number>, k: Reason): void => {
  m[k] = (m[k] ?? 0) + 1;
};
const sorted = (m: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1)));

/** Parsed JSON list parameters, per log's parameters object (the rows of one log share it). */
const parsedLists = new WeakMap<object, Map<string, unknown>>();

/** A logged parameter parsed as JSON once per log; null when it is not JSON, undefined when absent. */
function parsedParam(p: Readonly<Record<string, string>>, name: string): unknown {
  const text = p[name];
  if (text === undefined) return undefined;
  let cache = parsedLists.get(p);
  if (!cache) parsedLists.set(p, (cache = new Map<string, unknown>()));
  if (!cache.has(name)) {
    let v: unknown = null;
    try {
      v = JSON.parse(text);
    } catch {
      // A parameter that is not JSON (not written by the gateway): treated as malformed.
    }
    cache.set(name, v);
  }
  return cache.get(name);
}

/** The value at tensor row `row` of a logged JSON list parameter; undefined when absent or malformed. */
function listParam(p: Readonly<Record<string, string>>, name: string, row: number): { value: string | null } | undefined {
  const list = parsedParam(p, name);
  if (!Array.isArray(list) || row >= list.length) return undefined;
  const v: unknown = list[row];
  return v === null ? { value: null } : typeof v === 'string' ? { value: v } : undefined;
}

/** A logged request field (the gateway logs `String(value)`) as the type the spec declares. */
function requestValue(f: RequestFieldSpec, text: string | null): PValue | 'request_field_malformed' {
  if (text === null) return f.required ? 'request_field_malformed' : { null_value: 'NULL_VALUE' };
  switch (f.type) {
    case 'double': {
      const n = Number(text);
      return text.trim() !== '' && Number.isFinite(n) ? { double_value: n } : 'request_field_malformed';
    }
    case 'int64':
      return /^-?[0-9]{1,19}$/.test(text) ? { int64_value: text } : 'request_field_malformed';
    case 'bool':
      return text === 'true' || text === 'false' ? { bool_value: text === 'true' } : 'request_field_malformed';
    case 'string':
      return { string_value: text };
  }
}

/** A stored feature value as the CSV shows it: numbers as text, booleans 1/0 (as training.csv), null empty. */
function cell(v: FeatureValue__Output | undefined): string {
  if (v?.status !== 'PRESENT') return '';
  const x = v.value;
  switch (x?.kind) {
    case 'float_value':
      return String(x.float_value);
    case 'int64_value':
      return String(x.int64_value);
    case 'bool_value':
      return x.bool_value ? '1' : '0';
    case 'string_value':
      return x.string_value ?? '';
    case 'float_vector_value':
      return JSON.stringify(x.float_vector_value?.values ?? []);
    default:
      return '';
  }
}

/** One row asked for: its deployment, entities, time and what came back. */
interface Asked {
  index: number;
  d: ResolvedDeployment;
  entities: string[];
  timeMs: number;
  /** Per group, per ref. */
  values: (FeatureValue__Output | undefined)[][];
}

/**
 * Fetches, writes and checks the point-in-time rows of `rows` (see the module comment).
 * @throws UnavailableError naming the feature or preprocess service when a call fails;
 *   FailedPreconditionError for a deployment file that is not valid; CancelledError on `signal`.
 */
export async function pointInTimeRows(src: PointInTimeSource, rows: readonly GatewayRow[], signal?: AbortSignal): Promise<PointInTimeResult> {
  const check = (): void => {
    if (signal?.aborted) throw new CancelledError('point-in-time feature rows: cancelled', { cause: signal.reason });
  };
  const call = { timeoutMs: src.callTimeoutMs, ...(signal ? { signal } : {}) };
  const reader = new DeploymentReader(src.deploymentsDir, src.features, src.featuresAddress, src.callTimeoutMs);
  const skipped: Record<string, number> = {};
  const unchecked: Record<string, number> = {};
  const rebuildSkipped: Record<string, number> = {};
  const notRebuilt = (r: GatewayRow, why: Reason): void => {
    if (r.x === undefined) bump(rebuildSkipped, why);
    else bump(unchecked, why);
  };

  // 1. Deployment, entities and time of every row.
  const asked: Asked[] = [];
  const used = new Map<string, ResolvedDeployment>();
  for (const [index, r] of rows.entries()) {
    check();
    const d = await reader.get(r.deployment, signal);
    if (typeof d === 'string') {
      bump(skipped, d);
      if (r.x === undefined) bump(rebuildSkipped, d);
      continue;
    }
    const entities: string[] = [];
    let why: Reason | undefined;
    for (const g of d.groups) {
      const e = listParam(r.parameters, g.entity, r.row);
      if (e === undefined) why ??= r.parameters[g.entity] === undefined ? 'entity_not_logged' : 'malformed_parameters';
      else if (e.value === null || e.value === '') why ??= 'entity_not_logged';
      else entities.push(e.value);
    }
    const asOf = Number(r.parameters['mlmesh_as_of_ms'] ?? r.logTimeMs);
    if (why === undefined && !(Number.isSafeInteger(asOf) && asOf > 0 && asOf <= 8.64e15)) why = 'malformed_parameters';
    if (why !== undefined) {
      bump(skipped, why);
      if (r.x === undefined) bump(rebuildSkipped, why);
      continue;
    }
    used.set(d.id, d);
    asked.push({ index, d, entities, timeMs: asOf, values: d.groups.map(() => []) });
  }

  // 2. GetHistoricalFeatures per deployment and group, in batches.
  for (const d of used.values()) {
    const mine = asked.filter((a) => a.d === d);
    for (const [gi, g] of d.groups.entries()) {
      for (let s = 0; s < mine.length; s += POINT_IN_TIME_BATCH) {
        check();
        const batch = mine.slice(s, s + POINT_IN_TIME_BATCH);
        let refs: string[] = [];
        try {
          for await (const msg of src.features.getHistoricalFeatures({ features: { refs: [...g.refs] }, rows: batch.map((a) => ({ entity_id: a.entities[gi] as string, time_ms: a.timeMs })) }, call)) {
            if (msg.features.length > 0) refs = msg.features;
            for (const hr of msg.rows) {
              const a = batch[hr.row_index];
              if (a) a.values[gi] = g.refs.map((ref) => hr.values[refs.indexOf(ref)]);
            }
          }
        } catch (e: unknown) {
          throw new UnavailableError(`point-in-time rows of deployment ${d.id}: GetHistoricalFeatures at the feature service ${src.featuresAddress} failed (${errorMessage(e)})`, { cause: e });
        }
      }
    }
  }

  // 3. Records, Transform, compare or rebuild.
  let found = 0;
  let missing = 0;
  const records = new Map<number, Record<string, PValue>>();
  for (const a of asked) {
    const r = rows[a.index] as GatewayRow;
    const allPresent = a.values.every((vs, gi) => vs.length === (a.d.groups[gi]?.refs.length ?? 0) && vs.every((v) => v?.status === 'PRESENT'));
    if (allPresent) found++;
    else missing++;
    const record: Record<string, PValue> = {};
    let why: Reason | undefined;
    for (const [gi, g] of a.d.groups.entries()) {
      for (const [i, col] of g.columns.entries()) {
        const v = a.values[gi]?.[i];
        if (v?.status === 'PRESENT') record[col] = featureValue(v.value);
        else if (g.onMissing === 'error') why ??= 'feature_missing';
        else record[col] = { null_value: 'NULL_VALUE' };
      }
    }
    for (const f of a.d.spec.requestFields) {
      const logged = listParam(r.parameters, f.name, r.row);
      if (logged === undefined) {
        why ??= r.parameters[f.name] === undefined ? 'request_field_not_logged' : 'malformed_parameters';
        continue;
      }
      const v = requestValue(f, logged.value);
      if (typeof v === 'string') why ??= v;
      else record[f.column] = v;
    }
    if (why !== undefined) notRebuilt(r, why);
    else records.set(a.index, record);
  }

  const rebuilt = new Map<number, Float32Array>();
  const outcome = new Map<number, 'match' | 'differ' | 'rebuilt'>();
  let match = 0;
  let differ = 0;
  let maxDiff = 0;
  for (const d of used.values()) {
    const mine = asked.filter((a) => a.d === d && records.has(a.index));
    const pipeline = d.spec.pipeline.sha256 ? { sha256: d.spec.pipeline.sha256 } : { name: d.spec.pipeline.name, version: d.spec.pipeline.version };
    for (let s = 0; s < mine.length; s += POINT_IN_TIME_BATCH) {
      check();
      const batch = mine.slice(s, s + POINT_IN_TIME_BATCH);
      let t;
      try {
        t = await src.preprocess.transform({ pipeline, records: batch.map((a) => ({ fields: records.get(a.index) as Record<string, PValue> })), mode: 'LENIENT' }, call);
      } catch (e: unknown) {
        throw new UnavailableError(`point-in-time rows of deployment ${d.id}: Transform with pipeline ${d.spec.pipeline.text} at the preprocess service ${src.preprocessAddress} failed (${errorMessage(e)})`, { cause: e });
      }
      const width = Number(t.shape[1] ?? 0);
      const bytes = new Uint8Array(t.tensor.byteLength);
      bytes.set(t.tensor);
      const tensor = new Float32Array(bytes.buffer);
      const outRow = new Map(t.row_index.map((rec, k) => [rec, k]));
      for (const [k, a] of batch.entries()) {
        const r = rows[a.index] as GatewayRow;
        const o = outRow.get(k);
        if (o === undefined) {
          notRebuilt(r, 'transform_error');
          continue;
        }
        const x = tensor.slice(o * width, (o + 1) * width);
        if (r.x === undefined) {
          rebuilt.set(a.index, x);
          outcome.set(a.index, 'rebuilt');
          continue;
        }
        if (r.x.length !== width) {
          notRebuilt(r, 'width_mismatch');
          continue;
        }
        let diff = 0;
        for (let i = 0; i < width; i++) diff = Math.max(diff, Math.abs((r.x[i] as number) - (x[i] as number)));
        maxDiff = Math.max(maxDiff, diff);
        if (diff <= SKEW_TOLERANCE) match++;
        else differ++;
        outcome.set(a.index, diff <= SKEW_TOLERANCE ? 'match' : 'differ');
      }
    }
  }

  // 4. The file: one line per row asked for, in the rows' order.
  const entityFields = [...new Set([...used.values()].flatMap((d) => d.groups.map((g) => g.entity)))];
  const refs = [...new Set([...used.values()].flatMap((d) => d.groups.flatMap((g) => g.refs)))];
  const fields = [...new Set([...used.values()].flatMap((d) => d.spec.requestFields.map((f) => f.name)))].filter((f) => !entityFields.includes(f));
  const header = ['request_id', 'row', 'request_row', 'deployment', ...entityFields, 'time_ms', 'time', ...refs, 'missing', ...fields, 'label', 'input', 'skew'];
  const lines: string[][] = [header];
  for (const a of asked) {
    const r = rows[a.index] as GatewayRow;
    const byRef = new Map<string, FeatureValue__Output | undefined>();
    a.d.groups.forEach((g, gi) => g.refs.forEach((ref, i) => byRef.set(ref, a.values[gi]?.[i])));
    const ent = new Map(a.d.groups.map((g, gi) => [g.entity, a.entities[gi] as string]));
    const notPresent = [...byRef].filter(([, v]) => v?.status !== 'PRESENT').map(([ref, v]) => `${ref}=${v?.status ?? 'NOT_FOUND'}`);
    const o = outcome.get(a.index);
    lines.push([
      r.requestId,
      String(r.row),
      requestRow(r),
      r.deployment,
      ...entityFields.map((f) => ent.get(f) ?? ''),
      String(a.timeMs),
      new Date(a.timeMs).toISOString(),
      ...refs.map((ref) => cell(byRef.get(ref))),
      notPresent.join(' '),
      ...fields.map((f) => listParam(r.parameters, f, r.row)?.value ?? ''),
      r.label,
      r.x === undefined ? (o === 'rebuilt' ? 'rebuilt' : 'omitted') : 'logged',
      o === 'match' || o === 'differ' ? o : '',
    ]);
  }
  const csv = Buffer.from(stringify(lines), 'utf8');
  const deployments = [...used.values()].map((d) => ({
    deployment: d.id,
    sha256: d.spec.sha256,
    pipeline: d.spec.pipeline.text,
    feature_services: d.groups.flatMap((g) => (g.service === undefined ? [] : [g.service])),
    features: d.groups.flatMap((g) => [...g.refs]),
    entity_fields: d.groups.map((g) => g.entity),
  }));
  return {
    rebuilt,
    csv,
    manifest: {
      rows: asked.length,
      features_address: src.featuresAddress,
      deployments,
      rows_asked: asked.length,
      rows_found: found,
      rows_missing_features: missing,
      rows_skipped: sorted(skipped),
      skew: { tolerance: SKEW_TOLERANCE, checked: match + differ, match, differ, max_abs_diff: maxDiff, unchecked: sorted(unchecked) },
      rebuilt: { rows: rebuilt.size, skipped: sorted(rebuildSkipped) },
    },
  };
}

/** The request row of a tensor row (`mlmesh_rows`, a list of numbers), '' when the log does not say. */
function requestRow(r: GatewayRow): string {
  const list = parsedParam(r.parameters, 'mlmesh_rows');
  const v: unknown = Array.isArray(list) ? list[r.row] : undefined;
  return typeof v === 'number' ? String(v) : '';
}
