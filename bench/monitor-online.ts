/**
 * The monitor's online MMD detector (services/monitor/stats/online-mmd.ts, monitoring.online):
 * its cost and its calibration, outside the tests (test/monitor/stats-online-mmd.test.ts asserts
 * calibration on fewer runs):
 *
 *   npm run bench:monitor-online -- [--runs 5] [--reference 500] [--windows 10,20,50] [--features 8,64]
 *                                   [--ert 500] [--calibration-runs 1000]
 *
 * Cost, per (window size W, features d) on a Gaussian reference of `reference` rows: the one-off
 * configuration (kernel matrix and bootstrap thresholds, 100·ERT streams by default) and the
 * per-row update (the new row's kernel against the reference and the window, the window's
 * re-sum), median of `runs` runs of 5,000 rows. Calibration: `calibration-runs` runs to a false
 * alarm on clean Gaussian streams (8 features, W 20), over 20 fresh references, at the given ERT:
 * mean and median run length (geometric: ERT and ERT·ln 2), and the median delay after a shift of
 * 1 and 0.5 sd in 2 of the 8 features.
 *
 * Prints, and writes to bench/results/<date>-monitor-online.json.
 */
import { cpus } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../shared/config/index.js';
import { OnlineMmd, configureOnlineMmd, seededRandom } from '../services/monitor/stats/index.js';
import { benchOptions } from '../tools/cli/bench-specs.js';
import { median } from './common.js';

const values = benchOptions('monitor-online');
const RUNS = Number(values.runs);
const N = Number(values.reference);
const ERT = Number(values.ert);
const CAL_RUNS = Number(values['calibration-runs']);
const windows = values.windows.split(',').map(Number);
const features = values.features.split(',').map(Number);
if (windows.some((w) => !(Number.isInteger(w) && w >= 2)) || features.some((d) => !(Number.isInteger(d) && d >= 1))) throw new Error('--windows and --features: lists of positive integers (windows >= 2)');

const normalOf = (rand: () => number) => (): number => {
  let u = 0;
  while (u === 0) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
};

const cost: Array<{ window_size: number; features: number; reference_rows: number; configure_ms: number; update_us_per_row: number; update_us_per_row_runs: number[] }> = [];
for (const d of features) {
  for (const w of windows) {
    const normal = normalOf(seededRandom(17 + d * 1000 + w));
    const ref = Float64Array.from({ length: N * d }, normal);
    const t0 = performance.now();
    const cfg = configureOnlineMmd(ref, d, { ert: ERT, windowSize: w, seed: 1 });
    const configureMs = performance.now() - t0;
    const stream = Array.from({ length: 5000 }, () => Float64Array.from({ length: d }, normal));
    const perRow: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const det = new OnlineMmd(cfg);
      const s0 = performance.now();
      for (const row of stream) if (det.update(row).alarm) det.reset();
      perRow.push(((performance.now() - s0) * 1000) / stream.length);
    }
    cost.push({ window_size: w, features: d, reference_rows: N, configure_ms: configureMs, update_us_per_row: median(perRow), update_us_per_row_runs: perRow });
    process.stdout.write(`W ${w}, ${d} features, ${N}-row reference: configure ${configureMs.toFixed(0)} ms (${cfg.bootstraps} bootstraps), update ${median(perRow).toFixed(1)} µs/row (median of ${RUNS})\n`);
  }
}

// Calibration and delay.
const D = 8;
const W = 20;
const normal = normalOf(seededRandom(2026));
const lens: number[] = [];
const delays: Record<string, number[]> = { '1': [], '0.5': [] };
const perRef = Math.ceil(CAL_RUNS / 20);
const c0 = performance.now();
for (let r = 0; r < 20; r++) {
  const ref = Float64Array.from({ length: N * D }, normal);
  const det = new OnlineMmd(configureOnlineMmd(ref, D, { ert: ERT, windowSize: W, seed: 100 + r }));
  for (let k = 0; k < perRef && lens.length < CAL_RUNS; k++) {
    det.reset();
    for (;;) {
      const s = det.update(Float64Array.from({ length: D }, normal));
      if (s.alarm || s.t >= 100 * ERT) {
        lens.push(s.t);
        break;
      }
    }
  }
  for (const delta of [1, 0.5]) {
    for (let k = 0; k < 10; k++) {
      det.reset();
      // 100 clean rows first (a run that alarms there is not a delay: drawn again).
      let alarmed = false;
      for (let i = 0; i < 100 && !alarmed; i++) alarmed = det.update(Float64Array.from({ length: D }, normal)).alarm;
      if (alarmed) {
        k--;
        continue;
      }
      for (let i = 1; ; i++) {
        if (det.update(Float64Array.from({ length: D }, (_, j) => normal() + (j < 2 ? delta : 0))).alarm || i >= 100 * ERT) {
          (delays[String(delta)] as number[]).push(i);
          break;
        }
      }
    }
  }
}
const calSeconds = (performance.now() - c0) / 1000;
const mean = lens.reduce((a, b) => a + b, 0) / lens.length;
const calibration = {
  ert: ERT, window_size: W, features: D, references: 20, runs: lens.length,
  mean_run_length: mean, mean_se: Math.sqrt(lens.reduce((a, b) => a + (b - mean) ** 2, 0) / (lens.length - 1) / lens.length),
  median_run_length: median(lens), geometric_median: ERT * Math.LN2,
  median_delay_rows: { shift_1sd: median(delays['1'] as number[]), shift_half_sd: median(delays['0.5'] as number[]) },
  delay_runs: (delays['1'] as number[]).length,
  seconds: calSeconds,
};
process.stdout.write(`calibration, ERT ${ERT}, W ${W}, ${D} Gaussian features, ${lens.length} runs over 20 references of ${N} rows: mean run length ${mean.toFixed(1)} (± ${calibration.mean_se.toFixed(1)} se), median ${calibration.median_run_length} (geometric ${calibration.geometric_median.toFixed(1)})\n`);
process.stdout.write(`delay after a shift in 2 of 8 features (${calibration.delay_runs} runs each): 1 sd median ${calibration.median_delay_rows.shift_1sd} rows, 0.5 sd median ${calibration.median_delay_rows.shift_half_sd} rows; ${calSeconds.toFixed(1)} s\n`);

const result = { date: new Date().toISOString(), host: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version }, ert: ERT, cost, calibration };
const outDir = join(projectRoot(), 'bench/results');
await mkdir(outDir, { recursive: true });
const file = join(outDir, `${new Date().toISOString().slice(0, 10)}-monitor-online.json`);
await writeFile(file, JSON.stringify(result, null, 2) + '\n');
process.stdout.write(`wrote ${file}\n`);
