/** Worker thread running MMD permutation tests (CPU-bound) off the monitor's event loop. */
import { parentPort } from 'node:worker_threads';
import { mmdTest } from './stats/index.js';
import type { MmdInput, MmdResult } from './stats/index.js';

/** Message to the worker. */
export interface MmdJob {
  id: number;
  input: MmdInput;
}

/** Message from the worker. */
export type MmdReply = { id: number; ok: true; result: MmdResult } | { id: number; ok: false; error: string };

parentPort?.on('message', (job: MmdJob) => {
  let reply: MmdReply;
  try {
    reply = { id: job.id, ok: true, result: mmdTest(job.input) };
  } catch (e: unknown) {
    reply = { id: job.id, ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort?.postMessage(reply);
});
