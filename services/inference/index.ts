/**
 * The inference service: Open Inference Protocol (KServe v2) over gRPC, dynamic batching,
 * onnxruntime sessions in worker threads, a Triton-layout model repository with SHA-256
 * manifests. `main.ts` runs it as a process.
 */
export { InferenceService, INFERENCE_SERVICE } from './service.js';
export type { InferenceServiceOptions, InferenceServiceState } from './service.js';
export { INFERENCE_OPTIONS, resolveInferenceConfig } from './config.js';
export type { InferenceConfig } from './config.js';
export { EXTENSIONS } from './server.js';
export { BINARY_OUTPUT_PARAMETER } from './request.js';
export { ModelLoadError, TextFormatError } from './errors.js';
export { parseModelConfig, selectVersions } from './model-config.js';
export type { ModelConfig, VersionPolicy, TensorConfig } from './model-config.js';
export { parseTextFormat } from './text-format.js';
export type { TextMessage, TextField, TextScalar, TextPosition } from './text-format.js';
export { readTritonConfig, TRITON_IGNORED_FIELDS, MODEL_CONFIG_PROTO } from './triton-config.js';
export type { TritonConfig } from './triton-config.js';
export { ModelRepository } from './repository.js';
export { buildSignature, unservable } from './signature.js';
export type { ModelSignature, SignatureTensor } from './signature.js';
export type { TensorMeta } from './worker-protocol.js';
export { completeModelConfig, DEFAULT_MODEL_CONFIG } from './model-config.js';
export type { ModelConfigSource } from './repository.js';
export { verifyManifest, buildManifest, sha256File, MANIFEST_FORMAT } from './manifest.js';
export type { Manifest, Provenance } from './manifest.js';
export { InstancePool } from './worker-pool.js';
export type { RunResult } from './worker-pool.js';
export { DynamicBatcher } from './batcher.js';
export type { InferJob, JobResult, DecodedInput } from './batcher.js';
export { InferenceClient } from './client.js';
export type { CallOptions } from './client.js';
