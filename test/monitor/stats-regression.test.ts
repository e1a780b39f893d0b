/**
 * Regression models (monitoring.output_kind "regression"): drift on the predicted value. bbsd
 * runs KS on each output column (the predicted values); confidence and predicted_class, which
 * need class probabilities, are skipped with the reason. Calibration on clean windows and power
 * on a covariate shift that moves the predictions.
 */
import test from 'ava';
import { runDetectors } from '../../services/monitor/detectors.js';
import type { DetectorSettings } from '../../services/monitor/detectors.js';
import { buildReference } from '../../services/monitor/reference.js';
import { parseMonitoring } from '../../services/monitor/model-monitoring.js';
import { resolveMonitorConfig } from '../../services/monitor/config.js';
import type { Matrix } from '../../services/monitor/matrix.js';
import { mmdTest, seededRandom } from '../../services/monitor/stats/index.js';
import { matrixNpy } from '../helpers/digits.js';

const mon = parseMonitoring({ output_kind: 'regression' }, resolveMonitorConfig({ env: {} }), 'regressor');
const mmdInline = (input: Parameters<typeof mmdTest>[0]) => Promise.resolve(mmdTest(input));
const bound = (alpha: number, n: number): number => alpha + 2.33 * Math.sqrt((alpha * (1 - alpha)) / n);
const settings = (seed: string): DetectorSettings => ({ detectors: ['bbsd', 'confidence', 'predicted_class'], alpha: 0.05, correction: 'bonferroni', detectorCorrection: 'holm', kernel: 'gaussian', permutations: 1, mmdMaxRows: 1000, seed, outputKind: 'regression' });

const W = [1.5, -0.5, 0.2, 0, 0.8];
function sample(rows: number, rand: () => number, shift: number): { x: Matrix; y: Matrix } {
  const g = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const x = Float64Array.from({ length: rows * 5 }, (_, i) => g() + (i % 5 === 0 ? shift : 0));
  const y = Float64Array.from({ length: rows }, (_, r) => W.reduce((s, w, j) => s + w * (x[r * 5 + j] as number), 0.3));
  return { x: { rows, cols: 5, data: x }, y: { rows, cols: 1, data: Float64Array.from(Float32Array.from(y)) } };
}

test('regression - the predicted value\'s drift: clean windows at most alpha + 2.33 sd, a 0.5-sd shift of the strongest feature flagged; class detectors skipped', async (t) => {
  t.is(mon.outputKind, 'regression');
  const rand = seededRandom(503);
  const windows = 200;
  let clean = 0;
  let shifted = 0;
  for (let k = 0; k < windows; k++) {
    const r = sample(300, rand, 0);
    const ref = buildReference('m', '1', matrixNpy(r.x), matrixNpy(r.y), mon, { inputs: `r${k}`, outputs: `r${k}` }, null);
    const c = sample(150, rand, 0);
    const v = await runDetectors(ref, { inputs: c.x, outputs: c.y }, settings(`c${k}`), mmdInline);
    const bbsd = v.results.find((x) => x.detector === 'bbsd');
    t.is(bbsd?.features?.[0]?.feature, 'prediction_0');
    if (v.drifted) clean++;
    for (const d of ['confidence', 'predicted_class']) t.regex(v.results.find((x) => x.detector === d)?.skipped_reason ?? '', /regressor/);
    if (k < 40) {
      const s = sample(150, rand, 0.5);
      if ((await runDetectors(ref, { inputs: s.x, outputs: s.y }, settings(`s${k}`), mmdInline)).drifted) shifted++;
    }
  }
  t.log(`clean ${clean}/${windows}, shifted ${shifted}/40`);
  t.true(clean / windows <= bound(0.05, windows));
  t.true(shifted >= 36);
});
