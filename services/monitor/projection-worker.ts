/** Worker thread computing UMAP embeddings for the drift page (umap-js), off the monitor's event loop. */
import { parentPort } from 'node:worker_threads';
import { UMAP } from 'umap-js';
import { seededRandom } from './stats/index.js';

/** Message to the worker: rows × cols values, row-major. */
export interface ProjectJob {
  id: number;
  rows: number;
  cols: number;
  data: Float64Array;
  seed: number;
  neighbors: number;
  epochs: number;
}

/** Message from the worker: rows × 2 values. */
export type ProjectReply = { id: number; ok: true; xy: Float64Array } | { id: number; ok: false; error: string };

parentPort?.on('message', (job: ProjectJob) => {
  try {
    const points: number[][] = [];
    for (let i = 0; i < job.rows; i++) points.push(Array.from(job.data.subarray(i * job.cols, (i + 1) * job.cols)));
    const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(job.neighbors, job.rows - 1), nEpochs: job.epochs, random: seededRandom(job.seed) });
    const out = umap.fit(points);
    const xy = new Float64Array(job.rows * 2);
    out.forEach((p, i) => {
      xy[2 * i] = p[0] ?? 0;
      xy[2 * i + 1] = p[1] ?? 0;
    });
    parentPort?.postMessage({ id: job.id, ok: true, xy } satisfies ProjectReply);
  } catch (e: unknown) {
    parentPort?.postMessage({ id: job.id, ok: false, error: e instanceof Error ? e.message : String(e) } satisfies ProjectReply);
  }
});
