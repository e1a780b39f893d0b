/**
 * The gate's model runner: a worker thread that loads each ONNX model in turn and runs it on the
 * holdout in batches (onnxruntime's `run()` blocks its thread, so never on the retrainer's main
 * thread). Posts one message: every model's output, or the error.
 */
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';

/** What the gate gives the worker. */
export interface GateWorkerInput {
  /** ONNX files, run in this order. */
  models: string[];
  input: string;
  output: string;
  featureCount: number;
  rows: number;
  batchSize: number;
  /** rows × featureCount float32 values. */
  x: Float32Array;
}

/** What the worker posts back. */
export type GateWorkerResult =
  | { type: 'result'; outputs: { data: Float32Array; width: number }[] }
  | { type: 'error'; message: string };

async function runModel(path: string, w: GateWorkerInput): Promise<{ data: Float32Array; width: number }> {
  const session = await ort.InferenceSession.create(await readFile(path), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    if (!session.inputNames.includes(w.input)) throw new Error(`${path}: the model has no input '${w.input}' (inputs: ${session.inputNames.join(', ')})`);
    if (!session.outputNames.includes(w.output)) throw new Error(`${path}: the model has no output '${w.output}' (outputs: ${session.outputNames.join(', ')})`);
    if (session.inputNames.length > 1) throw new Error(`${path}: the model has ${session.inputNames.length} inputs (${session.inputNames.join(', ')}); the gate feeds one`);
    let out: Float32Array | undefined;
    let width = 0;
    for (let done = 0; done < w.rows; ) {
      const n = Math.min(w.batchSize, w.rows - done);
      // A copy: the tensor must not alias the rest of the holdout.
      const x = w.x.slice(done * w.featureCount, (done + n) * w.featureCount);
      const result = await session.run({ [w.input]: new ort.Tensor('float32', x, [n, w.featureCount]) }, [w.output]);
      const t = result[w.output] as ort.Tensor;
      if (t.type !== 'float32') throw new Error(`${path}: output '${w.output}' is ${t.type}, the gate reads float32`);
      if (t.dims[0] !== n || t.dims.length > 2) throw new Error(`${path}: output '${w.output}' has shape [${t.dims.join(', ')}] for ${n} rows; expected [${n}] or [${n}, k]`);
      const wNow = t.dims.length === 2 ? (t.dims[1] as number) : 1;
      if (out === undefined) {
        width = wNow;
        out = new Float32Array(w.rows * width);
      } else if (wNow !== width) throw new Error(`${path}: output '${w.output}' changed width from ${width} to ${wNow}`);
      out.set(t.data as Float32Array, done * width);
      done += n;
    }
    return { data: out ?? new Float32Array(0), width };
  } finally {
    await session.release();
  }
}

async function main(): Promise<void> {
  const w = workerData as GateWorkerInput;
  try {
    const outputs: { data: Float32Array; width: number }[] = [];
    for (const m of w.models) outputs.push(await runModel(m, w));
    const msg: GateWorkerResult = { type: 'result', outputs };
    parentPort?.postMessage(msg, outputs.map((o) => o.data.buffer as ArrayBuffer));
  } catch (e: unknown) {
    const msg: GateWorkerResult = { type: 'error', message: e instanceof Error ? e.message : String(e) };
    parentPort?.postMessage(msg);
  }
}

void main();
