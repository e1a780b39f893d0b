import type { ModelConfigRequest } from '../generated/inference/ModelConfigRequest.js';
import type { ModelConfigResponse__Output } from '../generated/inference/ModelConfigResponse.js';
import type { ModelInferRequest } from '../generated/inference/ModelInferRequest.js';
import type { ModelInferResponse__Output } from '../generated/inference/ModelInferResponse.js';
import type { ModelMetadataRequest } from '../generated/inference/ModelMetadataRequest.js';
import type { ModelMetadataResponse__Output } from '../generated/inference/ModelMetadataResponse.js';
import type { ModelStatisticsRequest } from '../generated/inference/ModelStatisticsRequest.js';
import type { ModelStatisticsResponse__Output } from '../generated/inference/ModelStatisticsResponse.js';
import type { ModelStreamInferResponse__Output } from '../generated/inference/ModelStreamInferResponse.js';
import type { ModelReadyRequest } from '../generated/inference/ModelReadyRequest.js';
import type { ModelReadyResponse__Output } from '../generated/inference/ModelReadyResponse.js';
import type { RepositoryIndexRequest } from '../generated/inference/RepositoryIndexRequest.js';
import type { RepositoryIndexResponse__Output } from '../generated/inference/RepositoryIndexResponse.js';
import type { RepositoryModelLoadRequest } from '../generated/inference/RepositoryModelLoadRequest.js';
import type { RepositoryModelLoadResponse__Output } from '../generated/inference/RepositoryModelLoadResponse.js';
import type { RepositoryModelUnloadRequest } from '../generated/inference/RepositoryModelUnloadRequest.js';
import type { RepositoryModelUnloadResponse__Output } from '../generated/inference/RepositoryModelUnloadResponse.js';
import type { ServerLiveResponse__Output } from '../generated/inference/ServerLiveResponse.js';
import type { ServerMetadataResponse__Output } from '../generated/inference/ServerMetadataResponse.js';
import type { ServerReadyResponse__Output } from '../generated/inference/ServerReadyResponse.js';
import type { DuplexCall } from './call.js';
import { SERVICES } from './methods.js';
import type { CallOptions, ClientOptions } from './options.js';
import { ServiceClient } from './service-client.js';
import { InferResult, buildInferRequest } from './tensors.js';
import type { InferInput, InferRequestOptions } from './tensors.js';

/** Options of {@link InferenceClient.infer}: the request's and the call's. */
export type InferOptions = InferRequestOptions & CallOptions;

/**
 * A client of the inference service (`inference.GRPCInferenceService`, the Open Inference
 * Protocol v2 with Triton's model-repository extension): one method per RPC, taking the request
 * message and returning the response message, plus {@link infer} with typed-array tensors.
 *
 * ```ts
 * const client = new InferenceClient('127.0.0.1:8001');
 * const result = await client.infer('digits_mlp', [InferInput.from('input', pixels, [1, 64])]);
 * const logits = result.asArray<Float32Array>('logits');
 * ```
 */
export class InferenceClient extends ServiceClient {
  /** @throws TypeError when an option is out of range. */
  constructor(address: string, options?: ClientOptions) {
    super(SERVICES.inference, address, options);
  }

  /** ServerLive: is the server up. */
  serverLive(opts?: CallOptions): Promise<ServerLiveResponse__Output> {
    return this.unary('ServerLive', {}, opts);
  }
  /** ServerReady: has it loaded its startup models. */
  serverReady(opts?: CallOptions): Promise<ServerReadyResponse__Output> {
    return this.unary('ServerReady', {}, opts);
  }
  /** ModelReady: can `name` (at `version`, '' = the policy's) serve now. */
  modelReady(request: ModelReadyRequest, opts?: CallOptions): Promise<ModelReadyResponse__Output> {
    return this.unary('ModelReady', request, opts);
  }
  /** ServerMetadata: name, version and protocol extensions. */
  serverMetadata(opts?: CallOptions): Promise<ServerMetadataResponse__Output> {
    return this.unary('ServerMetadata', {}, opts);
  }
  /** ModelMetadata: versions, platform, input and output tensors. */
  modelMetadata(request: ModelMetadataRequest, opts?: CallOptions): Promise<ModelMetadataResponse__Output> {
    return this.unary('ModelMetadata', request, opts);
  }
  /**
   * ModelInfer with a request message as built by hand (or by {@link buildInferRequest}).
   * Its `id`, when set, is the request id sent as `x-request-id`. Retried on UNAVAILABLE.
   */
  modelInfer(request: ModelInferRequest, opts?: CallOptions): Promise<ModelInferResponse__Output> {
    return this.unary('ModelInfer', request, opts, request.id || undefined);
  }
  /**
   * ModelStreamInfer (Triton): one bidirectional stream of ModelInfer requests. `write` each
   * request, iterate the answers (in completion order: match them by `infer_response.id`); a
   * failed request comes as an answer with `error_message`, the stream goes on. `end()` when done:
   * the loop ends after the last answer. Not retried.
   */
  modelStreamInfer(opts?: CallOptions): DuplexCall<ModelInferRequest, ModelStreamInferResponse__Output> {
    return this.duplex('ModelStreamInfer', opts);
  }
  /** ModelConfig (Triton): the configuration a served version runs with, as Triton's ModelConfig. */
  modelConfig(request: ModelConfigRequest, opts?: CallOptions): Promise<ModelConfigResponse__Output> {
    return this.unary('ModelConfig', request, opts);
  }
  /** ModelStatistics (Triton): cumulative statistics per served version (`name` empty: every model). */
  modelStatistics(request: ModelStatisticsRequest = {}, opts?: CallOptions): Promise<ModelStatisticsResponse__Output> {
    return this.unary('ModelStatistics', request, opts);
  }
  /** RepositoryIndex: the repository's models and their state (`ready: true`: only the ready ones). */
  repositoryIndex(request: RepositoryIndexRequest = {}, opts?: CallOptions): Promise<RepositoryIndexResponse__Output> {
    return this.unary('RepositoryIndex', request, opts);
  }
  /** RepositoryModelLoad: loads or reloads a model (`parameters.config`: its config as JSON). Long-running; not retried. */
  repositoryModelLoad(request: RepositoryModelLoadRequest, opts?: CallOptions): Promise<RepositoryModelLoadResponse__Output> {
    return this.unary('RepositoryModelLoad', request, opts);
  }
  /** RepositoryModelUnload: unloads a model after its in-flight requests. Long-running; not retried. */
  repositoryModelUnload(request: RepositoryModelUnloadRequest, opts?: CallOptions): Promise<RepositoryModelUnloadResponse__Output> {
    return this.unary('RepositoryModelUnload', request, opts);
  }

  /**
   * Runs `model` on typed-array inputs, as tritonclient's `infer(model_name, inputs, …)`: the
   * inputs travel as raw bytes, the outputs come back as typed arrays (`result.asArray(name)`).
   * @throws TypeError before sending when an input has no data or a name twice; the call's
   *   {@link RpcError} (e.g. InvalidArgumentError with `field` = the tensor) when the server refuses it.
   */
  async infer(model: string, inputs: readonly InferInput[], opts: InferOptions = {}): Promise<InferResult> {
    const { version, outputs, id, parameters, ...call } = opts;
    const request = buildInferRequest(model, inputs, {
      ...(version !== undefined ? { version } : {}),
      ...(outputs !== undefined ? { outputs } : {}),
      ...(id !== undefined ? { id } : {}),
      ...(parameters !== undefined ? { parameters } : {}),
    });
    return new InferResult(await this.modelInfer(request, call));
  }
}
