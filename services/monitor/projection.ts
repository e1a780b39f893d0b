/**
 * 2-D projections of reference vs window rows for the drift page:
 *
 *   pca   principal components fitted on the reference (at most PCA_FIT_ROWS evenly strided rows),
 *         both samples projected on them; the share of the reference's variance each axis
 *         explains is reported (explained variance ratio)
 *   umap  UMAP (umap-js 1.4.0) fitted on the two samples together (UMAP has no fixed map to
 *         project new points on faithfully), at most UMAP_MAX_ROWS rows of each (evenly
 *         strided), 15 neighbours, 200 epochs, seeded: the same rows give the same picture. It
 *         runs in a worker thread and is cached per window (the first page load of a window waits
 *         for it: about 2 s for 2 × 200 rows of 64 features on a loaded 2-core machine).
 *
 * t-SNE (tsne-js 1.0.3) was tried and left out: 76 s for 400 rows of 64 features here.
 */
import { Worker } from 'node:worker_threads';
import type { Matrix } from './matrix.js';
import { pca, project, seedOf } from './stats/index.js';
import type { ProjectJob, ProjectReply } from './projection-worker.js';

/** Projections the page can draw. */
export const PROJECTIONS = ['pca', 'umap'] as const;
/** A projection method. */
export type Projection = (typeof PROJECTIONS)[number];

/** Reference rows the page's PCA is fitted on (evenly strided when the reference has more). */
export const PCA_FIT_ROWS = 5000;
/** Rows of each sample UMAP is fitted on. */
export const UMAP_MAX_ROWS = 200;
/** Embeddings kept (per model, version, window and view). */
const CACHE_SIZE = 32;

/** Two samples projected to 2-D (interleaved x, y). */
export interface Projected {
  ref: Float64Array;
  win: Float64Array;
  method: Projection;
  /** PCA: share of the reference's total variance along each axis. */
  explained?: [number, number];
  /** What was fitted on what. */
  note: string;
}

/** At most `max` rows of a matrix, evenly strided. */
export function strideRows(m: Matrix, max: number): Matrix {
  if (m.rows <= max) return m;
  const data = new Float64Array(max * m.cols);
  for (let k = 0; k < max; k++) {
    const i = Math.floor((k * m.rows) / max);
    data.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), k * m.cols);
  }
  return { rows: max, cols: m.cols, data };
}

/** PCA fitted on the reference, with the explained variance ratio of the two axes. */
export function pcaProjection(ref: Matrix, win: Matrix): Projected {
  const fit = strideRows(ref, PCA_FIT_ROWS);
  const p = pca(fit.data, fit.rows, fit.cols, 2);
  // Total variance: the trace of the covariance (sum of the columns' variances).
  let total = 0;
  for (let j = 0; j < fit.cols; j++) {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < fit.rows; i++) {
      const v = fit.data[i * fit.cols + j] as number;
      s += v;
      s2 += v * v;
    }
    total += s2 / fit.rows - (s / fit.rows) ** 2;
  }
  const onFit = project(fit.data, fit.rows, fit.cols, p);
  const axisVar = (k: number): number => {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < fit.rows; i++) {
      const v = onFit[2 * i + k] ?? 0;
      s += v;
      s2 += v * v;
    }
    return s2 / fit.rows - (s / fit.rows) ** 2;
  };
  const explained: [number, number] = total > 0 ? [axisVar(0) / total, p.components.length > 1 ? axisVar(1) / total : 0] : [0, 0];
  return {
    ref: project(ref.data, ref.rows, ref.cols, p),
    win: project(win.data, win.rows, win.cols, p),
    method: 'pca',
    explained,
    note: `fitted on ${fit.rows} reference rows`,
  };
}

/** UMAP embeddings in a worker thread, cached by key; one job at a time. */
export class UmapProjector {
  private worker: Worker | undefined;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (xy: Float64Array) => void; reject: (e: Error) => void }>();
  private readonly cache = new Map<string, Promise<Projected>>();
  private closed = false;

  /** The embedding of `ref` and `win` (strided to UMAP_MAX_ROWS each), cached under `key`. @throws Error when the worker fails or the projector is closed. */
  project(key: string, ref: Matrix, win: Matrix): Promise<Projected> {
    const hit = this.cache.get(key);
    if (hit) return hit;
    const job = this.run(key, ref, win);
    this.cache.set(key, job);
    // A failed embedding is not cached: the next page load tries again.
    job.catch(() => this.cache.delete(key));
    while (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    return job;
  }

  private async run(key: string, refAll: Matrix, winAll: Matrix): Promise<Projected> {
    if (this.closed) throw new Error('the projection worker is closed');
    const ref = strideRows(refAll, UMAP_MAX_ROWS);
    const win = strideRows(winAll, UMAP_MAX_ROWS);
    const rows = ref.rows + win.rows;
    const data = new Float64Array(rows * ref.cols);
    data.set(ref.data.subarray(0, ref.rows * ref.cols));
    data.set(win.data.subarray(0, win.rows * win.cols), ref.rows * ref.cols);
    const xy = await this.call({ rows, cols: ref.cols, data, seed: seedOf(key), neighbors: 15, epochs: 200 });
    return { ref: xy.slice(0, ref.rows * 2), win: xy.slice(ref.rows * 2), method: 'umap', note: `fitted on ${ref.rows} reference + ${win.rows} window rows together` };
  }

  private call(job: Omit<ProjectJob, 'id'>): Promise<Float64Array> {
    if (!this.worker) {
      this.worker = new Worker(new URL('./projection-worker.js', import.meta.url));
      // The page's worker never keeps the process alive.
      this.worker.unref();
      this.worker.on('message', (r: ProjectReply) => {
        const p = this.pending.get(r.id);
        this.pending.delete(r.id);
        if (r.ok) p?.resolve(r.xy);
        else p?.reject(new Error(`UMAP failed: ${r.error}`));
      });
      this.worker.on('error', (e) => this.fail(e));
      this.worker.on('exit', (code) => this.fail(new Error(`the projection worker exited (${code})`)));
    }
    const id = this.next++;
    return new Promise<Float64Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker?.postMessage({ id, ...job } satisfies ProjectJob);
    });
  }

  private fail(e: Error): void {
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Stops the worker; pending and later calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
