/**
 * Benchmark of the drift monitor's costliest test (not part of the tests):
 *
 *   npm run bench:monitor -- [--runs 5] [--permutations 1000] [--rows 500] [--features 64] [--max-rows 1000]
 *
 * 1. MMD² with `rows` reference vs `rows` window rows of `features` features and N permutations,
 *    run through the service's worker pool (one worker = one core), per kernel: wall time per test.
 *    MMD subsamples each sample to `max-rows` rows (the monitor's mmdMaxRows, default 1000), as
 *    the service does: that cap is what bounds its O(m²) cost per permutation.
 * 2. While those tests run, the main thread's event loop is sampled (perf_hooks
 *    monitorEventLoopDelay, 1 ms resolution, plus a 1 ms interval timer's largest gap): the
 *    longest block must stay under 50 ms.
 * 3. A whole window with every detector on digits (500-row window vs the 500-row reference),
 *    as the service runs it (one worker), with the event loop's largest gap meanwhile.
 *
 * Prints medians and writes bench/results/<date>-monitor.json.
 */
import { cpus } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { projectRoot } from '../shared/config/index.js';
import { readNpy } from '../shared/tensors/index.js';
import { DetectorPool } from '../services/monitor/detector-pool.js';
import { buildReference } from '../services/monitor/reference.js';
import { parseMonitoring } from '../services/monitor/model-monitoring.js';
import { resolveMonitorConfig } from '../services/monitor/config.js';
import { KERNELS, seededRandom } from '../services/monitor/stats/index.js';
import { benchOptions } from '../tools/cli/bench-specs.js';

const values = benchOptions('monitor');
const RUNS = Number(values.runs);
const N = Number(values.permutations);
const ROWS = Number(values.rows);
const D = Number(values.features);
const MAX_ROWS = Number(values['max-rows']);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const rand = seededRandom(42);
const gauss = (): number => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
const matrix = (shift: number): Float64Array => Float64Array.from({ length: ROWS * D }, (_, i) => gauss() + (i % D === 0 ? shift : 0));

const pool = new DetectorPool(1);
const histogram = monitorEventLoopDelay({ resolution: 1 });
let maxGap = 0;
let last = performance.now();
const ticker = setInterval(() => {
  const now = performance.now();
  maxGap = Math.max(maxGap, now - last);
  last = now;
}, 1);

const mon = parseMonitoring(undefined, resolveMonitorConfig({ env: {} }), 'bench');
function toReference(data: Float64Array, id: string): ReturnType<typeof buildReference> {
  const f = new Float32Array(data);
  return buildReference('bench', '1', { datatype: 'FP32', shape: [ROWS, D], data: new Uint8Array(f.buffer) }, undefined, mon, { inputs: id, outputs: null }, null);
}

const mmd: Record<string, { seconds: number[]; median_s: number; p_value_no_drift: number; p_value_shift: number }> = {};
// Data made before the event loop is watched: only the tests' own effect on it is measured.
const inputs = KERNELS.map((kernel) =>
  Array.from({ length: RUNS }, (_, r) => ({ reference: toReference(matrix(0), `${kernel}${r}`), window: { inputs: { rows: ROWS, cols: D, data: matrix(r % 2 === 0 ? 0 : 0.3) }, outputs: undefined } })),
);
maxGap = 0;
last = performance.now();
histogram.enable();
for (const [k, kernel] of KERNELS.entries()) {
  const seconds: number[] = [];
  let pNo = NaN;
  let pShift = NaN;
  for (let r = 0; r < RUNS; r++) {
    const shift = r % 2 === 0 ? 0 : 0.3;
    // A fresh reference each run, so the time includes the median-heuristic bandwidth.
    const { reference, window } = inputs[k]?.[r] as (typeof inputs)[number][number];
    const t0 = performance.now();
    const v = await pool.run(reference, window, { detectors: ['mmd'], alpha: 0.05, correction: 'none', detectorCorrection: 'holm', kernel, permutations: N, mmdMaxRows: MAX_ROWS, seed: `${r}` });
    seconds.push((performance.now() - t0) / 1000);
    const p = v.results[0]?.p_value as number;
    if (shift === 0) pNo = p;
    else pShift = p;
  }
  mmd[kernel] = { seconds, median_s: median(seconds), p_value_no_drift: pNo, p_value_shift: pShift };
  process.stdout.write(`mmd ${kernel}: ${ROWS} vs ${ROWS} rows × ${D} features (each subsampled to ${Math.min(ROWS, MAX_ROWS)}), ${N} permutations: median ${median(seconds).toFixed(3)} s (runs ${seconds.map((s) => s.toFixed(3)).join(', ')})\n`);
}
histogram.disable();
const eventLoop = { max_delay_ms: histogram.max / 1e6, p99_delay_ms: histogram.percentile(99) / 1e6, max_timer_gap_ms: maxGap };
process.stdout.write(`event loop while MMD ran in the worker: max delay ${eventLoop.max_delay_ms.toFixed(1)} ms, p99 ${eventLoop.p99_delay_ms.toFixed(1)} ms, largest 1 ms-timer gap ${maxGap.toFixed(1)} ms\n`);

// A whole window with every detector, on digits.
const root = projectRoot();
const ref = buildReference('digits_mlp', '1', readNpy(join(root, 'examples/models/digits_mlp/1/reference/inputs.npy')), readNpy(join(root, 'examples/models/digits_mlp/1/reference/outputs.npy')), mon, { inputs: 'a', outputs: 'b' }, null);
const win = { inputs: ref.inputs, outputs: ref.outputs };
const windowSeconds: number[] = [];
maxGap = 0;
last = performance.now();
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  await pool.run(ref, win, { detectors: mon.detectors, alpha: 0.05, correction: 'bonferroni', detectorCorrection: 'holm', kernel: 'gaussian', permutations: N, mmdMaxRows: 1000, seed: `w${r}` });
  windowSeconds.push((performance.now() - t0) / 1000);
}
const windowGap = maxGap;
process.stdout.write(`whole window (${ref.rows} digits rows, every detector, ${N} permutations): median ${median(windowSeconds).toFixed(3)} s; largest event-loop gap ${windowGap.toFixed(1)} ms (every detector runs in the worker)\n`);
clearInterval(ticker);
await pool.close();

const outDir = join(root, 'bench/results');
await mkdir(outDir, { recursive: true });
const file = join(outDir, `${new Date().toISOString().slice(0, 10)}-monitor.json`);
await writeFile(
  file,
  JSON.stringify({ date: new Date().toISOString(), host: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, runs: RUNS, rows: ROWS, features: D, mmd_max_rows: MAX_ROWS, permutations: N, mmd, eventLoop, window: { seconds: windowSeconds, median_s: median(windowSeconds), max_event_loop_gap_ms: windowGap } }, null, 2) + '\n',
);
process.stdout.write(`wrote ${file}\n`);
