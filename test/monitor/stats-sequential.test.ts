/**
 * Sequential detection over window p-values (stats/sequential.ts): the CUSUM threshold
 * simulated for a configured expected run time (ERT) between false alarms gives about that ERT
 * on clean streams (independent uniform p-values, and real clean digits windows tested by KS),
 * and a shift is detected with a bounded delay.
 */
import test from 'ava';
import { runDetectors } from '../../services/monitor/detectors.js';
import type { DetectorSettings } from '../../services/monitor/detectors.js';
import { buildReference } from '../../services/monitor/reference.js';
import { parseMonitoring } from '../../services/monitor/model-monitoring.js';
import { resolveMonitorConfig } from '../../services/monitor/config.js';
import { cusumStep, cusumThreshold, mmdTest, normalQuantile, seededRandom } from '../../services/monitor/stats/index.js';
import { allDigits, blur, drawRows, matrixNpy, rowsOf } from '../helpers/digits.js';

const K = 0.5;
const mon = parseMonitoring(undefined, resolveMonitorConfig({ env: {} }), 'seq');
const mmdInline = (input: Parameters<typeof mmdTest>[0]) => Promise.resolve(mmdTest(input));
const settings = (seed: string): DetectorSettings => ({ detectors: ['mmd'], alpha: 0.05, correction: 'bonferroni', detectorCorrection: 'none', kernel: 'gaussian', permutations: 99, mmdMaxRows: 1000, seed });

test('sequential - the normal quantile equals known values', (t) => {
  t.true(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-8);
  t.true(Math.abs(normalQuantile(1e-10) + 6.361340902404056) < 1e-7);
  t.true(Math.abs(normalQuantile(0.5)) < 1e-12);
});

test('sequential - on independent uniform p-values the run length to a false alarm is the configured ERT (±15%)', (t) => {
  for (const ert of [20, 100]) {
    const h = cusumThreshold(ert, K);
    const rand = seededRandom(401 + ert);
    const runs = 600;
    let total = 0;
    for (let r = 0; r < runs; r++) {
      let s = 0;
      let n = 0;
      for (;;) {
        n++;
        const step = cusumStep(s, 1 - rand(), K, h);
        s = step.s;
        if (step.alarm) break;
      }
      total += n;
    }
    const mean = total / runs;
    t.log(`ERT ${ert}: h = ${h.toFixed(3)}, mean run length ${mean.toFixed(1)} over ${runs} runs`);
    t.true(Math.abs(mean - ert) <= 0.15 * ert, `mean run length ${mean}`);
  }
});

test('sequential - clean digits windows (MMD p-values) alarm after about the ERT on average; blurred windows alarm within 2 windows', async (t) => {
  t.timeout(300_000);
  const digits = allDigits();
  const rand = seededRandom(409);
  const ert = 20;
  const h = cusumThreshold(ert, K);
  // 12 streams, each with its own 300-row reference; windows of 50 fresh clean rows until the
  // alarm (at most 100 windows), so run lengths are measured as the monitor would see them.
  const lengths: number[] = [];
  const delays: number[] = [];
  for (let stream = 0; stream < 12; stream++) {
    const refRows = drawRows(digits.rows, 300, rand);
    const ref = buildReference('m', '1', matrixNpy(rowsOf(digits, refRows)), undefined, mon, { inputs: `s${stream}`, outputs: null }, null);
    const rest = new Set(refRows);
    let s = 0;
    let n = 0;
    for (; n < 100; ) {
      n++;
      const v = await runDetectors(ref, { inputs: rowsOf(digits, drawRows(digits.rows, 50, rand, rest)), outputs: undefined }, settings(`c${stream}/${n}`), mmdInline);
      const step = cusumStep(s, v.results[0]?.p_value as number, K, h);
      s = step.s;
      if (step.alarm) break;
    }
    lengths.push(n);
    // After the change: blurred (σ = 0.5) windows, starting from a restarted statistic.
    let d = 0;
    s = 0;
    for (;;) {
      d++;
      const v = await runDetectors(ref, { inputs: blur(rowsOf(digits, drawRows(digits.rows, 50, rand, rest)), 0.5), outputs: undefined }, settings(`b${stream}/${d}`), mmdInline);
      const step = cusumStep(s, v.results[0]?.p_value as number, K, h);
      s = step.s;
      if (step.alarm || d >= 10) break;
    }
    delays.push(d);
  }
  const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
  t.log(`h = ${h.toFixed(3)} for ERT ${ert}: clean run lengths ${lengths.join(',')} (mean ${mean.toFixed(1)}); delays after the shift ${delays.join(',')}`);
  // Windows share their stream's reference (positively correlated p-values), and 12 streams
  // are few: the ERT holds roughly, not to a few percent.
  t.true(mean >= 0.5 * ert, `mean clean run length ${mean}`);
  t.true(Math.max(...delays) <= 2);
});
