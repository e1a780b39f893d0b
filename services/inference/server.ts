import type { CallContext } from '../../shared/grpc/index.js';
import type { GRPCInferenceServiceHandlers } from '../../shared/generated/inference/GRPCInferenceService.js';
import type { PromiseHandlers } from '../../shared/host/index.js';
import { InvalidArgumentError, clip } from '../../shared/errors/index.js';
import type { ModelConfigRequest__Output } from '../../shared/generated/inference/ModelConfigRequest.js';
import type { ModelConfigResponse } from '../../shared/generated/inference/ModelConfigResponse.js';
import type { ModelInferRequest__Output } from '../../shared/generated/inference/ModelInferRequest.js';
import type { ModelMetadataResponse } from '../../shared/generated/inference/ModelMetadataResponse.js';
import type { ModelReadyRequest__Output } from '../../shared/generated/inference/ModelReadyRequest.js';
import type { ModelMetadataRequest__Output } from '../../shared/generated/inference/ModelMetadataRequest.js';
import type { ModelStatisticsRequest__Output } from '../../shared/generated/inference/ModelStatisticsRequest.js';
import type { ModelStatisticsResponse } from '../../shared/generated/inference/ModelStatisticsResponse.js';
import type { RepositoryIndexRequest__Output } from '../../shared/generated/inference/RepositoryIndexRequest.js';
import type { RepositoryIndexResponse } from '../../shared/generated/inference/RepositoryIndexResponse.js';
import type { RepositoryModelLoadRequest__Output } from '../../shared/generated/inference/RepositoryModelLoadRequest.js';
import type { RepositoryModelUnloadRequest__Output } from '../../shared/generated/inference/RepositoryModelUnloadRequest.js';
import type { ModelRepositoryParameter__Output } from '../../shared/generated/inference/ModelRepositoryParameter.js';
import { inferCall } from './infer-call.js';
import type { HandlerDeps } from './infer-call.js';
import { tritonModelConfig } from './model-config-message.js';
import { modelStatistics } from './statistics.js';
import { streamInfer } from './stream-infer.js';

export { ROUTE_KIND_PARAMETER, ROUTE_REVISION_PARAMETER } from './infer-call.js';
export type { HandlerDeps } from './infer-call.js';

/**
 * Extensions of the Open Inference Protocol (and Triton's) this server implements
 * (ServerMetadata): `model_configuration` is the ModelConfig RPC, `statistics` ModelStatistics.
 */
export const EXTENSIONS = ['model_repository', 'binary_tensor_data', 'model_configuration', 'statistics'] as const;

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
    ModelInfer: (req: ModelInferRequest__Output, ctx: CallContext) => inferCall(d, req, ctx),
    ModelStreamInfer: (requests, ctx, send) => streamInfer(d, requests, ctx, send),
    ModelConfig: async (req: ModelConfigRequest__Output): Promise<ModelConfigResponse> => {
      if (req.name === '') throw new InvalidArgumentError('name is required', { field: 'name' });
      return { config: tritonModelConfig(d.manager.resolve(req.name, req.version)) };
    },
    ModelStatistics: async (req: ModelStatisticsRequest__Output): Promise<ModelStatisticsResponse> => ({ model_stats: modelStatistics(d.manager, d.metrics.statistics, req.name, req.version) }),
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
