/**
 * Configures an online detector (stats/online-mmd.ts: the reference's kernel matrix and the
 * bootstrap thresholds, 0.2–5 s for 500 reference rows) in a thread of its own, so that the
 * monitor's event loop keeps serving while a version's detector is set up. One worker per
 * configuration: it runs once per version and process.
 */
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { configureOnlineMmd } from './stats/index.js';
import type { OnlineMmdConfig, OnlineMmdOptions } from './stats/index.js';

interface Job {
  reference: Float64Array;
  dim: number;
  options: OnlineMmdOptions;
}

type Reply = { ok: true; config: OnlineMmdConfig } | { ok: false; error: string };

/** {@link configureOnlineMmd} in a worker thread. @throws RangeError with the worker's message. */
export function configureOnlineInWorker(reference: Float64Array, dim: number, options: OnlineMmdOptions): Promise<OnlineMmdConfig> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { reference, dim, options } satisfies Job });
    let done = false;
    w.once('message', (r: Reply) => {
      done = true;
      if (r.ok) resolve(r.config);
      else reject(new RangeError(r.error));
      void w.terminate();
    });
    w.once('error', (e) => {
      done = true;
      reject(e);
    });
    w.once('exit', (code) => {
      if (!done) reject(new Error(`online detector configuration worker exited with code ${code}`));
    });
  });
}

if (parentPort && (workerData as Job | undefined)?.reference) {
  const job = workerData as Job;
  let reply: Reply;
  try {
    reply = { ok: true, config: configureOnlineMmd(job.reference, job.dim, job.options) };
  } catch (e: unknown) {
    reply = { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort.postMessage(reply);
}
