/**
 * A worker thread that makes one ModelInfer call and raises a shared flag once the answer is in
 * (1) or the call failed (2), then posts the outcome. Tests use it to observe, from another
 * thread, what the service's thread was doing when the answer arrived.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InferenceClient } from '../../services/inference/index.js';
import type { ModelInferRequest } from '../../shared/generated/inference/ModelInferRequest.js';

/** What the worker is started with. */
export interface InferWorkerData {
  address: string;
  request: ModelInferRequest;
  /** Int32Array on a SharedArrayBuffer: index 0 becomes 1 (answered) or 2 (failed). */
  flag: Int32Array;
}

const { address, request, flag } = workerData as InferWorkerData;
const client = new InferenceClient(address);
try {
  const res = await client.infer(request, { deadlineMs: 60_000 });
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  parentPort?.postMessage({ ok: true, id: res.id, outputs: res.raw_output_contents.length });
} catch (e: unknown) {
  Atomics.store(flag, 0, 2);
  Atomics.notify(flag, 0);
  parentPort?.postMessage({ ok: false, error: String(e) });
} finally {
  client.close();
}
