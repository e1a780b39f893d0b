/**
 * One Predict: rows checked → features read (now or as of `as_of_ms`) → preprocess Transform
 * (lenient) over the rows still valid → the response cache → inference ModelInfer (raw tensor)
 * for the rows it does not hold → post-processing; one result per input row, in input order.
 * Each hop gets the time left and the caller's cancel and request id (backends.ts); a hop that
 * fails ends the call with its name, and nothing after it runs.
 */
import { Code, InvalidArgumentError } from '../../shared/errors/index.js';
import type { ModelInferResponse__Output } from '../../shared/generated/inference/ModelInferResponse.js';
import type { InferParameter } from '../../shared/generated/inference/InferParameter.js';
import type { PredictResponse } from '../../shared/generated/mlmesh/gateway/v1/PredictResponse.js';
import type { Row__Output } from '../../shared/generated/mlmesh/gateway/v1/Row.js';
import type { RowResult } from '../../shared/generated/mlmesh/gateway/v1/RowResult.js';
import type { Binding } from './binding.js';
import type { Backends, RequestBudget } from './backends.js';
import { callHop } from './backends.js';
import { ResponseCache, ServingVersions } from './cache.js';
import { HopError } from './errors.js';
import type { Hop } from './errors.js';
import type { GatewayMetrics } from './metrics.js';
import { postprocess } from './postprocess.js';
import { joinFeature, mapPipelineError, readRow } from './rows.js';
import type { RowState } from './rows.js';

/** The API version every answer carries. */
export const API_VERSION = 'mlmesh.gateway.v1';

/** What a Predict needs besides its binding. */
export interface PredictDeps {
  readonly backends: Backends;
  readonly cache: ResponseCache;
  readonly serving: ServingVersions;
  readonly metrics: GatewayMetrics;
}

/** A Predict request, decoded. */
export interface PredictInput {
  readonly rows: readonly Row__Output[];
  /** Epoch ms; 0 = now. */
  readonly asOfMs: number;
}

/** Output rows of a ModelInfer answer as numbers. */
function outputRows(res: ModelInferResponse__Output, output: string, rows: number): { rows: Float64Array[]; shape: number[] } {
  const i = res.outputs.findIndex((o) => o.name === output);
  const meta = res.outputs[i];
  const raw = res.raw_output_contents[i];
  if (!meta || !raw) throw new HopError('inference', 'INTERNAL', Code.INTERNAL, `the answer has no raw output '${output}'`);
  const bytes = new Uint8Array(raw.byteLength);
  bytes.set(raw);
  let flat: ArrayLike<number>;
  switch (meta.datatype) {
    case 'FP32':
      flat = new Float32Array(bytes.buffer);
      break;
    case 'FP64':
      flat = new Float64Array(bytes.buffer);
      break;
    case 'INT32':
      flat = new Int32Array(bytes.buffer);
      break;
    case 'INT64':
      flat = Array.from(new BigInt64Array(bytes.buffer), Number);
      break;
    case 'FP16':
      flat = Array.from(new Uint16Array(bytes.buffer), halfToFloat);
      break;
    default:
      throw new HopError('inference', 'INTERNAL', Code.INTERNAL, `output '${output}' is ${meta.datatype}, not a number type`);
  }
  const shape = meta.shape.map(Number).slice(1);
  const width = rows === 0 ? 0 : flat.length / rows;
  if (!Number.isInteger(width)) throw new HopError('inference', 'INTERNAL', Code.INTERNAL, `output '${output}' has ${flat.length} values for ${rows} rows`);
  const out: Float64Array[] = [];
  for (let r = 0; r < rows; r++) out.push(Float64Array.from({ length: width }, (_, k) => flat[r * width + k] as number));
  return { rows: out, shape };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Times a hop and counts its failure. */
async function timed<T>(m: GatewayMetrics, hop: Hop, p: () => Promise<T>): Promise<T> {
  const end = m.hopSeconds.startTimer({ hop });
  try {
    return await p();
  } catch (e: unknown) {
    if (e instanceof HopError) m.hopFailures.inc({ hop, code: e.hopCode });
    throw e;
  } finally {
    end();
  }
}

/** Reads every feature group for the rows that are still valid, and joins the values in. */
async function readFeatures(b: Binding, states: RowState[], input: PredictInput, budget: RequestBudget, d: PredictDeps): Promise<void> {
  await Promise.all(
    b.groups.map(async (g, gi) => {
      const ids = [...new Set(states.filter((s) => s.errors.length === 0).map((s) => s.entities[gi] as string))];
      if (ids.length === 0) return;
      const res = await timed(d.metrics, 'features', () =>
        callHop('features', budget, b.spec.timeoutsMs.features, d.backends.address('features'), (o) =>
          d.backends.features.getOnlineFeatures({ features: { refs: [...g.refs] }, entity_ids: ids, as_of_ms: input.asOfMs }, o),
        ),
      );
      const at = new Map(res.entity_ids.map((id, k) => [id, k]));
      for (const [i, s] of states.entries()) {
        if (s.errors.length > 0) continue;
        const k = at.get(s.entities[gi] as string);
        for (let f = 0; f < g.refs.length; f++) {
          const col = res.columns[f];
          const status = (k === undefined || !col ? 'NOT_FOUND' : (col.statuses[k] ?? 'NOT_FOUND'));
          joinFeature(b, s, i, gi, f, status, k === undefined ? undefined : col?.values[k]);
        }
      }
    }),
  );
}

/** The version the cache may serve for this binding now, asking inference when the view is stale; undefined: bypass. */
async function cacheVersion(b: Binding, budget: RequestBudget, d: PredictDeps): Promise<string | undefined> {
  const model = b.model.name;
  let current = d.serving.fresh(model);
  if (current === undefined) {
    const meta = await timed(d.metrics, 'inference', () =>
      callHop('inference', budget, b.spec.timeoutsMs.inference, d.backends.address('inference'), (o) => d.backends.inference.modelMetadata({ name: model, version: '' }, o)),
    );
    d.serving.fromMetadata(model, meta.versions);
    current = d.serving.fresh(model);
  }
  if (b.model.version === '') return current;
  return d.serving.versions(model).includes(b.model.version) ? b.model.version : undefined;
}

/**
 * ModelInfer for some rows of the tensor (each `width` floats); parameters carry the log fields
 * and, when features were read, the time they were read as of (`featuresAsOfMs`).
 */
async function infer(b: Binding, rows: readonly Uint8Array[], inputRows: readonly number[], req: PredictInput, featuresAsOfMs: number | undefined, budget: RequestBudget, d: PredictDeps): Promise<{ version: string; rows: Float64Array[]; shape: number[] }> {
  const width = b.pipeline.featureNames.length;
  const parameters: Record<string, InferParameter> = {
    mlmesh_deployment: { string_param: `${b.spec.name}@${b.spec.version}` },
    mlmesh_rows: { string_param: JSON.stringify(inputRows) },
  };
  // The retrainer asks the feature store for the rows as of this time (point in time).
  if (featuresAsOfMs !== undefined) parameters['mlmesh_as_of_ms'] = { string_param: String(featuresAsOfMs) };
  for (const name of b.spec.logParameters) {
    const values = inputRows.map((i) => {
      const v = req.rows[i]?.fields[name];
      return v === undefined || v.kind === undefined || v.kind === 'null_value' ? null : String(v[v.kind]);
    });
    parameters[name] = { string_param: JSON.stringify(values) };
  }
  const res = await timed(d.metrics, 'inference', () =>
    callHop('inference', budget, b.spec.timeoutsMs.inference, d.backends.address('inference'), (o) =>
      d.backends.inference.modelInfer(
        {
          model_name: b.model.name,
          model_version: b.model.version,
          id: budget.requestId,
          inputs: [{ name: b.model.input, datatype: 'FP32', shape: [rows.length, width] }],
          outputs: [{ name: b.model.output }],
          raw_input_contents: [Buffer.concat(rows)],
          parameters,
        },
        o,
      ),
    ),
  );
  d.serving.fromAnswer(b.model.name, res.model_version);
  return { version: res.model_version, ...outputRows(res, b.model.output, rows.length) };
}

/**
 * Runs one Predict on a binding.
 * @throws InvalidArgumentError for no rows; HopError naming the hop that failed.
 */
export async function predict(b: Binding, req: PredictInput, budget: RequestBudget, d: PredictDeps): Promise<PredictResponse> {
  if (req.rows.length === 0) throw new InvalidArgumentError('rows: at least one row is required', { field: 'rows' });
  const states = req.rows.map((r, i) => readRow(b, r, i));
  // The time the features are read as of: the request's as_of, else now (taken before the read).
  const featuresAsOfMs = b.groups.length > 0 ? (req.asOfMs > 0 ? req.asOfMs : Date.now()) : undefined;
  if (b.groups.length > 0) await readFeatures(b, states, req, budget, d);

  // Preprocess the rows still valid.
  const recordOf: number[] = [];
  for (const [i, s] of states.entries()) if (s.errors.length === 0) recordOf.push(i);
  const tensorRows: Uint8Array[] = [];
  const tensorInput: number[] = [];
  let pipelineSha = b.pipeline.sha256;
  if (recordOf.length > 0) {
    const t = await timed(d.metrics, 'preprocess', () =>
      callHop('preprocess', budget, b.spec.timeoutsMs.preprocess, d.backends.address('preprocess'), (o) =>
        d.backends.preprocess.transform({ pipeline: { sha256: b.pipeline.sha256 }, records: recordOf.map((i) => ({ fields: (states[i] as RowState).record })), mode: 'LENIENT' }, o),
      ),
    );
    pipelineSha = t.sha256;
    for (const e of t.errors) {
      const i = recordOf[e.row];
      if (i !== undefined) (states[i] as RowState).errors.push(mapPipelineError(b, states[i] as RowState, i, e));
    }
    const width = Number(t.shape[1] ?? 0);
    const bytes = t.tensor;
    for (const [r, rec] of t.row_index.entries()) {
      const i = recordOf[rec];
      if (i === undefined || (states[i] as RowState).errors.length > 0) continue;
      tensorRows.push(bytes.subarray(r * width * 4, (r + 1) * width * 4));
      tensorInput.push(i);
    }
  }

  // Cache, then inference for the rest.
  const answers = new Map<number, { values: Float64Array; version: string; cached: boolean }>();
  let shape = b.model.outputShape.slice();
  let servedVersion = '';
  if (tensorRows.length > 0) {
    const useCache = b.spec.cache.enabled && d.cache.enabled;
    const keyVersion = useCache ? await cacheVersion(b, budget, d) : undefined;
    const keys: (string | undefined)[] = tensorRows.map((row) => (keyVersion === undefined ? undefined : ResponseCache.key(b.model.name, keyVersion, row)));
    let misses: number[] = [];
    for (const [k, key] of keys.entries()) {
      const hit = key === undefined ? undefined : d.cache.get(key);
      if (hit) answers.set(tensorInput[k] as number, { values: hit.values, version: hit.version, cached: true });
      else misses.push(k);
    }
    if (misses.length > 0) {
      let out = await infer(b, misses.map((k) => tensorRows[k] as Uint8Array), misses.map((k) => tensorInput[k] as number), req, featuresAsOfMs, budget, d);
      // The answer came from another version than the one the hits were keyed by: the serving
      // version changed under us, so the hits are of a version that no longer serves. Ask again for all.
      if (answers.size > 0 && out.version !== keyVersion) {
        answers.clear();
        misses = tensorRows.map((_, k) => k);
        out = await infer(b, tensorRows, tensorInput, req, featuresAsOfMs, budget, d);
      }
      shape = out.shape;
      servedVersion = out.version;
      for (const [j, k] of misses.entries()) {
        const values = out.rows[j] as Float64Array;
        answers.set(tensorInput[k] as number, { values, version: out.version, cached: false });
        const key = useCache ? ResponseCache.key(b.model.name, out.version, tensorRows[k] as Uint8Array) : undefined;
        if (key !== undefined) d.cache.set(key, { values, version: out.version }, b.spec.cache.ttlMs);
      }
    } else servedVersion = keyVersion ?? '';
  }

  const name = b.spec.name;
  const results: RowResult[] = states.map((s, i) => {
    const a = answers.get(i);
    if (s.errors.length > 0 || !a) {
      for (const e of s.errors) d.metrics.rowErrors.inc({ deployment: name, code: e.code });
      return { row: i, errors: s.errors, cached: false, model_version: '' };
    }
    return { row: i, prediction: postprocess(b.spec.output, a.values, shape), errors: [], cached: a.cached, model_version: a.version };
  });
  const predicted = results.filter((r) => r.prediction).length;
  const cached = results.filter((r) => r.cached).length;
  if (predicted > 0) d.metrics.rows.inc({ deployment: name, outcome: 'predicted' }, predicted);
  if (cached > 0) d.metrics.rows.inc({ deployment: name, outcome: 'cached' }, cached);
  if (results.length > predicted) d.metrics.rows.inc({ deployment: name, outcome: 'error' }, results.length - predicted);
  return {
    rows: results,
    deployment: name,
    deployment_version: b.spec.version,
    deployment_sha256: b.spec.sha256,
    model_name: b.model.name,
    model_version: servedVersion,
    pipeline: `${b.pipeline.name}@${b.pipeline.version}`,
    pipeline_sha256: pipelineSha,
    feature_versions: [...b.featureVersions],
    request_id: budget.requestId,
    api_version: API_VERSION,
    predicted_rows: predicted,
    error_rows: results.length - predicted,
    cached_rows: cached,
  };
}
