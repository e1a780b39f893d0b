import type { Datatype } from '../../shared/tensors/index.js';
import { ModelLoadError } from './errors.js';
import type { ModelConfig, TensorConfig } from './model-config.js';
import type { TensorMeta } from './worker-protocol.js';

/** A served tensor: full shape, batch dimension first (-1) when the model batches. */
export interface SignatureTensor {
  name: string;
  datatype: Datatype;
  /** -1 for a variable dimension. */
  shape: number[];
}

/** What a model version accepts and returns. */
export interface ModelSignature {
  inputs: SignatureTensor[];
  /** The outputs served: all of the ONNX file's, or those the config lists. */
  outputs: SignatureTensor[];
  /** Input name → position in `inputs`. */
  inputIndex: ReadonlyMap<string, number>;
  /** Names of `outputs`, in order. */
  outputNames: readonly string[];
}

function reconcile(
  where: string,
  kind: 'input' | 'output',
  onnx: readonly TensorMeta[],
  declared: readonly TensorConfig[],
  maxBatchSize: number,
): SignatureTensor[] {
  const byName = new Map(declared.map((d) => [d.name, d]));
  if (declared.length > 0) {
    for (const d of declared) {
      if (!onnx.some((m) => m.name === d.name)) {
        throw new ModelLoadError(`${where}: config declares ${kind} '${d.name}', but the ONNX model's ${kind}s are ${onnx.map((m) => m.name).join(', ')}`);
      }
    }
  }
  // Every ONNX input must be fed, so a config that lists inputs must list them all; a config
  // that lists outputs may list a subset (Triton's rule): only those are served.
  const served = kind === 'output' && declared.length > 0 ? onnx.filter((m) => byName.has(m.name)) : onnx;
  return served.map((m) => {
    if (!m.datatype) throw new ModelLoadError(`${where}: ${kind} '${m.name}' ${unservable(kind, m)}`);
    const d = byName.get(m.name);
    if (declared.length > 0 && !d) throw new ModelLoadError(`${where}: ONNX ${kind} '${m.name}' is not declared in the config`);
    if (d && d.datatype !== m.datatype) {
      throw new ModelLoadError(`${where}: ${kind} '${m.name}' is ${d.datatype} in the config but ${m.datatype} in the ONNX model`);
    }
    let shape = [...m.shape];
    if (maxBatchSize > 0) {
      if (shape.length === 0 || shape[0] !== -1) {
        throw new ModelLoadError(`${where}: max_batch_size is ${maxBatchSize} but ${kind} '${m.name}' has no dynamic first (batch) dimension: [${m.shape.join(', ')}]`);
      }
    }
    if (d) {
      const full = maxBatchSize > 0 ? [-1, ...d.dims] : d.dims;
      if (full.length !== shape.length) {
        throw new ModelLoadError(`${where}: ${kind} '${m.name}' has dims [${d.dims.join(', ')}] in the config but shape [${m.shape.join(', ')}] in the ONNX model${maxBatchSize > 0 ? ' (config dims exclude the batch dimension)' : ''}`);
      }
      shape = shape.map((onnxDim, i) => {
        const cfgDim = full[i] ?? -1;
        if (cfgDim !== -1 && onnxDim !== -1 && cfgDim !== onnxDim) {
          throw new ModelLoadError(`${where}: ${kind} '${m.name}' dimension ${i} is ${cfgDim} in the config but ${onnxDim} in the ONNX model`);
        }
        return onnxDim === -1 ? cfgDim : onnxDim;
      });
    }
    return { name: m.name, datatype: m.datatype, shape };
  });
}

/**
 * Why a tensor of the ONNX file cannot be served, with what to do about it (the rest of a
 * sentence that starts with the tensor's name).
 */
export function unservable(kind: 'input' | 'output', m: TensorMeta): string {
  if (m.ortType === 'string') return 'is a string tensor: BYTES is not served (only numeric and BOOL tensors)';
  if (m.ortType === 'non-tensor') {
    const hint =
      kind === 'output'
        ? ` A scikit-learn classifier exported by skl2onnx returns its probabilities as a ZipMap (sequence of maps): export it with options={'zipmap': False} to get them as an FP32 tensor, or list only the tensor outputs in config.json "output" (e.g. the label).`
        : '';
    return `is not a tensor (a sequence or map): mlmesh serves tensors only.${hint}`;
  }
  return `has type ${m.ortType}, which mlmesh does not serve`;
}

/**
 * The signature a version serves: the ONNX file's inputs and outputs, checked against (and
 * narrowed by) those the config declares.
 * @throws ModelLoadError on any disagreement, naming the tensor.
 */
export function buildSignature(where: string, config: ModelConfig, inputs: readonly TensorMeta[], outputs: readonly TensorMeta[]): ModelSignature {
  const ins = reconcile(where, 'input', inputs, config.inputs, config.maxBatchSize);
  const outs = reconcile(where, 'output', outputs, config.outputs, config.maxBatchSize);
  return {
    inputs: ins,
    outputs: outs,
    inputIndex: new Map(ins.map((t, i) => [t.name, i])),
    outputNames: outs.map((o) => o.name),
  };
}
