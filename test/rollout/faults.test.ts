/**
 * Rollouts under faults, end to end (same setup as canary.test.ts, a good candidate): the
 * controller SIGKILLed mid-rollout and started again; NATS stopped mid-rollout and started
 * again; a route written by a person during a rollout.
 */
import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { MODEL, Load, startRolloutMesh, testPlan } from '../helpers/rollout.js';
import { waitFor } from '../helpers/inference.js';
import { RouteStore } from '../../shared/routes/index.js';

const ended = (s: string) => s === 'completed' || s === 'rolled_back' || s === 'aborted';

// These tests are about restarts and outages, not the analysis: the latency criterion is off,
// as a process starting beside the load (the restarted controller, nats-server) stalls the
// machine in bursts that hit a version's batches together, which its exceedance test does not
// model (docs/rollout.md, limits). canary.test.ts tests it.
const criteria = { error_rate: { min_samples: 50 }, latency_p99_ratio: { enabled: 'off' }, prediction_distribution: { min_samples: 50 }, accuracy: { min_samples: 40 } };

test.serial('rollout faults - a controller SIGKILLed mid-rollout resumes where it was: no step skipped or repeated', async (t) => {
  t.timeout(240_000);
  const m = await startRolloutMesh({ candidate: 'good' });
  const load = new Load(m.f);
  try {
    await load.warm('2');
    load.start();
    await m.client.startRollout({ model: MODEL, candidate: '2', plan: testPlan({ steps: [1, 10, 50, 100], criteria }) });
    const mid = await m.waitRollout((r) => (r.state === 'running' && r.step_index === 1) || ended(r.state), 120_000, 'step 1');
    t.is(mid.state, 'running');
    // Killed mid-step, once the step's events are out: a kill between a transition's state write
    // and its events' publish can lose or reorder those events (docs/rollout.md, limits; seen once
    // in CI: step_started:1 stored after step_passed:1).
    await waitFor(async () => (await m.events()).some((e) => e.kind === 'step_started' && e.step_index === 1), 30_000, "step 1's step_started event");
    const killedAt = mid.step_started_unix_ms;
    m.controller.proc.kill('SIGKILL');
    t.is(await m.controller.exited, 'SIGKILL');
    await m.restartController();
    const done = await m.waitRollout((r) => ended(r.state) || r.state === 'paused', 180_000, 'the rollout to end');
    t.is(done.state, 'completed', done.reason);
    t.is(done.steps.find((s) => s.index === 1)?.started_unix_ms, killedAt, 'step 1 kept its start (resumed, not restarted)');
    await waitFor(async () => (await m.events()).some((e) => e.kind === 'completed'), 20_000, 'the completed event');
    const events = await m.events();
    const steps = events.filter((e) => e.kind === 'step_started' || e.kind === 'step_passed').map((e) => `${e.kind}:${e.step_index}`);
    t.deepEqual(steps, ['step_started:0', 'step_passed:0', 'step_started:1', 'step_passed:1', 'step_started:2', 'step_passed:2']);
    t.is(new Set(events.map((e) => e.meta?.event_id)).size, events.length, 'no event stored twice');
    t.true(new Set(events.map((e) => e.actor)).size >= 2, 'two controller processes acted');
  } finally {
    await load.stop();
    await m.stop();
  }
  t.is(load.failures.length, 0);
});

test.serial('rollout faults - NATS stopped during a rollout: inference keeps serving, the rollout pauses and resumes when NATS is back', async (t) => {
  t.timeout(240_000);
  const m = await startRolloutMesh({ candidate: 'good' });
  const load = new Load(m.f);
  try {
    await load.warm('2');
    load.start();
    await m.client.startRollout({ model: MODEL, candidate: '2', plan: testPlan({ steps: [10, 50, 100], hold_requests: 200, hold_ms: 4000, criteria }) });
    await m.waitRollout((r) => r.state === 'running' && r.route_revision !== '0' && !r.route_pending, 60_000, 'step 0 running');
    await m.nats.stop();
    const paused = await m.waitRollout((r) => r.state === 'paused', 30_000, 'paused while NATS is down');
    t.is(paused.reason, 'nats unavailable');
    // Inference goes on with the route it has.
    const before = load.outcomes.length;
    await sleep(2000);
    const during = load.outcomes.slice(before);
    t.true(during.length > 100, `${during.length} answers while NATS was down`);
    t.true(during.every((o) => o.ok));
    t.true(during.some((o) => o.version === '2') && during.some((o) => o.version === '1'), 'both versions serve by the route');
    await m.nats.restart();
    const done = await m.waitRollout((r) => ended(r.state), 180_000, 'the rollout to end after NATS came back');
    t.is(done.state, 'completed', done.reason);
    await waitFor(async () => (await m.events()).some((e) => e.kind === 'completed'), 20_000, 'the completed event');
    const events = await m.events();
    const pausedEvent = events.find((e) => e.kind === 'paused');
    t.is(pausedEvent?.reason, 'nats unavailable');
    t.truthy(events.find((e) => e.kind === 'resumed'));
  } finally {
    await load.stop();
    await m.stop();
  }
  t.is(load.failures.length, 0);
});

test.serial('rollout faults - a route written outside the rollout pauses it with the reason; resume needs the person', async (t) => {
  t.timeout(120_000);
  const m = await startRolloutMesh({ candidate: 'good' });
  try {
    await m.client.startRollout({ model: MODEL, candidate: '2', plan: testPlan({ hold_requests: 1_000_000 }) });
    await m.waitRollout((r) => r.state === 'running' && r.route_revision !== '0' && !r.route_pending, 60_000, 'step 0 running');
    const store = await RouteStore.create(m.nc);
    const mine = await store.put({ model: MODEL, versions: [{ version: '1', weight: 100 }], sticky: 'none', written_by: 'cli: mlmesh routes set' });
    const paused = await m.waitRollout((r) => r.state === 'paused', 30_000, 'paused');
    t.regex(paused.reason, /route changed outside the rollout: revision \d+ written by 'cli: mlmesh routes set'/);
    await sleep(1500);
    t.is(Number((await store.get(MODEL))?.route.revision), Number(mine.route.revision), 'the person’s route stays');
    const again = await m.client.startRollout({ model: MODEL, candidate: '2', plan: {} }).catch((e: unknown) => e as Error);
    t.regex(String((again as Error).message), /ALREADY_EXISTS/);
    const aborted = await m.client.abort({ model: MODEL, reason: 'test: done' });
    t.true(['rolling_back', 'aborted'].includes(aborted.rollout?.state ?? ''), aborted.rollout?.state);
  } finally {
    await m.stop();
  }
});
