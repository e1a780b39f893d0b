import test from 'ava';
import type { CriterionResult } from '../../shared/events/index.js';
import type { Rollout__Output } from '../../shared/generated/mlmesh/rollout/v1/Rollout.js';
import { decodeRollout, encodeRollout } from '../../services/rollout/codec.js';
import { applyRequest, begin, desiredRoute, observe, resume, timerDue } from '../../services/rollout/machine.js';
import { DEFAULT_PLAN, planFromJson, planFromProto, planFromRequest, planToProto } from '../../services/rollout/plan.js';
import { deltaOf, parseCounters } from '../../services/rollout/inference-metrics.js';

function fresh(patch: Record<string, unknown> = {}): Rollout__Output {
  const plan = planToProto(planFromJson({ steps: [1, 10, 100], hold_requests: 100, hold_ms: 1000, max_wait_ms: 5000, retire_grace_ms: 2000, drain_ms: 500, ...patch }));
  return decodeRollout(encodeRollout({ id: 'r-1', model: 'm', candidate: '2', baseline: '1', plan, state: 'starting', started_unix_ms: 0, route_revision: 3 }));
}

const passed = (name: string): CriterionResult => ({ name, state: 'passed' });
const obs = (results: CriterionResult[], n = 200) => ({ results, candidateRequests: n, baselineRequests: 10 * n, counters: {}, kind: 'class' });

test('machine - begin enters step 0 with its route pending and owes rollout_started and step_started', (t) => {
  const b = begin(fresh(), 1000);
  t.is(b.next.state, 'running');
  t.is(b.next.candidate_percent, 1);
  t.true(b.next.route_pending);
  t.deepEqual(b.events.map((e) => e.kind), ['rollout_started', 'step_started']);
  t.deepEqual(desiredRoute(b.next).versions, [{ version: '2', weight: 100 }, { version: '1', weight: 9900 }]);
});

test('machine - before the hold nothing moves; all passed goes to the next step; the last below 100 promotes', (t) => {
  let r = { ...begin(fresh(), 1000).next, route_pending: false };
  t.deepEqual(observe(r, obs([passed('error_rate')]), 1500).events, [], 'hold time not met');
  t.deepEqual(observe(r, obs([passed('error_rate')], 50), 5000).events, [], 'hold requests not met');
  const s1 = observe(r, obs([passed('error_rate')]), 2500);
  t.deepEqual(s1.events.map((e) => `${e.kind}:${e.stepIndex}`), ['step_passed:0', 'step_started:1']);
  t.is(s1.next.step_index, 1);
  t.is(s1.next.step_started_unix_ms, '2500');
  t.deepEqual(s1.next.steps.map((s) => s.outcome), ['passed', 'running']);
  r = { ...s1.next, route_pending: false };
  const p = observe(r, obs([passed('error_rate')]), 4000);
  t.deepEqual(p.events.map((e) => e.kind), ['step_passed', 'promoted']);
  t.is(p.next.state, 'retiring');
  t.deepEqual(desiredRoute(p.next).versions, [{ version: '2', weight: 10000 }, { version: '1', weight: 0 }]);
  t.is(timerDue(p.next, 5000), undefined, 'grace not over');
  const done = timerDue(p.next, 6000);
  t.is(done?.next.state, 'completed');
  t.is(done?.unload, '1');
  t.deepEqual(done?.events.map((e) => e.kind), ['retired', 'completed']);
  t.deepEqual(desiredRoute(done?.next as Rollout__Output).versions, [{ version: '2', weight: 10000 }]);
});

test('machine - a failed criterion rolls back with the evidence; after the drain the candidate is unloaded', (t) => {
  const r = { ...begin(fresh(), 0).next, route_pending: false };
  const f = observe(r, obs([passed('latency_p99_ratio'), { name: 'error_rate', state: 'failed', detail: '5% vs 0%' }]), 2000);
  t.is(f.next.state, 'rolling_back');
  t.is(f.events[0]?.kind, 'rolled_back');
  t.regex(f.events[0]?.reason ?? '', /error_rate failed: 5% vs 0%/);
  t.is(f.events[0]?.evidence.length, 2);
  t.deepEqual(desiredRoute(f.next).versions, [{ version: '2', weight: 0 }, { version: '1', weight: 10000 }]);
  const end = timerDue(f.next, 2600);
  t.is(end?.next.state, 'rolled_back');
  t.is(end?.unload, '2');
});

test('machine - criteria still waiting past max_wait pause with the reason, and never pass', (t) => {
  const r = { ...begin(fresh(), 0).next, route_pending: false };
  const w = [passed('error_rate'), { name: 'accuracy', state: 'waiting', detail: '3 labels of 50' }];
  t.deepEqual(observe(r, obs(w), 4000).events, []);
  const p = observe(r, obs(w), 6000);
  t.is(p.next.state, 'paused');
  t.regex(p.next.reason, /not enough data after 5 s: accuracy \(3 labels of 50\)/);
  const back = resume(p.next, 7000, 'test');
  t.is(back.next.state, 'running');
  t.is(back.next.step_index, 0, 'same step');
  t.is(back.next.step_started_unix_ms, '7000', 'its hold starts again');
  t.true(back.next.route_pending);
});

test('machine - requests: pause, resume, promote, abort; one that does not fit is dropped', (t) => {
  const r = { ...begin(fresh(), 0).next, route_pending: false };
  t.is(applyRequest({ ...r, requested: 'pause' }, 10)?.next.state, 'paused');
  t.is(applyRequest({ ...r, requested: 'resume' }, 10)?.events.length, 0);
  const pr = applyRequest({ ...r, requested: 'promote' }, 10);
  t.is(pr?.next.state, 'retiring');
  t.is(pr?.next.candidate_percent, 100);
  const ab = applyRequest({ ...r, requested: 'abort', requested_reason: 'no' }, 10);
  t.is(ab?.next.state, 'rolling_back');
  t.is(ab?.next.ending, 'aborted');
  t.is(timerDue(ab?.next as Rollout__Output, 1000)?.next.state, 'aborted');
  t.is(applyRequest(r, 10), undefined);
});

test('plan - the config section and the request override the defaults; bad fields are named', (t) => {
  const p = planFromJson({ steps: [5, 50, 100], criteria: { accuracy: { enabled: true, min_samples: 10 } }, unload: false });
  t.deepEqual(p.steps, [5, 50, 100]);
  t.is(p.criteria.accuracy.enabled, 'on');
  t.is(p.criteria.accuracy.minSamples, 10);
  t.is(p.criteria.error_rate.minSamples, DEFAULT_PLAN.criteria.error_rate.minSamples);
  t.false(p.unload);
  t.deepEqual(planFromProto(decodeRollout(encodeRollout({ model: 'm', plan: planToProto(p) })).plan), p, 'stored and read back unchanged');
  t.throws(() => planFromJson({ steps: [10, 5, 100] }), { message: /rollout.steps\[1\]: steps must ascend/ });
  t.throws(() => planFromJson({ steps: [1, 10] }), { message: /the last step must be 100/ });
  t.throws(() => planFromJson({ criteria: { speed: {} } }), { message: /rollout.criteria.speed: unknown criterion/ });
  t.throws(() => planFromJson({ hold_ms: -1 }), { message: /rollout.hold_ms/ });
  t.throws(() => planFromJson({ sticky: 'parameter' }), { message: /sticky_parameter/ });
  const q = planFromRequest(decodeRollout(encodeRollout({ plan: { hold_requests: 7, criteria: { drift: { enabled: 'off' } } } })).plan, p);
  t.is(q.holdRequests, 7);
  t.is(q.criteria.drift.enabled, 'off');
  t.deepEqual(q.steps, [5, 50, 100]);
});

test('inference metrics - per-version counters, invalid and cancelled left out; deltas since the step start, a restarted replica counted from 0', (t) => {
  const text = [
    'mlmesh_inference_request_success_total{service="inference",model="m",version="1"} 100',
    'mlmesh_inference_request_success_total{service="inference",model="m",version="2"} 10',
    'mlmesh_inference_request_failure_total{service="inference",model="m",version="2",reason="internal"} 3',
    'mlmesh_inference_request_failure_total{service="inference",model="m",version="2",reason="invalid"} 50',
    'mlmesh_inference_request_failure_total{service="inference",model="other",version="2",reason="internal"} 9',
  ].join('\n');
  const c = parseCounters(text, 'm');
  t.deepEqual(c.get('2'), { ok: 10, err: 3 });
  const start: Record<string, number> = {};
  t.deepEqual(deltaOf(new Map([['a', c]]), start, '2'), { requests: 0, errors: 0 }, 'the first scrape is the start');
  t.deepEqual(deltaOf(new Map([['a', new Map([['2', { ok: 25, err: 5 }]])]]), start, '2'), { requests: 17, errors: 2 });
  t.deepEqual(deltaOf(new Map([['a', new Map([['2', { ok: 4, err: 0 }]])]]), start, '2'), { requests: 4, errors: 0 }, 'counter went down: the replica restarted');
});

test('machine - a latency failure alone is confirmed on a fresh period: a second failure rolls back, a pass goes on; errors never wait', (t) => {
  const r = { ...begin(fresh(), 0).next, route_pending: false };
  const slow = { name: 'latency_p99_ratio', state: 'failed', detail: 'ratio 1.6', p_value: 1e-4, has_p_value: true };
  const first = observe(r, obs([passed('error_rate'), slow]), 2000);
  t.is(first.next.state, 'running', 'not rolled back on the first period');
  t.is(first.next.confirming, 'latency_p99_ratio');
  t.is(first.next.step_started_unix_ms, '2000', 'the window starts again');
  t.is(first.next.candidate_requests, '0');
  t.deepEqual(first.events.map((e) => e.kind), ['confirming']);
  t.regex(first.events[0]?.reason ?? '', /latency_p99_ratio failed: ratio 1\.6; confirming on a fresh period/);
  t.deepEqual(observe(first.next, obs([passed('error_rate'), slow]), 2500).events, [], 'the fresh period has its own hold');
  const again = observe(first.next, obs([passed('error_rate'), slow]), 3100);
  t.is(again.next.state, 'rolling_back');
  t.regex(again.events[0]?.reason ?? '', /a second period, after latency_p99_ratio failed on the first/);
  const ok = observe(first.next, obs([passed('error_rate'), passed('latency_p99_ratio')]), 3100);
  t.deepEqual(ok.events.map((e) => e.kind), ['step_passed', 'step_started']);
  t.is(ok.next.confirming, '');
  // Overwhelming latency evidence rolls back at once.
  const strong = observe(r, obs([passed('error_rate'), { ...slow, p_value: 1e-9 }]), 2000);
  t.is(strong.next.state, 'rolling_back');
  // Errors (with or without latency) roll back on the first period.
  const both = observe(r, obs([{ name: 'error_rate', state: 'failed', detail: '5%' }, slow]), 2000);
  t.is(both.next.state, 'rolling_back');
});
