/**
 * Per-segment metrics ("look for bias"): the chi-squared test against scipy, calibration (a
 * homogeneous stream flags a segment at most at alpha), power (a segment with lower accuracy or
 * other prediction rates is flagged, and it is that segment), and the engine path: segments from
 * a request parameter and from an input feature, with labels joined.
 */
import anyTest from 'ava';
import type { TestFn } from 'ava';
import { chi2Contingency, compareSegments, holmAdjust } from '../../services/monitor/segments.js';
import type { SegmentCounts } from '../../services/monitor/segments.js';
import { seededRandom } from '../../services/monitor/stats/index.js';
import { feedback, msg, setup, useEngineDir } from '../helpers/monitor-engine.js';
import type { EngineCtx } from '../helpers/monitor-engine.js';

const test = anyTest as TestFn<EngineCtx>;
useEngineDir(test);

test('segments - chi-squared of independence equals scipy chi2_contingency (Yates at 1 dof, empty columns dropped)', (t) => {
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  const r3 = chi2Contingency([[10, 20, 30], [20, 20, 20], [5, 10, 40]]);
  t.true(close(r3.statistic, 20.664983164983166) && close(r3.pValue, 0.0003689617339126451) && r3.dof === 4, JSON.stringify(r3));
  const r2 = chi2Contingency([[12, 5], [7, 15]]);
  t.true(close(r2.statistic, 4.322120391218687) && close(r2.pValue, 0.03762001663483994) && r2.dof === 1, JSON.stringify(r2));
  const r0 = chi2Contingency([[30, 2, 0], [25, 8, 0]]);
  t.true(close(r0.statistic, 2.7761815599173563) && close(r0.pValue, 0.09567602858397714), JSON.stringify(r0));
  t.true(r0.sparse, 'an expected count below 5');
  t.like(chi2Contingency([[5, 5], [0, 0]]), { pValue: 1, dof: 0 }, 'one row left: nothing to test');
  t.deepEqual(holmAdjust([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06]);
});

/** A window of segments: `n` rows each, classes drawn from `rates`, `labelled` of them labelled, right with probability `acc`. */
function window(rand: () => number, segs: ReadonlyArray<{ n: number; rates: readonly number[]; labelled: number; acc: number }>): Array<[string, SegmentCounts]> {
  return segs.map((s, i) => {
    const counts = new Array<number>(s.rates.length).fill(0);
    for (let r = 0; r < s.n; r++) {
      let u = rand();
      let k = 0;
      while (k < s.rates.length - 1 && u >= (s.rates[k] as number)) u -= s.rates[k++] as number;
      counts[k] = (counts[k] as number) + 1;
    }
    let correct = 0;
    for (let r = 0; r < s.labelled; r++) if (rand() < s.acc) correct++;
    return [`s${i}`, { rows: s.n, counts, confSum: 0, confN: 0, labelled: s.labelled, correct, numeric: 0, absErr: 0 }];
  });
}

const RATES = [0.5, 0.3, 0.2] as const;

/** The segment with the smallest p-value by `p` (raw p breaks ties among adjusted ones at 1). */
function mostSignificant<S extends { segment: string }>(segs: readonly S[], p: (s: S) => number): string | undefined {
  return [...segs].sort((a, b) => p(a) - p(b))[0]?.segment;
}

test('segments - calibration: on a homogeneous stream a segment is flagged in at most alpha of the windows', (t) => {
  const rand = seededRandom(7);
  const runs = 1000;
  const alpha = 0.05;
  let flagged = 0;
  let ratesOmnibus = 0;
  let accOmnibus = 0;
  for (let r = 0; r < runs; r++) {
    const segs = [300, 200, 150, 100].map((n) => ({ n, rates: RATES, labelled: Math.round(n / 3), acc: 0.85 }));
    const res = compareSegments(window(rand, segs), alpha);
    if (res.segments.some((s) => s.flagged)) flagged++;
    if (res.rates.pValue < alpha) ratesOmnibus++;
    if (res.accuracy.pValue < alpha) accOmnibus++;
  }
  const bound = (p: number) => p + 2.33 * Math.sqrt((p * (1 - p)) / runs);
  t.log(`flagged ${flagged}/${runs}, omnibus rates ${ratesOmnibus}/${runs}, omnibus accuracy ${accOmnibus}/${runs}`);
  t.true(flagged / runs <= bound(alpha), `any segment flagged: ${flagged}/${runs}`);
  t.true(ratesOmnibus / runs <= bound(alpha), `rates omnibus ${ratesOmnibus}/${runs}`);
  t.true(accOmnibus / runs <= bound(alpha), `accuracy omnibus ${accOmnibus}/${runs}`);
});

test('segments - power: a segment with lower accuracy, or other prediction rates, is flagged, and is the most significant one', (t) => {
  const rand = seededRandom(11);
  const runs = 200;
  let accFlag = 0;
  let accOnlyIt = 0;
  let rateFlag = 0;
  let rateOnlyIt = 0;
  for (let r = 0; r < runs; r++) {
    // Segment s2 (150 rows, 50 labelled) is right 55% of the time instead of 85%.
    const a = compareSegments(window(rand, [300, 200, 150, 100].map((n, i) => ({ n, rates: RATES, labelled: Math.round(n / 3), acc: i === 2 ? 0.55 : 0.85 }))), 0.05);
    if (a.segments.find((s) => s.segment === 's2')?.flagged) accFlag++;
    // One-vs-rest: the others are compared with a rest that holds the biased segment, so they may
    // be flagged too (in the other direction); the biased one has the smallest p-value.
    if (mostSignificant(a.segments, (s) => s.accuracyTest.pAdjusted) === 's2') accOnlyIt++;
    // Segment s3 (100 rows) is predicted class 2 for 45% of its rows instead of 20%.
    const b = compareSegments(window(rand, [300, 200, 150, 100].map((n, i) => ({ n, rates: i === 3 ? [0.35, 0.2, 0.45] : RATES, labelled: 0, acc: 0.85 }))), 0.05);
    if (b.segments.find((s) => s.segment === 's3')?.flagged) rateFlag++;
    if (mostSignificant(b.segments, (s) => s.rates.pAdjusted) === 's3') rateOnlyIt++;
  }
  t.log(`accuracy bias flagged ${accFlag}/${runs} (the most significant ${accOnlyIt}), rate bias flagged ${rateFlag}/${runs} (the most significant ${rateOnlyIt})`);
  t.true(accFlag / runs >= 0.9, `accuracy: ${accFlag}/${runs}`);
  t.true(rateFlag / runs >= 0.9, `rates: ${rateFlag}/${runs}`);
  t.true(accOnlyIt / runs >= 0.9 && rateOnlyIt / runs >= 0.9, 'the biased segment has the smallest p-value');
});

const probs = (c: number): number[] => [0, 1, 2].map((k) => (k === c ? 0.7 : 0.15));

test('segments - the engine: segments from a request parameter, accuracy per segment from joined labels, the rest pooled', async (t) => {
  const { engine } = await setup(t.context, { window_rows: 50, window_seconds: 0, detectors: ['ks'], label_queue_rows: 0, segment_parameter: 'region' });
  const regions = ['north', 'south', 'east', 'west'];
  // 200 rows; request k in region k % 4 (k % 20 === 19, in the west, has no region), class k % 3.
  await engine.applyPredictions(
    Array.from({ length: 200 }, (_, k) => msg(k + 1, [[Math.sin(k), Math.cos(k)]], { requestId: `r${k}`, probs: [probs(k % 3)], ...(k % 20 === 19 ? {} : { parameters: { region: regions[k % 4] as string, other: 'x' } }) })),
  );
  // Labels for every row: 'south' is right 40% of the time, the others always.
  await engine.applyFeedback(Array.from({ length: 200 }, (_, k) => feedback(k + 1, { request_id: `r${k}`, model: 'm', label: String(k % 4 === 1 && k % 5 < 3 ? (k + 1) % 3 : k % 3) })));
  const r = await engine.segments('m', '1', 0, Number.MAX_SAFE_INTEGER, 20);
  t.is(r.segmentBy, 'parameter region');
  t.is(r.rows, 200);
  t.is(r.labelled, 200);
  const by = new Map(r.segments.map((s) => [s.segment, s]));
  t.deepEqual([...by.keys()].sort(), ['(none)', 'east', 'north', 'south', 'west']);
  t.is(by.get('(none)')?.rows, 10);
  t.is(by.get('north')?.rows, 50);
  t.is(by.get('south')?.rows, 50);
  t.is(by.get('west')?.rows, 40);
  const south = by.get('south');
  t.true((south?.accuracy ?? 1) < 0.5, `south accuracy ${south?.accuracy}`);
  t.true(south?.flagged);
  t.is(mostSignificant(r.segments, (s) => s.accuracyTest.pValue), 'south');
  t.is(by.get('north')?.accuracy, 1);
  t.true(Math.abs((by.get('north')?.meanConfidence ?? 0) - 0.7) < 1e-6);
  t.true(r.accuracy.pValue < 1e-6);
  // One window only; and the two smallest pooled with maxSegments 4.
  t.is((await engine.segments('m', '1', 1, 1, 20)).rows, 50);
  const pooled = await engine.segments('m', '1', 0, Number.MAX_SAFE_INTEGER, 4);
  t.deepEqual(pooled.segments.map((s) => s.segment), ['east', 'north', 'south', '(other)']);
  t.is(pooled.segments[3]?.rows, 50);
});

test('segments - the engine: segments from an input feature', async (t) => {
  const { engine } = await setup(t.context, { window_rows: 40, window_seconds: 0, detectors: ['ks'], label_queue_rows: 0, segment_feature: 'group', feature_names: ['x', 'group'] });
  await engine.applyPredictions(Array.from({ length: 40 }, (_, k) => msg(k + 1, [[k, k % 2]], { requestId: `f${k}`, probs: [probs(k % 2 === 1 ? 2 : k % 3)] })));
  const r = await engine.segments('m', '1', 0, Number.MAX_SAFE_INTEGER, 20);
  t.is(r.segmentBy, 'feature group');
  t.deepEqual(r.segments.map((s) => [s.segment, s.rows]), [['0', 20], ['1', 20]]);
  t.deepEqual(r.segments.find((s) => s.segment === '1')?.classCounts, [0, 0, 20]);
  t.true(r.rates.pValue < 1e-4, 'group 1 is always predicted class 2');
  t.true(r.segments.every((s) => s.flagged));
});
