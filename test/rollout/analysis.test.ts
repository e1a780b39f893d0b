import test from 'ava';
import { seededRandom } from '../../services/monitor/stats/index.js';
import { DEFAULT_CRITERIA, analyse, accuracy, agreement, emptySample, errorRate, hypergeometricSf, latencyP99Ratio, predictionDistribution, stepVerdict } from '../../services/rollout/analysis.js';
import type { CriterionSettings, VersionSample } from '../../services/rollout/analysis.js';

const TRIALS = 200;

/** Most false failures allowed in TRIALS trials at level alpha: the mean plus three binomial standard deviations. */
function bound(alpha: number): number {
  return Math.ceil(TRIALS * alpha + 3 * Math.sqrt(TRIALS * alpha * (1 - alpha)));
}

/** The test alone (no effect-size margin), so the p-value's calibration is what is checked. */
function testOnly(base: CriterionSettings, alpha = 0.05): CriterionSettings {
  return { ...base, alpha, threshold: 0, enabled: 'on' };
}

function exp(rand: () => number, mean: number): number {
  return -mean * Math.log(1 - rand());
}

function sample(rand: () => number, n: number, opts: { errRate?: number; latencyMeanUs?: number; classes?: readonly number[]; valueShift?: number; accuracy?: number } = {}): VersionSample {
  const s = emptySample();
  const lat: number[] = [];
  const values: number[] = [];
  const counts = new Map<number, number>();
  let errors = 0;
  let correct = 0;
  const classes = opts.classes ?? [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
  for (let i = 0; i < n; i++) {
    if (rand() < (opts.errRate ?? 0.01)) errors++;
    lat.push(2000 + exp(rand, opts.latencyMeanUs ?? 1000));
    let u = rand();
    let k = 0;
    while (k < classes.length - 1 && u >= (classes[k] as number)) u -= classes[k++] as number;
    counts.set(k, (counts.get(k) ?? 0) + 1);
    values.push(Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()) + (opts.valueShift ?? 0));
    if (rand() < (opts.accuracy ?? 0.9)) correct++;
  }
  return { ...s, requests: n, errors, latenciesUs: lat, classCounts: counts, values, labeled: n, correct };
}

function falseFailures(run: (rand: () => number) => string, seed: number): number {
  let failed = 0;
  for (let t = 0; t < TRIALS; t++) if (run(seededRandom(seed + t)) === 'failed') failed++;
  return failed;
}

test('analysis - error rate: same rate fails at most about alpha (200 seeded trials), the defaults about never', (t) => {
  const s = testOnly(DEFAULT_CRITERIA.error_rate);
  const f = falseFailures((r) => errorRate(sample(r, 300, { errRate: 0.03 }), sample(r, 3000, { errRate: 0.03 }), s).state, 1000);
  t.log(`test alone at alpha 0.05: ${f}/${TRIALS} false failures`);
  t.true(f <= bound(0.05));
  const d = falseFailures((r) => errorRate(sample(r, 300, { errRate: 0.03 }), sample(r, 3000, { errRate: 0.03 }), DEFAULT_CRITERIA.error_rate).state, 2000);
  t.true(d <= bound(DEFAULT_CRITERIA.error_rate.alpha));
});

test('analysis - error rate: a candidate failing 8% against 1% fails (power)', (t) => {
  const f = falseFailures((r) => errorRate(sample(r, 300, { errRate: 0.08 }), sample(r, 3000, { errRate: 0.01 }), DEFAULT_CRITERIA.error_rate).state, 3000);
  t.log(`${f}/${TRIALS} detected`);
  t.true(f >= 0.95 * TRIALS);
});

test('analysis - error rate waits below the minimum sample and never passes then', (t) => {
  const r = errorRate(sample(seededRandom(1), 20, { errRate: 0.5 }), sample(seededRandom(2), 2000), DEFAULT_CRITERIA.error_rate);
  t.is(r.state, 'waiting');
  t.is(r.candidate_samples, 20);
  t.is(stepVerdict([r, { state: 'passed' }]), 'waiting');
});

test('analysis - p99 latency: same distribution fails at most about alpha; a 3x slower candidate fails', (t) => {
  const s = testOnly(DEFAULT_CRITERIA.latency_p99_ratio);
  const f = falseFailures((r) => latencyP99Ratio(sample(r, 200), sample(r, 2000), s).state, 4000);
  t.log(`test alone at alpha 0.05: ${f}/${TRIALS} false failures`);
  t.true(f <= bound(0.05));
  const same = falseFailures((r) => latencyP99Ratio(sample(r, 200), sample(r, 200), s).state, 4500);
  t.log(`equal sizes, test alone: ${same}/${TRIALS}`);
  t.true(same <= bound(0.05));
  const p = falseFailures((r) => latencyP99Ratio(sample(r, 200, { latencyMeanUs: 6000 }), sample(r, 2000), DEFAULT_CRITERIA.latency_p99_ratio).state, 5000);
  t.log(`slow candidate: ${p}/${TRIALS} detected`);
  t.true(p >= 0.95 * TRIALS);
});

test('analysis - hypergeometric tail matches a direct sum', (t) => {
  // N=10, K=4, n=3: P(X>=2) = (C(4,2)C(6,1) + C(4,3)C(6,0)) / C(10,3) = (36 + 4) / 120.
  t.true(Math.abs(hypergeometricSf(2, 10, 4, 3) - 40 / 120) < 1e-9);
  t.is(hypergeometricSf(0, 10, 4, 3), 1);
  t.is(hypergeometricSf(4, 10, 4, 3), 0);
});

test('analysis - predicted classes: same distribution fails at most about alpha; permuted labels fail', (t) => {
  const s = testOnly(DEFAULT_CRITERIA.prediction_distribution);
  const f = falseFailures((r) => predictionDistribution(sample(r, 300), sample(r, 3000), 'class', s).state, 6000);
  t.log(`test alone at alpha 0.05: ${f}/${TRIALS} false failures`);
  t.true(f <= bound(0.05));
  const skewed = [0.3, 0.3, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05];
  const p = falseFailures((r) => predictionDistribution(sample(r, 300, { classes: skewed }), sample(r, 3000), 'class', DEFAULT_CRITERIA.prediction_distribution).state, 7000);
  t.log(`shifted classes: ${p}/${TRIALS} detected`);
  t.true(p >= 0.95 * TRIALS);
});

test('analysis - output values: same distribution fails at most about alpha; a shifted regressor fails', (t) => {
  const s = testOnly(DEFAULT_CRITERIA.prediction_distribution);
  const f = falseFailures((r) => predictionDistribution(sample(r, 300), sample(r, 3000), 'value', s).state, 8000);
  t.log(`test alone at alpha 0.05: ${f}/${TRIALS} false failures`);
  t.true(f <= bound(0.05));
  const p = falseFailures((r) => predictionDistribution(sample(r, 300, { valueShift: 0.5 }), sample(r, 3000), 'value', DEFAULT_CRITERIA.prediction_distribution).state, 9000);
  t.log(`shifted outputs: ${p}/${TRIALS} detected`);
  t.true(p >= 0.95 * TRIALS);
});

test('analysis - accuracy: same accuracy fails at most about alpha; 70% against 90% fails; no label: disabled under auto', (t) => {
  const s = testOnly(DEFAULT_CRITERIA.accuracy);
  const f = falseFailures((r) => accuracy(sample(r, 200), sample(r, 2000), true, s).state, 10000);
  t.log(`test alone at alpha 0.05: ${f}/${TRIALS} false failures`);
  t.true(f <= bound(0.05));
  const p = falseFailures((r) => accuracy(sample(r, 100, { accuracy: 0.7 }), sample(r, 1000, { accuracy: 0.9 }), true, DEFAULT_CRITERIA.accuracy).state, 11000);
  t.log(`worse candidate: ${p}/${TRIALS} detected`);
  t.true(p >= 0.95 * TRIALS);
  t.is(accuracy(emptySample(), emptySample(), false, DEFAULT_CRITERIA.accuracy).state, 'disabled');
  t.is(accuracy(emptySample(), emptySample(), true, DEFAULT_CRITERIA.accuracy).state, 'waiting');
});

test('analysis - agreement: at the threshold fails at most about alpha; 60% agreement fails', (t) => {
  const s = { ...DEFAULT_CRITERIA.agreement, alpha: 0.05, enabled: 'on' as const };
  const run = (rate: number) => (r: () => number) => {
    let agreed = 0;
    for (let i = 0; i < 200; i++) if (r() < rate) agreed++;
    return agreement(200, agreed, true, s).state;
  };
  const f = falseFailures(run(s.threshold), 12000);
  t.log(`at the threshold: ${f}/${TRIALS} false failures`);
  t.true(f <= bound(0.05));
  t.true(falseFailures(run(0.6), 13000) >= 0.95 * TRIALS);
  t.is(agreement(0, 0, false, DEFAULT_CRITERIA.agreement).state, 'disabled');
});

test('analysis - analyse reports every criterion; all defaults on clean data pass', (t) => {
  const r = seededRandom(42);
  const res = analyse({ candidate: sample(r, 500), baseline: sample(r, 5000), kind: 'class', pairs: 0, agreed: 0, driftReports: 0, driftedReports: 0, anyLabel: true, shadow: false }, DEFAULT_CRITERIA);
  t.deepEqual(
    res.map((x) => x.name),
    ['error_rate', 'latency_p99_ratio', 'prediction_distribution', 'agreement', 'accuracy', 'drift'],
  );
  t.is(stepVerdict(res), 'passed');
  t.deepEqual(
    res.map((x) => x.state),
    ['passed', 'passed', 'passed', 'disabled', 'passed', 'disabled'],
  );
  const drifted = analyse({ candidate: sample(r, 500), baseline: sample(r, 5000), kind: 'class', pairs: 0, agreed: 0, driftReports: 2, driftedReports: 1, anyLabel: false, shadow: false }, DEFAULT_CRITERIA);
  t.is(drifted.find((x) => x.name === 'drift')?.state, 'failed');
  t.is(stepVerdict(drifted), 'failed');
});
