/**
 * Messages between the inference service and its session workers. Tensor bytes travel as
 * ArrayBuffers in the transfer list (moved, not copied).
 */
import type { Datatype } from '../../shared/tensors/index.js';

/** Passed as `workerData` when a session worker starts. */
export interface WorkerInit {
  /**
   * The ONNX file's bytes, as verified against the manifest. Sessions (restarts included) are
   * created from these bytes, never by reading the file again, so what runs is what was checked.
   */
  model: SharedArrayBuffer;
  /** Execution providers in order of preference, e.g. ['cuda', 'cpu']. */
  executionProviders: readonly string[];
  /** onnxruntime intra-op threads for this session (0: onnxruntime's default). */
  intraOpThreads: number;
  /** Run one inference on zeros before reporting ready. */
  warmup: boolean;
  /**
   * Outputs the warm-up fetches: those the config serves. Unset: every tensor output (outputs of
   * other types, such as skl2onnx's ZipMap, are never fetched; the signature refuses to serve
   * them).
   */
  warmupOutputs?: readonly string[];
  /**
   * Int32Array(1) shared with the pool, for fault injection in tests: when slot 0 is
   * {@link CONTROL_DIE_AFTER_RUN}, the worker exits after its current run without answering,
   * which is what a crash mid-run looks like from outside.
   */
  control: SharedArrayBuffer;
}

/** Control value: exit after the current run, without answering (see WorkerInit.control). */
export const CONTROL_DIE_AFTER_RUN = 1;
/** Control value at start: report an init error instead of loading (a restart that fails). */
export const CONTROL_FAIL_INIT = 2;

/** A tensor's metadata as the ONNX file declares it; -1 for a dynamic dimension. */
export interface TensorMeta {
  name: string;
  /** Undefined when the ONNX type is one mlmesh does not serve (e.g. string). */
  datatype: Datatype | undefined;
  /** onnxruntime's own type name, for messages. */
  ortType: string;
  shape: number[];
}

/** A tensor crossing the thread boundary. */
export interface WireTensor {
  name: string;
  datatype: Datatype;
  dims: number[];
  /** Owns exactly the tensor bytes (offset 0), transferred. */
  buffer: ArrayBuffer;
}

export type ToWorker =
  | { type: 'run'; id: number; inputs: WireTensor[]; outputs: string[] }
  /**
   * Exit once the current run (if any) is done. The pool never calls `Worker.terminate()` on a
   * worker that may be inside onnxruntime: terminating a thread in native code aborts the process.
   */
  | { type: 'exit' };

export type FromWorker =
  | { type: 'ready'; inputs: TensorMeta[]; outputs: TensorMeta[]; providers: string[]; warnings: string[] }
  | { type: 'init-error'; message: string }
  | { type: 'result'; id: number; outputs: WireTensor[]; computeNs: number; startedAtMs: number }
  | { type: 'error'; id: number; message: string };
