/** Worker thread running a window's detectors (KS over every feature, MMD permutations…) off the monitor's event loop. */
import { parentPort } from 'node:worker_threads';
import { runDetectors } from './detectors.js';
import type { DetectorSettings, Verdict, WindowData } from './detectors.js';
import type { Reference } from './reference.js';
import { mmdTest } from './stats/index.js';

/** Message to the worker. */
export interface DetectJob {
  id: number;
  reference: Reference | undefined;
  window: WindowData;
  settings: DetectorSettings;
}

/** Message from the worker. */
export type DetectReply = { id: number; ok: true; verdict: Verdict } | { id: number; ok: false; error: string };

parentPort?.on('message', (job: DetectJob) => {
  runDetectors(job.reference, job.window, job.settings, (input) => Promise.resolve(mmdTest(input))).then(
    (verdict) => parentPort?.postMessage({ id: job.id, ok: true, verdict } satisfies DetectReply),
    (e: unknown) => parentPort?.postMessage({ id: job.id, ok: false, error: e instanceof Error ? e.message : String(e) } satisfies DetectReply),
  );
});
