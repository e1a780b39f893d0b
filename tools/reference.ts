/**
 * Completing a drift reference: runs `<version>/reference/inputs.npy` through the version's ONNX
 * model (onnxruntime-node, CPU, in batches so a progress bar can follow), writes the outputs as
 * `outputs.npy` and `reference.json` (SHA-256 of both files + provenance), so the monitor can
 * test inputs and outputs. `mlmesh reference` and `mlmesh model add --reference` use it. A
 * training job that already has its model's outputs can write outputs.npy itself with np.save
 * (then reference.json is optional, or written by ReplaceReference).
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { DATATYPES, encodeNpy, readNpy, typedView } from '../shared/tensors/index.js';
import type { NpyArray } from '../shared/tensors/index.js';

/** Options of {@link completeReference}. */
export interface ReferenceOptions {
  /** The version folder (holding model.onnx and reference/inputs.npy). */
  versionDir: string;
  /** Model input fed with inputs.npy. @default the model's first input */
  input?: string;
  /** Output written to outputs.npy (must be FP32). @default the model's first FP32 output */
  output?: string;
  /** Provenance: what produced the reference. */
  producedBy: string;
  /** Provenance: SHA-256 of the data the rows were drawn from, if known. */
  sourceDataSha256?: string | null;
  /** Rows per run. @default 256, or the input's fixed first dimension */
  batchRows?: number;
  /** Called after each batch with the rows done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** What {@link completeReference} wrote. */
export interface ReferenceResult {
  dir: string;
  rows: number;
  input: string;
  output: string;
  outputShape: number[];
  sha256: { 'inputs.npy': string; 'outputs.npy': string };
}

/** A reference that cannot be completed: a bad inputs.npy, an unknown tensor, a non-FP32 output. */
export class ReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReferenceError';
  }
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function tensorOf(a: NpyArray, rowFrom: number, rows: number): ort.Tensor {
  const rowElems = a.shape.slice(1).reduce((x, y) => x * y, 1);
  const size = DATATYPES[a.datatype].bytes;
  // A fresh copy: typed views need an aligned offset.
  const bytes = new Uint8Array(a.data.subarray(rowFrom * rowElems * size, (rowFrom + rows) * rowElems * size));
  const view = typedView(a.datatype, bytes.buffer, 0, bytes.byteLength);
  return new ort.Tensor(DATATYPES[a.datatype].ort, view as ort.Tensor.DataType, [rows, ...a.shape.slice(1)]);
}

/**
 * Runs reference/inputs.npy through the model and writes outputs.npy and reference.json.
 * @throws ReferenceError naming what is wrong; onnxruntime's error when the run fails.
 */
export async function completeReference(o: ReferenceOptions): Promise<ReferenceResult> {
  const dir = join(o.versionDir, 'reference');
  let inputs: NpyArray;
  try {
    inputs = readNpy(join(dir, 'inputs.npy'));
  } catch (e: unknown) {
    throw new ReferenceError(`${join(dir, 'inputs.npy')}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (inputs.shape.length < 1 || (inputs.shape[0] as number) < 1) throw new ReferenceError(`inputs.npy: needs at least one row, got shape [${inputs.shape.join(', ')}]`);
  const session = await ort.InferenceSession.create(await readFile(join(o.versionDir, 'model.onnx')));
  try {
    const inMeta = o.input === undefined ? session.inputMetadata[0] : session.inputMetadata.find((m) => m.name === o.input);
    if (!inMeta) throw new ReferenceError(`the model has no input '${o.input}' (inputs: ${session.inputNames.join(', ')})`);
    if (session.inputNames.length > 1) throw new ReferenceError(`the model has ${session.inputNames.length} inputs (${session.inputNames.join(', ')}); a reference feeds one`);
    const floats = session.outputMetadata.filter((m) => m.isTensor && m.type === 'float32');
    const outMeta = o.output === undefined ? floats[0] : session.outputMetadata.find((m) => m.name === o.output);
    if (!outMeta) {
      throw new ReferenceError(o.output === undefined ? `the model has no FP32 output (outputs: ${session.outputNames.join(', ')}); the monitor tests FP32 probabilities or logits` : `the model has no output '${o.output}' (outputs: ${session.outputNames.join(', ')})`);
    }
    if (!outMeta.isTensor || outMeta.type !== 'float32') throw new ReferenceError(`output ${outMeta.name} is ${outMeta.isTensor ? outMeta.type : 'not a tensor'}; the monitor expects float32 probabilities or logits`);
    if (inMeta.isTensor && DATATYPES[inputs.datatype].ort !== inMeta.type) throw new ReferenceError(`inputs.npy is ${inputs.datatype} (${DATATYPES[inputs.datatype].ort}), input ${inMeta.name} is ${inMeta.type}`);
    const first = inMeta.isTensor ? inMeta.shape[0] : undefined;
    const fixed = typeof first === 'number' && first > 0 ? first : undefined;
    const total = inputs.shape[0] as number;
    const batch = fixed ?? o.batchRows ?? 256;
    if (fixed !== undefined && total % fixed !== 0) throw new ReferenceError(`input ${inMeta.name} takes exactly ${fixed} row(s) a run; inputs.npy has ${total}`);
    const parts: Float32Array[] = [];
    let outDims: readonly number[] = [];
    for (let done = 0; done < total; ) {
      const rows = Math.min(batch, total - done);
      const result = await session.run({ [inMeta.name]: tensorOf(inputs, done, rows) }, [outMeta.name]);
      const t = result[outMeta.name] as ort.Tensor;
      parts.push(new Float32Array(t.data as Float32Array));
      outDims = t.dims;
      done += rows;
      o.onProgress?.(done, total);
    }
    const length = parts.reduce((n, p) => n + p.length, 0);
    const all = new Float32Array(length);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    const outputShape = [total, ...outDims.slice(1)];
    const outputsNpy = encodeNpy('FP32', outputShape, new Uint8Array(all.buffer));
    await writeFile(join(dir, 'outputs.npy'), outputsNpy);
    const files = { 'inputs.npy': sha(await readFile(join(dir, 'inputs.npy'))), 'outputs.npy': sha(outputsNpy) };
    const meta = {
      format: 'mlmesh.reference/v1',
      files,
      rows: total,
      provenance: { produced_by: o.producedBy, source_data_sha256: o.sourceDataSha256 ?? null, created_at: new Date().toISOString(), previous_sha256: null },
    };
    await writeFile(join(dir, 'reference.json'), JSON.stringify(meta, null, 2) + '\n');
    return { dir, rows: total, input: inMeta.name, output: outMeta.name, outputShape, sha256: files };
  } finally {
    await session.release();
  }
}
