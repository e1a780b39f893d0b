/**
 * Cost of the drift page's embeddings (not part of the tests):
 *
 *   npm run build && node dist/bench/monitor-projection.js [--rows 200] [--features 64] [--runs 3]
 *
 * PCA (fitted on the reference, both projected) on the main thread, and UMAP (umap-js 1.4.0) of
 * the two samples in the page's worker thread, a fresh key each run so nothing is cached; the
 * event loop's largest gap while UMAP runs shows it stays off the main thread. Medians of the
 * runs. Writes bench/results/<date>-monitor-projection.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { projectRoot } from '../shared/config/index.js';
import { pcaProjection, UmapProjector } from '../services/monitor/projection.js';
import type { Matrix } from '../services/monitor/matrix.js';
import { seededRandom } from '../services/monitor/stats/index.js';
import { benchOptions } from '../tools/cli/bench-specs.js';

const values = benchOptions('monitor-projection');
const rows = Number(values.rows);
const cols = Number(values.features);
const runs = Number(values.runs);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function sample(seed: number, shift: number): Matrix {
  const rand = seededRandom(seed);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand()) + (i % cols < 4 ? shift : 0);
  return { rows, cols, data };
}

const projector = new UmapProjector();
const pcaMs: number[] = [];
const umapMs: number[] = [];
const gapMs: number[] = [];
for (let r = 0; r < runs; r++) {
  const ref = sample(2 * r + 1, 0);
  const win = sample(2 * r + 2, 0.5);
  let t0 = performance.now();
  pcaProjection(ref, win);
  pcaMs.push(performance.now() - t0);
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  t0 = performance.now();
  await projector.project(`bench/${r}`, ref, win);
  umapMs.push(performance.now() - t0);
  h.disable();
  gapMs.push(h.max / 1e6);
}
await projector.close();
const summary = {
  rows,
  features: cols,
  runs,
  pcaMs: Number(median(pcaMs).toFixed(1)),
  umapMs: Number(median(umapMs).toFixed(0)),
  umapRowsEach: Math.min(rows, 200),
  eventLoopMaxGapDuringUmapMs: Number(median(gapMs).toFixed(1)),
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
const out = join(projectRoot(), 'bench', 'results');
await mkdir(out, { recursive: true });
await writeFile(join(out, `${new Date().toISOString().slice(0, 10)}-monitor-projection.json`), JSON.stringify({ ...summary, pcaMsAll: pcaMs, umapMsAll: umapMs, gapMsAll: gapMs }, null, 2));
