/**
 * A served version's configuration as Triton's `inference.ModelConfig` message (the ModelConfig
 * RPC, GET /v2/models/{m}/config): what the version actually runs with, i.e. its config.json or
 * config.pbtxt after validation and auto-completion (max_batch_size chosen from the ONNX file,
 * inputs and outputs taken from it when the config leaves them out).
 */
import type { DataType } from '../../shared/generated/inference/DataType.js';
import type { ModelConfig as ModelConfigMessage } from '../../shared/generated/inference/ModelConfig.js';
import type { ModelVersionPolicy } from '../../shared/generated/inference/ModelVersionPolicy.js';
import type { VersionPolicy } from './model-config.js';
import type { ModelVersion } from './model-version.js';
import type { SignatureTensor } from './signature.js';

/** Execution providers that run on a GPU (instance_group kind KIND_GPU). */
const GPU_PROVIDERS: ReadonlySet<string> = new Set(['cuda', 'tensorrt', 'dml', 'rocm', 'migraphx']);

function versionPolicy(p: VersionPolicy): ModelVersionPolicy {
  switch (p.kind) {
    case 'latest':
      return { latest: { num_versions: p.numVersions } };
    case 'all':
      return { all: {} };
    case 'specific':
      return { specific: { versions: p.versions } };
  }
}

/** A served tensor as ModelInput/ModelOutput fields: dims without the batch dimension when the model batches. */
function tensor(t: SignatureTensor, batching: boolean): { name: string; data_type: DataType; dims: number[] } {
  return { name: t.name, data_type: `TYPE_${t.datatype}` satisfies DataType, dims: batching ? t.shape.slice(1) : [...t.shape] };
}

/** Triton's ModelConfig of a served version. */
export function tritonModelConfig(mv: ModelVersion): ModelConfigMessage {
  const c = mv.config;
  const batching = c.maxBatchSize > 0;
  const db = c.dynamicBatching;
  const gpu = c.executionProviders.some((p) => GPU_PROVIDERS.has(p));
  return {
    name: mv.model,
    platform: c.platform,
    backend: 'onnxruntime',
    version_policy: versionPolicy(c.versionPolicy),
    max_batch_size: c.maxBatchSize,
    input: mv.signature.inputs.map((t) => tensor(t, batching)),
    output: mv.signature.outputs.map((t) => tensor(t, batching)),
    // mlmesh batches every batching model dynamically (Triton needs the block to; here it only sets the knobs).
    ...(batching
      ? {
          dynamic_batching: {
            preferred_batch_size: db.preferredBatchSizes,
            max_queue_delay_microseconds: db.maxQueueDelayUs,
            default_queue_policy: { timeout_action: 'REJECT', default_timeout_microseconds: db.defaultQueueTimeoutUs, allow_timeout_override: false, max_queue_size: db.maxQueueSize },
          },
        }
      : {}),
    instance_group: [{ name: mv.model, kind: gpu ? 'KIND_GPU' : 'KIND_CPU', count: c.instanceCount, gpus: [] }],
    default_model_filename: 'model.onnx',
  };
}
