/**
 * Runs a fit in a worker thread (fit-worker.ts), so the thread serving gRPC stays responsive:
 * one short-lived worker per fit. Cancelling (deadline, client cancel, drain) terminates the
 * worker at once; nothing was stored yet, so nothing is left half-done.
 */
import { Worker } from 'node:worker_threads';
import { CancelledError, Code, InternalError, InvalidArgumentError, MlmeshError } from '../../shared/errors/index.js';
import type { CodeValue } from '../../shared/errors/index.js';
import type { PipelineArtifact } from './artifact.js';
import type { FitResult } from './fit.js';

const WORKER_URL = new URL('./fit-worker.js', import.meta.url);

/** What the worker fits: the spec text, the data, the artifact's name and version. */
export interface FitJob {
  readonly spec: string;
  readonly source: { readonly kind: 'file'; readonly path: string } | { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly description: string };
  readonly name: string;
  readonly version: string;
  readonly producedBy: string;
}

/** The worker's answer. */
export type FitReply = { ok: true; artifact: PipelineArtifact; passes: number } | { ok: false; code: CodeValue | undefined; message: string; field?: string };

/** The typed error a worker's failure stands for. */
function rebuild(r: Extract<FitReply, { ok: false }>): MlmeshError {
  if (r.code === Code.INVALID_ARGUMENT) return new InvalidArgumentError(r.message, r.field !== undefined ? { field: r.field } : {});
  if (r.code !== undefined) return new MlmeshError(r.code, r.message);
  return new InternalError(`fit failed: ${r.message}`);
}

/**
 * Fits `job` in a worker thread.
 * @throws the fit's error (INVALID_ARGUMENT for a bad spec, data or fit), the signal's reason
 *   when aborted, InternalError when the worker dies.
 */
export function fitInWorker(job: FitJob, signal?: AbortSignal): Promise<FitResult> {
  signal?.throwIfAborted();
  return new Promise<FitResult>((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: job, name: `fit ${job.name}@${job.version}` });
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => {
      finish(() => reject(signal?.reason instanceof Error ? signal.reason : new CancelledError('fit cancelled')));
      void worker.terminate();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (r: FitReply) => finish(() => (r.ok ? resolve({ artifact: r.artifact, passes: r.passes }) : reject(rebuild(r)))));
    worker.once('error', (e) => finish(() => reject(new InternalError(`fit worker failed: ${e.message}`, { cause: e }))));
    worker.once('exit', (code) => finish(() => reject(new InternalError(`fit worker exited (${code}) without an answer`))));
  });
}
