/**
 * What an ONNX file declares (inputs and outputs with datatypes and shapes), read with
 * onnxruntime-node's session metadata (as the inference service's workers read it), and why a
 * file cannot be served batched, in words that say what to change in the export.
 */
import { readFile } from 'node:fs/promises';
import ort from 'onnxruntime-node';
import { unservable } from '../../services/inference/index.js';
import type { TensorMeta } from '../../services/inference/index.js';
import { datatypeFromOrt } from '../../shared/tensors/index.js';

/** An ONNX file's inputs and outputs. */
export interface OnnxModel {
  bytes: Buffer;
  inputs: TensorMeta[];
  outputs: TensorMeta[];
}

/** A file mlmesh cannot serve as it is: the message says what to change. */
export class UnservableModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnservableModelError';
  }
}

function meta(list: readonly ort.InferenceSession.ValueMetadata[]): TensorMeta[] {
  return list.map((m) => {
    const ortType = m.isTensor ? String(m.type) : 'non-tensor';
    const shape = m.isTensor ? m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) : [];
    return { name: m.name, datatype: m.isTensor ? datatypeFromOrt(ortType) : undefined, ortType, shape };
  });
}

/**
 * Loads the file with onnxruntime (CPU) and reads its signature.
 * @throws UnservableModelError when onnxruntime cannot load the file (not ONNX, an unknown op).
 */
export async function readOnnxModel(path: string): Promise<OnnxModel> {
  const bytes = await readFile(path);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes);
  } catch (e: unknown) {
    throw new UnservableModelError(`${path} is not an ONNX model onnxruntime can load: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return { bytes, inputs: meta(session.inputMetadata), outputs: meta(session.outputMetadata) };
  } finally {
    await session.release();
  }
}

const shape = (m: TensorMeta): string => `[${m.shape.map((d) => (d === -1 ? '?' : String(d))).join(', ')}]`;
const names = (list: readonly TensorMeta[]): string => JSON.stringify(list.map((m) => m.name)).replace(/,/g, ', ');

/** The export line that makes dimension 0 of every input and output dynamic, with this model's names. */
export function dynamicAxesFix(inputs: readonly TensorMeta[], outputs: readonly TensorMeta[]): string {
  const axes = [...inputs, ...outputs].map((m) => `'${m.name}': {0: 'batch'}`).join(', ');
  const shapes = inputs.map((m) => `'${m.name}': {0: batch}`).join(', ');
  return [
    `torch.onnx.export(model, example, 'model.onnx', input_names=${names(inputs)}, output_names=${names(outputs)}, dynamic_axes={${axes}})`,
    `  (with dynamo=True: batch = torch.export.Dim('batch'); torch.onnx.export(model, (example,), 'model.onnx', dynamo=True, dynamic_shapes={${shapes}}), keyed by forward()'s argument names)`,
  ].join('\n');
}

/** Why a tensor's type cannot be served, and what to change in the export. */
function typeProblem(kind: 'input' | 'output', m: TensorMeta): string {
  const base = `${kind} '${m.name}' ${unservable(kind, m)}`;
  if (m.ortType === 'non-tensor' && kind === 'output') {
    return `${base}\n  Re-export with skl2onnx: to_onnx(model, X[:1], options={'zipmap': False}) (or convert_sklearn(..., options={id(model): {'zipmap': False}})), or serve only the tensor outputs with --output <name>.`;
  }
  if (m.ortType === 'string' && kind === 'input') {
    return `${base}\n  Export the model on numbers: encode the strings before the model (token ids, one-hot or ordinal codes; an mlmesh pipeline can do it: mlmesh pipeline --help) and feed those.`;
  }
  if (m.ortType === 'string' && kind === 'output') {
    return `${base}\n  Train with integer class labels (e.g. sklearn's LabelEncoder) so the label is INT64, or serve only the numeric outputs with --output <name>.`;
  }
  return `${base}\n  Cast to a numeric type (FP32, INT64, …) in the export.`;
}

/**
 * Checks that the tensors can be served, and batched when `maxBatchSize` > 0: every input and
 * every served output has a numeric or BOOL datatype and, for batching, a dynamic first
 * dimension.
 * @throws UnservableModelError naming each offending tensor and the change to make.
 */
export function checkServable(model: OnnxModel, served: readonly TensorMeta[], maxBatchSize: number): void {
  const problems: string[] = [];
  for (const m of model.inputs) if (!m.datatype) problems.push(typeProblem('input', m));
  for (const m of served) if (!m.datatype) problems.push(typeProblem('output', m));
  if (problems.length > 0) throw new UnservableModelError(problems.join('\n'));
  if (maxBatchSize === 0) return;
  const fixed = [...model.inputs.map((m) => ['input', m] as const), ...served.map((m) => ['output', m] as const)].filter(([, m]) => m.shape.length === 0 || m.shape[0] !== -1);
  if (fixed.length === 0) return;
  const what = fixed.map(([k, m]) => `${k} '${m.name}' ${m.shape.length === 0 ? 'is a scalar' : `has the fixed first dimension ${shape(m)}`}`).join('; ');
  throw new UnservableModelError(
    `${what}: mlmesh batches requests along dimension 0, so it must be dynamic (the model was exported without a dynamic batch axis). Re-export it with one:\n  ${dynamicAxesFix(model.inputs, served)}\n  or add it without batching: --max-batch-size 0 (every request then carries the full shape ${shape(fixed[0]![1])}).`,
  );
}
