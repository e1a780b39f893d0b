/**
 * Worker-thread entry of a service-side fit (see fit-runner.ts): parsing CSV, fitting
 * quantiles and the Yeo-Johnson likelihood are CPU work that would otherwise stall every
 * Transform on the thread that serves gRPC. Gets one {@link FitJob} as workerData, posts back
 * one {@link FitReply} and ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isMlmeshError } from '../../shared/errors/index.js';
import { bytesSource, fileSource } from './csv.js';
import { fitPipeline } from './fit.js';
import type { FitJob, FitReply } from './fit-runner.js';
import { parseSpec } from './spec.js';

const job = workerData as FitJob;
let reply: FitReply;
try {
  const source = job.source.kind === 'file' ? fileSource(job.source.path) : { ...bytesSource(job.source.bytes), description: job.source.description };
  const { artifact, passes } = await fitPipeline({ spec: parseSpec(job.spec), source, name: job.name, version: job.version, producedBy: job.producedBy });
  reply = { ok: true, artifact, passes };
} catch (e: unknown) {
  const field = typeof (e as { field?: unknown }).field === 'string' ? (e as { field: string }).field : undefined;
  reply = { ok: false, code: isMlmeshError(e) ? e.code : undefined, message: e instanceof Error ? e.message : String(e), ...(field !== undefined ? { field } : {}) };
}
parentPort?.postMessage(reply);
