import { setMaxListeners } from 'node:events';
import type { DecodedInput, InferJob, JobOutput, JobResult } from './batcher.js';

/**
 * A request over `max_batch_size` rows is served as chunks of at most `max_batch_size` rows, each
 * submitted to the version's batcher like any request (so the dynamic batcher, the queue limits
 * and the instance pool apply, and chunks run in parallel on idle instances), and the outputs
 * are joined along dimension 0 in row order. The largest request accepted is
 * `maxRequestBatches × max_batch_size` rows (checked by decodeInferRequest).
 */

/** Default of the `maxRequestBatches` service option. */
export const DEFAULT_MAX_REQUEST_BATCHES = 16;

/** Runs one job: the version's `infer`. */
export type SubmitJob = (job: InferJob) => Promise<JobResult>;

/** The rows [from, to) of an input: views on its bytes (no copy). */
function sliceInput(x: DecodedInput, rows: number, from: number, to: number): DecodedInput {
  const rowBytes = x.bytes.byteLength / rows;
  return { name: x.name, datatype: x.datatype, shape: [to - from, ...x.shape.slice(1)], bytes: x.bytes.subarray(from * rowBytes, to * rowBytes) };
}

/** The outputs of the chunks, in order, joined along dimension 0 (one copy). */
function joinOutputs(parts: readonly JobResult[]): JobOutput[] {
  const first = parts[0] as JobResult;
  return first.outputs.map((o) => {
    const pieces = parts.map((p) => {
      const piece = p.outputs.find((x) => x.name === o.name);
      // Every chunk asks for the same outputs of the same version: a missing one is a bug.
      if (!piece) throw new Error(`output '${o.name}' is missing from a chunk's result`);
      return piece;
    });
    const total = pieces.reduce((n, p) => n + p.bytes.byteLength, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const p of pieces) {
      bytes.set(p.bytes, at);
      at += p.bytes.byteLength;
    }
    const rows = pieces.reduce((n, p) => n + (p.shape[0] ?? 0), 0);
    return { name: o.name, datatype: o.datatype, shape: [rows, ...o.shape.slice(1)], bytes };
  });
}

/**
 * Submits `job`, split into chunks of at most `maxBatchSize` rows when it has more (a model with
 * `maxBatchSize` 0 never splits). All chunks are queued at once; the first chunk to fail aborts
 * the ones still queued and the call rejects at once with that chunk's error (no partial answer;
 * a chunk already running finishes and is dropped). The job's signal (deadline, cancel) reaches
 * every chunk.
 * @returns the joined outputs; `queueNs` and `computeNs` of the slowest chunk, `batchRows` of the
 *   largest batch a chunk ran in, `instance` of the first chunk.
 */
export async function submitSplit(submit: SubmitJob, job: InferJob, maxBatchSize: number): Promise<JobResult> {
  if (maxBatchSize <= 0 || job.rows <= maxBatchSize) return submit(job);
  // Aborts on the job's signal (listened to once every chunk is queued, below) and on the first
  // chunk that fails.
  const failed = new AbortController();
  const onAbort = (): void => failed.abort(job.signal.reason);
  if (job.signal.aborted) onAbort();
  const signal = failed.signal;
  const starts: number[] = [];
  for (let from = 0; from < job.rows; from += maxBatchSize) starts.push(from);
  // Every queued chunk listens on the signal: more than Node's default of 10 is expected here,
  // not a leak (each listener goes when its chunk is sent).
  setMaxListeners(starts.length + 10, signal);
  // The short last chunk is queued first: the full chunk after it does not fit its batch, so the
  // batcher sends it at once instead of holding it for max_queue_delay (it still joins requests
  // already queued). Outputs are joined in row order whatever the submit order.
  const indices = [...starts.keys()];
  const last = indices.length - 1;
  const order = job.rows % maxBatchSize === 0 ? indices : [last, ...indices.slice(0, last)];
  const chunks: Promise<JobResult>[] = new Array<Promise<JobResult>>(starts.length);
  for (const k of order) {
    const from = starts[k] as number;
    const to = Math.min(job.rows, from + maxBatchSize);
    const chunk = submit({ ...job, inputs: job.inputs.map((x) => sliceInput(x, job.rows, from, to)), rows: to - from, signal });
    chunks[k] = chunk.catch((e: unknown) => {
      // The first failure aborts the chunks still queued; later ones reject with its reason.
      if (!failed.signal.aborted) failed.abort(e);
      throw e;
    });
  }
  // Only now, with nothing left to throw before the removal below is sure to run.
  job.signal.addEventListener('abort', onAbort, { once: true });
  // Rejects with the first failure at once: a chunk already running cannot be stopped, its
  // result is dropped when it comes (every chunk's rejection is handled here).
  const parts = await Promise.all(chunks).finally(() => job.signal.removeEventListener('abort', onAbort));
  const first = parts[0] as JobResult;
  return {
    outputs: joinOutputs(parts),
    queueNs: Math.max(...parts.map((p) => p.queueNs)),
    computeNs: Math.max(...parts.map((p) => p.computeNs)),
    batchRows: Math.max(...parts.map((p) => p.batchRows)),
    instance: first.instance,
  };
}
