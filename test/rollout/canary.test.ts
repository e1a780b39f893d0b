/**
 * Rollouts end to end: a private nats-server, the inference service serving digits_mlp versions
 * 1 and 2, the rollout service as a child process, and 32 requests in flight without
 * model_version all along. Version 2 is good (a copy of 1), or a fixture of
 * tools/make_rollout_fixtures.ts: flaky (fails batches holding a row whose first pixel is
 * above 0.9), slow (same answers, ~100 MFLOP more per row), permuted (wrong classes, fast).
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { MODEL, Load, startRolloutMesh, testPlan } from '../helpers/rollout.js';
import type { CandidateKind, RolloutMesh } from '../helpers/rollout.js';
import { withinBinomial } from '../helpers/routing.js';
import { waitFor } from '../helpers/inference.js';
import type { ModelEvent__Output } from '../../shared/events/index.js';
import type { RolloutPlan } from '../../shared/generated/mlmesh/rollout/v1/RolloutPlan.js';

/** The ModelEvents' kinds in order. */
const kinds = (es: readonly ModelEvent__Output[]) => es.map((e) => `${e.kind}${e.kind.startsWith('step') ? `:${e.step_index}` : ''}`);

async function withMesh(t: ExecutionContext, candidate: CandidateKind, run: (m: RolloutMesh) => Promise<void>): Promise<void> {
  t.timeout(240_000);
  const m = await startRolloutMesh({ candidate });
  try {
    await run(m);
  } catch (e: unknown) {
    t.log(m.controller.stdout.slice(-30).join('\n'));
    throw e;
  } finally {
    await m.stop();
  }
}

/** Converts the JSON-ish test plan into the request's RolloutPlan (criteria become CriterionPlans). */
function plan(patch: Record<string, unknown> = {}): RolloutPlan {
  return testPlan(patch);
}

test.serial('rollout - a good candidate goes 1 → 10 → 100 with no failed request; each step’s observed share is within 4σ of its weight', (t) =>
  withMesh(t, 'good', async (m) => {
    const load = new Load(m.f);
    await load.warm('2');
    load.start();
    try {
      const started = await m.client.startRollout({ model: MODEL, candidate: '2', plan: plan() });
      t.is(started.rollout?.baseline, '1');
      const done = await m.waitRollout((r) => r.state === 'completed' || r.state === 'rolled_back' || r.state === 'paused', 180_000, 'the rollout to end');
      t.is(done.state, 'completed', done.reason);
    } finally {
      await load.stop();
    }
    t.is(load.failures.length, 0, `failed: ${JSON.stringify(load.failures.slice(0, 3))}`);
    // The state is written first; the route, the unload and then the events follow.
    await waitFor(async () => (await m.events()).some((e) => e.kind === 'completed'), 20_000, 'the completed event');
    const events = await m.events();
    // A latency failure alone is confirmed before it rolls back (docs/rollout.md, `confirming`):
    // on a loaded box a good candidate's p99 ratio can fail one window and pass the next. That is
    // allowed here, only that: no other criterion may have failed, and the step then passed.
    for (const c of events.filter((e) => e.kind === 'confirming')) {
      const failed = c.evidence.filter((x) => x.state === 'failed').map((x) => x.name);
      t.log(`step ${c.step_index}: confirming (${failed.join(', ')} failed once)`);
      t.deepEqual(failed, ['latency_p99_ratio'], `confirming with ${failed.join(', ')} failed`);
    }
    t.deepEqual(
      kinds(events.filter((e) => e.kind !== 'confirming')),
      ['rollout_started', 'step_started:0', 'step_passed:0', 'step_started:1', 'step_passed:1', 'promoted', 'retired', 'completed'],
    );
    // Every step's route revision is in the events; the responses under it split by its weight.
    for (const e of events.filter((x) => x.kind === 'step_started')) {
      const under = load.outcomes.filter((o) => o.routeRevision === e.route_revision);
      const onCandidate = under.filter((o) => o.version === '2').length;
      t.log(`step ${e.step_index} (${e.candidate_percent}%): ${onCandidate} of ${under.length} on the candidate`);
      t.true(under.length > 100, `step ${e.step_index}: ${under.length} requests under revision ${e.route_revision}`);
      t.true(withinBinomial(onCandidate, under.length, e.candidate_percent / 100), `step ${e.step_index}: ${onCandidate}/${under.length} vs ${e.candidate_percent}%`);
    }
    const passed = events.find((e) => e.kind === 'step_passed');
    t.deepEqual(
      passed?.evidence.map((c) => [c.name, c.state]),
      [
        ['error_rate', 'passed'],
        ['latency_p99_ratio', 'passed'],
        ['prediction_distribution', 'passed'],
        ['agreement', 'disabled'],
        ['accuracy', 'disabled'],
        ['drift', 'disabled'],
      ],
    );
    t.true(Number(passed?.evidence[0]?.candidate_samples) >= 50);
    // Completed: version 1 is unloaded, the route names version 2 alone.
    const after = await m.f.client.infer({ model_name: MODEL, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }], raw_input_contents: [Buffer.alloc(256)] });
    t.is(after.model_version, '2');
    t.false((await m.f.client.modelReady(MODEL, '1')).ready);
  }),
);

test.serial('rollout - a candidate that fails some requests is rolled back at the first step on the error rate, then unloaded', (t) =>
  withMesh(t, 'flaky', async (m) => {
    // The step at 1% holds about 60 candidate requests (testPlan's hold_requests): a candidate
    // failing 5% of them fails none there 0.95^60 = 4.6% of the time and passes the step (seen
    // once in CI); at 15% that is 0.85^60 = 6e-5. (The error criterion's power at a small step
    // is hold_requests' business: docs/rollout.md, Limits.)
    const load = new Load(m.f, { badPixelShare: 0.15 });
    await load.warm('2');
    load.start();
    try {
      await m.client.startRollout({ model: MODEL, candidate: '2', plan: plan() });
      const done = await m.waitRollout((r) => r.state === 'rolled_back' || r.state === 'completed' || r.state === 'paused', 180_000, 'the roll-back');
      t.is(done.state, 'rolled_back', done.reason);
      t.is(done.step_index, 0);
      t.regex(done.reason, /error_rate failed/);
    } finally {
      await load.stop();
    }
    await waitFor(async () => !(await m.f.client.modelReady(MODEL, '2')).ready, 20_000, 'the candidate unloaded');
    const back = (await m.events()).find((e) => e.kind === 'rolled_back');
    const err = back?.evidence.find((c) => c.name === 'error_rate');
    t.is(err?.state, 'failed');
    t.true(Number(err?.details['candidate_errors']) > 0 && Number(err?.details['baseline_errors']) === 0, JSON.stringify(err?.details));
    t.false((await m.f.client.modelReady(MODEL, '2')).ready, 'the candidate is unloaded');
    t.true((await m.f.client.modelReady(MODEL, '1')).ready);
  }),
);

test.serial('rollout - a slow candidate is rolled back on the p99 latency ratio', (t) =>
  withMesh(t, 'slow', async (m) => {
    const load = new Load(m.f);
    await load.warm('2');
    load.start();
    try {
      await m.client.startRollout({ model: MODEL, candidate: '2', plan: plan() });
      const done = await m.waitRollout((r) => r.state === 'rolled_back' || r.state === 'completed' || r.state === 'paused', 180_000, 'the roll-back');
      const trail = (await m.events()).map((e) => `${e.kind}@${e.step_index}: ${e.evidence.find((c) => c.name === 'latency_p99_ratio')?.detail ?? e.reason}`);
      t.is(done.state, 'rolled_back', `${done.reason}\n${trail.join('\n')}`);
      t.regex(done.reason, /latency_p99_ratio failed/);
      t.is(load.failures.length, 0);
    } finally {
      await load.stop();
    }
    const lat = (await m.events()).find((e) => e.kind === 'rolled_back')?.evidence.find((c) => c.name === 'latency_p99_ratio');
    t.log(lat?.detail);
    t.true((lat?.statistic ?? 0) > 1.5);
  }),
);

test.serial('rollout - a wrong but fast candidate is rolled back on the prediction distribution before any label', (t) =>
  withMesh(t, 'permuted', async (m) => {
    const load = new Load(m.f);
    await load.warm('2');
    load.start();
    try {
      await m.client.startRollout({ model: MODEL, candidate: '2', plan: plan() });
      const done = await m.waitRollout((r) => r.state === 'rolled_back' || r.state === 'completed' || r.state === 'paused', 180_000, 'the roll-back');
      t.is(done.state, 'rolled_back', done.reason);
      t.regex(done.reason, /prediction_distribution failed/);
      t.is(done.step_index, 0);
      t.is(load.failures.length, 0);
    } finally {
      await load.stop();
    }
    const evidence = (await m.events()).find((e) => e.kind === 'rolled_back')?.evidence ?? [];
    t.is(evidence.find((c) => c.name === 'accuracy')?.state, 'disabled', 'no label arrived');
    t.is(evidence.find((c) => c.name === 'error_rate')?.state, 'passed');
  }),
);

test.serial('rollout - with the distribution check off, the wrong candidate is rolled back on live accuracy once labels arrive', (t) =>
  withMesh(t, 'permuted', async (m) => {
    const labels: Promise<void>[] = [];
    const load = new Load(m.f, { onAnswer: (o) => void labels.push(m.label(o.requestId, o.label)) });
    await load.warm('2');
    load.start();
    try {
      await m.client.startRollout({ model: MODEL, candidate: '2', plan: plan({ criteria: { prediction_distribution: { enabled: 'off' }, accuracy: { enabled: 'on', min_samples: 40 }, error_rate: { min_samples: 50 }, latency_p99_ratio: { min_samples: 50 } } }) });
      const done = await m.waitRollout((r) => r.state === 'rolled_back' || r.state === 'completed' || r.state === 'paused', 180_000, 'the roll-back');
      t.is(done.state, 'rolled_back', done.reason);
      t.regex(done.reason, /accuracy failed/);
    } finally {
      await load.stop();
      await Promise.allSettled(labels);
    }
    const acc = (await m.events()).find((e) => e.kind === 'rolled_back')?.evidence.find((c) => c.name === 'accuracy');
    t.log(acc?.detail);
    t.true(Number(acc?.details['baseline_accuracy']) > 0.9 && Number(acc?.details['candidate_accuracy']) < 0.2, JSON.stringify(acc?.details));
    t.true(Number(acc?.candidate_samples) >= 40);
  }),
);
