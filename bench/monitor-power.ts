/**
 * Detection power of the input detectors — the classifier two-sample test (c2st), KS, CvM and AD per
 * feature (Bonferroni) and MMD — on digits at several window sizes (not part of the tests;
 * test/monitor/stats-c2st.test.ts asserts calibration and power on fewer windows):
 *
 *   npm run bench:monitor-power -- [--windows 100] [--sizes 50,100,200] [--reference 500] [--permutations 500]
 *                                  [--detectors c2st,ks,mmd,cvm,ad,mmd_laplacian,mmd_rational_quadratic]
 *
 * For each window size and condition, `windows` times: a reference of `reference` rows and a
 * window of `size` rows are drawn, disjoint, from the 1,797 scikit-learn digits
 * (test/fixtures/drift/digits_all.npy), and the window is then shifted by the condition:
 * clean (none), blur σ = 1 and σ = 0.5 (scipy.ndimage.gaussian_filter on every 8×8 image), and
 * σ = 0.5 on only 25% of the window's rows. Each detector decides alone at alpha 0.05 (the
 * share flagged of clean windows is its false-positive rate, of shifted ones its power).
 * `mmd` is the Gaussian kernel; `mmd_laplacian` and `mmd_rational_quadratic` are MMD with those
 * kernels (what monitoring.mmd_kernels shows beside it), with the same permutations.
 *
 * Prints a Markdown table and writes bench/results/<date>-monitor-power.json.
 */
import { cpus } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../shared/config/index.js';
import { runDetectors } from '../services/monitor/detectors.js';
import type { DetectorSettings } from '../services/monitor/detectors.js';
import { buildReference } from '../services/monitor/reference.js';
import { parseMonitoring } from '../services/monitor/model-monitoring.js';
import { resolveMonitorConfig } from '../services/monitor/config.js';
import type { Matrix } from '../services/monitor/matrix.js';
import { mmdTest, seededRandom } from '../services/monitor/stats/index.js';
import { allDigits, blur, drawRows, matrixNpy, rowsOf } from '../test/helpers/digits.js';
import { benchOptions } from '../tools/cli/bench-specs.js';

const values = benchOptions('monitor-power');
const WINDOWS = Number(values.windows);
const SIZES = String(values.sizes).split(',').map(Number);
const REF = Number(values.reference);
const PERMS = Number(values.permutations);
for (const s of SIZES) if (!(Number.isInteger(s) && s >= 10 && s + REF <= 1797)) throw new Error(`--sizes: ${s}: each must be an integer >= 10 with size + reference <= 1797`);

const root = projectRoot();
const defaults = resolveMonitorConfig({ env: {} });
const mon = parseMonitoring(undefined, defaults, 'power');
const digits = allDigits();

/** Blurs the first `share` of the window's rows (the rows are in random order already). */
const partBlur = (m: Matrix, sigma: number, share: number): Matrix => {
  const k = Math.round(m.rows * share);
  const b = blur(rowsOf(m, Array.from({ length: k }, (_, i) => i)), sigma);
  const data = Float64Array.from(m.data);
  data.set(b.data, 0);
  return { rows: m.rows, cols: m.cols, data };
};
const CONDITIONS: Record<string, (m: Matrix) => Matrix> = {
  clean: (m) => m,
  'blur σ=1': (m) => blur(m, 1),
  'blur σ=0.5': (m) => blur(m, 0.5),
  'blur σ=0.5 on 25% of rows': (m) => partBlur(m, 0.5, 0.25),
};
const ALL = ['c2st', 'ks', 'mmd', 'cvm', 'ad', 'mmd_laplacian', 'mmd_rational_quadratic'] as const;
/** The detector and MMD kernel of a bench column. */
const columnOf = (d: (typeof ALL)[number]): { detector: 'c2st' | 'ks' | 'mmd' | 'cvm' | 'ad'; kernel: 'gaussian' | 'laplacian' | 'rational_quadratic' } =>
  d === 'mmd_laplacian' ? { detector: 'mmd', kernel: 'laplacian' } : d === 'mmd_rational_quadratic' ? { detector: 'mmd', kernel: 'rational_quadratic' } : { detector: d, kernel: 'gaussian' };
const DETECTORS = String(values.detectors).split(',') as Array<(typeof ALL)[number]>;
for (const d of DETECTORS) if (!(ALL as readonly string[]).includes(d)) throw new Error(`--detectors: ${d}: one of ${ALL.join(', ')}`);

const rand = seededRandom(2027);
const table: Record<string, Record<number, Record<string, number>>> = {};
const seconds: Record<string, number> = Object.fromEntries(DETECTORS.map((d) => [d, 0]));
const t0 = performance.now();
for (const [name, shift] of Object.entries(CONDITIONS)) {
  table[name] = {};
  for (const size of SIZES) {
    const flagged: Record<string, number> = Object.fromEntries(DETECTORS.map((d) => [d, 0]));
    for (let k = 0; k < WINDOWS; k++) {
      const r = drawRows(digits.rows, REF + size, rand);
      const ref = buildReference('digits_mlp', '1', matrixNpy(rowsOf(digits, r.slice(0, REF))), undefined, mon, { inputs: `${name}/${size}/${k}`, outputs: null }, null);
      const win = shift(rowsOf(digits, r.slice(REF)));
      for (const d of DETECTORS) {
        const c = columnOf(d);
        const s: DetectorSettings = { detectors: [c.detector], alpha: 0.05, correction: 'bonferroni', detectorCorrection: 'none', kernel: c.kernel, permutations: PERMS, mmdMaxRows: defaults.mmdMaxRows, seed: `${name}/${size}/${k}` };
        const t1 = performance.now();
        const v = await runDetectors(ref, { inputs: win, outputs: undefined }, s, (input) => Promise.resolve(mmdTest(input)));
        seconds[d] = (seconds[d] as number) + (performance.now() - t1) / 1000;
        if (v.results[0]?.skipped_reason) throw new Error(`${d}: ${v.results[0].skipped_reason}`);
        if (v.results[0]?.drifted) flagged[d] = (flagged[d] as number) + 1;
      }
    }
    table[name][size] = Object.fromEntries(DETECTORS.map((d) => [d, (flagged[d] as number) / WINDOWS]));
    process.stdout.write(`${name}, ${size} rows: ${JSON.stringify(table[name][size])}\n`);
  }
}
const runs = Object.keys(CONDITIONS).length * SIZES.length * WINDOWS;
const result = {
  date: new Date().toISOString(),
  host: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  windows: WINDOWS,
  reference_rows: REF,
  sizes: SIZES,
  alpha: 0.05,
  mmd: { kernel: 'gaussian (mmd_laplacian, mmd_rational_quadratic: those kernels)', permutations: PERMS },
  c2st: { folds: defaults.c2stFolds, C: defaults.c2stC, test: defaults.c2stTest },
  flagged: table,
  mean_seconds_per_window: Object.fromEntries(DETECTORS.map((d) => [d, (seconds[d] as number) / runs])),
  seconds: (performance.now() - t0) / 1000,
};
const header = `| condition | ${SIZES.map((s) => `${s} rows: ${DETECTORS.join(' / ')}`).join(' | ')} |`;
const lines = [header, `| --- | ${SIZES.map(() => '---').join(' | ')} |`];
for (const [name, bySize] of Object.entries(table)) lines.push(`| ${name} | ${SIZES.map((s) => DETECTORS.map((d) => (bySize[s]?.[d] as number).toFixed(2)).join(' / ')).join(' | ')} |`);
process.stdout.write(`\n${WINDOWS} windows per cell, ${REF}-row clean reference, alpha 0.05, each detector alone:\n${lines.join('\n')}\n`);
process.stdout.write(`mean seconds per window: ${JSON.stringify(result.mean_seconds_per_window)}; ${result.seconds.toFixed(0)} s in all\n`);
const outDir = join(root, 'bench/results');
await mkdir(outDir, { recursive: true });
const file = join(outDir, `${new Date().toISOString().slice(0, 10)}-monitor-power.json`);
await writeFile(file, JSON.stringify(result, null, 2) + '\n');
process.stdout.write(`wrote ${file}\n`);
