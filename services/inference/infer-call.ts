import { abortReason, toGrpcStatus } from '../../shared/grpc/index.js';
import type { CallContext } from '../../shared/grpc/index.js';
import { Code, DeadlineExceededError } from '../../shared/errors/index.js';
import type { ModelInferRequest__Output } from '../../shared/generated/inference/ModelInferRequest.js';
import type { ModelInferResponse } from '../../shared/generated/inference/ModelInferResponse.js';
import type { InferenceMetrics, FailureReason } from './metrics.js';
import type { ModelManager } from './model-manager.js';
import type { ModelRepository } from './repository.js';
import { decodeInferRequest, encodeInferResponse } from './request.js';
import type { Prediction, PredictionLogger } from './prediction-log.js';
import type { RouteTable, Routed } from './route-table.js';
import type { ShadowRunner } from './shadow.js';
import { submitSplit } from './split.js';

/** Response parameter: Route.revision of the route that chose the version (int64; only when routed). */
export const ROUTE_REVISION_PARAMETER = 'mlmesh_route_revision';
/** Response parameter: how the route chose the version, `weights` or `sticky` (only when routed). */
export const ROUTE_KIND_PARAMETER = 'mlmesh_route';

/** What the handlers need from the service. */
export interface HandlerDeps {
  serverName: string;
  serverVersion: string;
  manager: ModelManager;
  repo: ModelRepository;
  metrics: InferenceMetrics;
  /** True while the server is up and its startup models are loaded. */
  ready: () => boolean;
  /** Called after every load or unload (success or not), so health can follow. */
  onRepositoryChange: () => void;
  /** Largest request, in multiples of a model's max_batch_size (option maxRequestBatches); a larger one than max_batch_size is split. */
  maxRequestBatches: number;
  /** Prediction log (NATS), when configured. */
  predictionLog?: PredictionLogger;
  /** The routes in force (NATS KV mlmesh_routes), when routing is on. */
  routes?: RouteTable;
  /** Runs the shadow copies of routed requests, when routing is on. */
  shadows?: ShadowRunner;
}

function failureReason(e: unknown): FailureReason {
  switch (toGrpcStatus(e).code as number) {
    case Code.RESOURCE_EXHAUSTED:
      return 'rejected';
    case Code.CANCELLED:
      return 'cancelled';
    case Code.DEADLINE_EXCEEDED:
      return 'deadline';
    case Code.INVALID_ARGUMENT:
      return 'invalid';
    case Code.UNAVAILABLE:
      return 'unavailable';
    default:
      return 'internal';
  }
}


/**
 * One inference, as ModelInfer (unary), each request of ModelStreamInfer and the HTTP infer run
 * it: routing or version resolution, validation, the batcher (split over max_batch_size), the
 * prediction log, shadows, the metrics and Triton's statistics of the version.
 * @throws NotFoundError (unknown model or version), InvalidArgumentError (naming the field),
 *   RESOURCE_EXHAUSTED, UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED as the service's errors.
 */
export async function inferCall(d: HandlerDeps, req: ModelInferRequest__Output, ctx: CallContext): Promise<ModelInferResponse> {
  const t0 = process.hrtime.bigint();
  const p0 = performance.now();
  // Resolved outside the try: failures are counted per served model only, so unknown names
  // sent by clients cannot grow the metric's label set without bound.
  // No version named: the model's route chooses it, if it has one in force.
  const routed: Routed | undefined = req.model_version === '' && d.routes ? d.routes.choose(req.model_name, req.parameters, ctx.requestId) : undefined;
  const mv = routed ? routed.mv : d.manager.resolve(req.model_name, req.model_version);
  ctx.bind({ model: mv.model, version: mv.version });
  const m = d.metrics.forVersion(mv.model, mv.version);
  try {
    const max = mv.config.maxBatchSize;
    const p1 = performance.now();
    const decoded = decodeInferRequest(req, mv.signature, max, max * d.maxRequestBatches);
    const p2 = performance.now();
    // Over max_batch_size rows: chunks through the batcher, outputs joined (one answer, one log).
    const result = await submitSplit((job) => mv.infer(job), { inputs: decoded.inputs, rows: decoded.rows, key: decoded.key, outputs: decoded.outputs, signal: ctx.cancel }, max);
    // A run cannot be interrupted: when the deadline passed (or the client went) while it ran,
    // the caller gets DEADLINE_EXCEEDED (CANCELLED), so it is a failure and is not logged.
    if (ctx.cancel.aborted) throw abortReason(ctx.cancel);
    if (Date.now() >= ctx.deadlineMs) throw new DeadlineExceededError('deadline exceeded while the model ran');
    const id = req.id || ctx.requestId;
    const p3 = performance.now();
    const response = encodeInferResponse(decoded, mv.model, mv.version, id, result.outputs);
    const p4 = performance.now();
    if (routed) response.parameters = { [ROUTE_REVISION_PARAMETER]: { int64_param: routed.revision }, [ROUTE_KIND_PARAMETER]: { string_param: routed.kind } };
    const elapsedNs = Number(process.hrtime.bigint() - t0);
    const log = d.predictionLog;
    if (log) {
      const prediction: Prediction = {
        // The validated id (the v2 `id` is free text); the log's own event id is made by the logger.
        requestId: ctx.requestId,
        model: mv.model,
        version: mv.version,
        config: mv.config,
        latencyUs: elapsedNs / 1e3,
        timeMs: Date.now(),
        inputs: decoded.inputs,
        outputs: result.outputs.filter((o) => decoded.outputs.includes(o.name)),
        parameters: req.parameters,
        ...(routed ? { route: routed.kind, routeRevision: routed.revision } : {}),
      };
      // publishDurability=spool: no answer before its log is fsynced in the spool (a log that
      // cannot be made durable fails the call: RESOURCE_EXHAUSTED or UNAVAILABLE).
      // Otherwise encoded and published once the answer is out: the log never delays it.
      if (log.durable) await log.recordDurably(prediction);
      else ctx.afterAnswer(() => log.record(prediction));
    }
    m.success.inc();
    m.duration.observe(Number(process.hrtime.bigint() - t0) / 1e9);
    const done = performance.now();
    m.stats.success(decoded.rows, (done - p0) * 1e6, result.queueNs, (p2 - p1) * 1e6, result.computeNs, (p4 - p3) * 1e6, Date.now());
    const shadows = d.shadows;
    if (routed && shadows && routed.shadows.length > 0) {
      // Started once the answer is out, bounded by the runner: never delays or fails this call.
      ctx.afterAnswer(() => {
        for (const version of routed.shadows) shadows.submit({ model: mv.model, version, request: req, requestId: ctx.requestId, routeRevision: routed.revision });
      });
    }
    if (ctx.debug) ctx.log.debug({ rows: decoded.rows, batchRows: result.batchRows, queueUs: Math.round(result.queueNs / 1e3), computeUs: Math.round(result.computeNs / 1e3) }, 'inferred');
    return response;
  } catch (e: unknown) {
    m.failure(failureReason(e)).inc();
    m.stats.failure((performance.now() - p0) * 1e6);
    throw e;
  }
}
