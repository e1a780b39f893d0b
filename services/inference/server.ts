import { toGrpcStatus } from '../../shared/grpc/index.js';
import type { CallContext } from '../../shared/grpc/index.js';
import type { GRPCInferenceServiceHandlers } from '../../shared/generated/inference/GRPCInferenceService.js';
import type { PromiseHandlers } from '../../shared/host/index.js';
import { Code, DeadlineExceededError, InvalidArgumentError, clip } from '../../shared/errors/index.js';
import type { ModelInferRequest__Output } from '../../shared/generated/inference/ModelInferRequest.js';
import type { ModelInferResponse } from '../../shared/generated/inference/ModelInferResponse.js';
import type { ModelMetadataResponse } from '../../shared/generated/inference/ModelMetadataResponse.js';
import type { ModelReadyRequest__Output } from '../../shared/generated/inference/ModelReadyRequest.js';
import type { ModelMetadataRequest__Output } from '../../shared/generated/inference/ModelMetadataRequest.js';
import type { RepositoryIndexRequest__Output } from '../../shared/generated/inference/RepositoryIndexRequest.js';
import type { RepositoryIndexResponse } from '../../shared/generated/inference/RepositoryIndexResponse.js';
import type { RepositoryModelLoadRequest__Output } from '../../shared/generated/inference/RepositoryModelLoadRequest.js';
import type { RepositoryModelUnloadRequest__Output } from '../../shared/generated/inference/RepositoryModelUnloadRequest.js';
import type { ModelRepositoryParameter__Output } from '../../shared/generated/inference/ModelRepositoryParameter.js';
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

/** Extensions of the Open Inference Protocol this server implements (ServerMetadata). */
export const EXTENSIONS = ['model_repository', 'binary_tensor_data'] as const;

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

/** Only the `config` parameter (a JSON string) is understood by load; others are refused. */
function configParameter(params: Record<string, ModelRepositoryParameter__Output>): string | undefined {
  for (const [name, p] of Object.entries(params)) {
    if (name !== 'config') throw new InvalidArgumentError(`parameters.${clip(name)} is not supported (only 'config')`, { field: `parameters.${clip(name)}` });
    if (p.parameter_choice !== 'string_param') throw new InvalidArgumentError('parameters.config must be a string holding the model config as JSON', { field: 'parameters.config' });
  }
  return params['config']?.string_param;
}

/** The handlers of `inference.GRPCInferenceService`: thin, the work is in the domain modules. */
export function inferenceHandlers(d: HandlerDeps): PromiseHandlers<GRPCInferenceServiceHandlers> {
  return {
    ServerLive: async () => ({ live: true }),
    ServerReady: async () => ({ ready: d.ready() }),
    ModelReady: async (req: ModelReadyRequest__Output) => {
      try {
        return { ready: d.manager.resolve(req.name, req.version).unavailableReason === undefined };
      } catch {
        // Not loaded or no such version: simply not ready (the protocol answers false, not an error).
        return { ready: false };
      }
    },
    ServerMetadata: async () => ({ name: d.serverName, version: d.serverVersion, extensions: [...EXTENSIONS] }),
    ModelMetadata: async (req: ModelMetadataRequest__Output): Promise<ModelMetadataResponse> => {
      const mv = d.manager.resolve(req.name, req.version);
      return {
        name: req.name,
        versions: req.version !== '' ? [mv.version] : d.manager.servedVersions(req.name).map((v) => v.version),
        platform: mv.config.platform,
        inputs: mv.signature.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
        outputs: mv.signature.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
      };
    },
    ModelInfer: async (req: ModelInferRequest__Output, ctx: CallContext): Promise<ModelInferResponse> => {
      const t0 = process.hrtime.bigint();
      // Resolved outside the try: failures are counted per served model only, so unknown names
      // sent by clients cannot grow the metric's label set without bound.
      // No version named: the model's route chooses it, if it has one in force.
      const routed: Routed | undefined = req.model_version === '' && d.routes ? d.routes.choose(req.model_name, req.parameters, ctx.requestId) : undefined;
      const mv = routed ? routed.mv : d.manager.resolve(req.model_name, req.model_version);
      ctx.bind({ model: mv.model, version: mv.version });
      const m = d.metrics.forVersion(mv.model, mv.version);
      try {
        const max = mv.config.maxBatchSize;
        const decoded = decodeInferRequest(req, mv.signature, max, max * d.maxRequestBatches);
        // Over max_batch_size rows: chunks through the batcher, outputs joined (one answer, one log).
        const result = await submitSplit((job) => mv.infer(job), { inputs: decoded.inputs, rows: decoded.rows, key: decoded.key, outputs: decoded.outputs, signal: ctx.signal }, max);
        // A run cannot be interrupted: when the deadline passed (or the client went) while it ran,
        // the caller gets DEADLINE_EXCEEDED (CANCELLED), so it is a failure and is not logged.
        if (ctx.signal.aborted) throw ctx.signal.reason;
        if (Date.now() >= ctx.deadlineMs) throw new DeadlineExceededError('deadline exceeded while the model ran');
        const id = req.id || ctx.requestId;
        const response = encodeInferResponse(decoded, mv.model, mv.version, id, result.outputs);
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
        throw e;
      }
    },
    RepositoryIndex: async (req: RepositoryIndexRequest__Output): Promise<RepositoryIndexResponse> => {
      d.repo.checkRepositoryName(req.repository_name);
      return { models: await d.manager.index(req.ready) };
    },
    RepositoryModelLoad: async (req: RepositoryModelLoadRequest__Output, ctx: CallContext) => {
      d.repo.checkRepositoryName(req.repository_name);
      if (req.model_name === '') throw new InvalidArgumentError('model_name is required', { field: 'model_name' });
      ctx.bind({ model: clip(req.model_name) });
      try {
        await d.manager.load(req.model_name, configParameter(req.parameters));
      } finally {
        d.onRepositoryChange();
      }
      return {};
    },
    RepositoryModelUnload: async (req: RepositoryModelUnloadRequest__Output, ctx: CallContext) => {
      d.repo.checkRepositoryName(req.repository_name);
      if (req.model_name === '') throw new InvalidArgumentError('model_name is required', { field: 'model_name' });
      ctx.bind({ model: clip(req.model_name) });
      try {
        await d.manager.unload(req.model_name);
      } finally {
        d.onRepositoryChange();
      }
      return {};
    },
  };
}
