/**
 * The rollout state machine, pure: from a Rollout and what happened (an analysis, a request, a
 * timer, a foreign route) to the next Rollout and the events it owes. The controller
 * (controller.ts) persists the next state (compare-and-set), writes its route when
 * `route_pending`, unloads what a transition says, and publishes the events.
 *
 *   starting ─► running(step 0) ─► running(step 1) … ─► retiring(100%) ─► completed
 *                  │  ▲ pause/resume      │ failed criterion / abort
 *                  ▼  │                   ▼
 *                 paused ─────────────► rolling_back ─► rolled_back | aborted
 */
import type { CriterionResult, Route } from '../../shared/events/index.js';
import type { Rollout__Output } from '../../shared/generated/mlmesh/rollout/v1/Rollout.js';
import { stepVerdict } from './analysis.js';
import { planFromProto } from './plan.js';

/** The states of a rollout. */
export const PHASES = ['starting', 'running', 'paused', 'rolling_back', 'retiring', 'completed', 'rolled_back', 'aborted'] as const;
/** One of {@link PHASES}. */
export type Phase = (typeof PHASES)[number];

/** States a rollout ends in. */
export const TERMINAL: ReadonlySet<string> = new Set(['completed', 'rolled_back', 'aborted']);

/** Whether the rollout still acts (not ended). */
export function isActive(r: Pick<Rollout__Output, 'state'>): boolean {
  return !TERMINAL.has(r.state);
}

/** An event a transition owes (the controller adds meta, model, ids, route revision, actor). */
export interface EventDraft {
  kind: 'rollout_started' | 'step_started' | 'step_passed' | 'confirming' | 'promoted' | 'rolled_back' | 'aborted' | 'paused' | 'resumed' | 'completed' | 'retired';
  reason: string;
  evidence: CriterionResult[];
  stepIndex: number;
  candidatePercent: number;
}

/** A transition: the next state, the events, and a version to unload once its route is written. */
export interface Transition {
  next: Rollout__Output;
  events: EventDraft[];
  unload?: string;
}

/** Requests that RPCs leave for the acting controller. */
export type Requested = 'pause' | 'resume' | 'promote' | 'abort';

const num = (v: string | number): number => Number(v);

function clone(r: Rollout__Output, now: number): Rollout__Output {
  return { ...r, steps: r.steps.map((s) => ({ ...s })), criteria: [...r.criteria], counters_at_step_start: { ...r.counters_at_step_start }, updated_unix_ms: String(now) };
}

function draft(r: Rollout__Output, kind: EventDraft['kind'], reason: string, evidence: CriterionResult[] = []): EventDraft {
  return { kind, reason, evidence, stepIndex: r.step_index, candidatePercent: r.candidate_percent };
}

function endStep(r: Rollout__Output, outcome: string, now: number): void {
  const s = r.steps.at(-1);
  if (s && s.outcome === 'running') {
    s.outcome = outcome;
    s.ended_unix_ms = String(now);
    s.candidate_requests = r.candidate_requests;
    s.baseline_requests = r.baseline_requests;
    s.criteria = [...r.criteria] as typeof s.criteria;
  }
}

/**
 * Criteria whose failure alone is confirmed on a fresh period before a roll-back: latency, whose
 * samples are not independent (requests of one batch share their latency; a stall of the
 * machine slows a burst of them). Errors and predictions roll back at once.
 */
export const CONFIRMED_CRITERIA: ReadonlySet<string> = new Set(['latency_p99_ratio']);

/**
 * A latency failure with a p-value below this is not confirmed: it rolls back at once. Seen: a
 * slow candidate at p = 4e-14, stall-induced false failures of good ones at p = 1e-4 and 1e-4.
 * Under load a slow candidate's excess shrinks from one period to the next, so asking a strong
 * failure to repeat cost power (a slow candidate once passed every step that way).
 */
export const CONFIRM_BELOW_P = 1e-6;

/** The step's window, hold and counters start again now (the step record keeps its start). */
function restartWindow(r: Rollout__Output, now: number): void {
  r.step_started_unix_ms = String(now);
  r.counters_at_step_start = {};
  r.candidate_requests = '0';
  r.baseline_requests = '0';
}

/** Enters step `index` now: its route is pending, its window and counters start afresh. */
function enterStep(r: Rollout__Output, index: number, now: number): void {
  r.confirming = '';
  const steps = planFromProto(r.plan).steps;
  r.step_index = index;
  r.candidate_percent = steps[index] as number;
  r.step_started_unix_ms = String(now);
  r.counters_at_step_start = {};
  r.criteria = [];
  r.candidate_requests = '0';
  r.baseline_requests = '0';
  r.route_pending = true;
  r.steps.push({ index, candidate_percent: r.candidate_percent, started_unix_ms: String(now), ended_unix_ms: '0', outcome: 'running', candidate_requests: '0', baseline_requests: '0', criteria: [] });
}

/** A new rollout's first step (from `starting`). */
export function begin(r: Rollout__Output, now: number): Transition {
  const next = clone(r, now);
  next.state = 'running';
  enterStep(next, 0, now);
  if (next.candidate_percent >= 100) return promote(next, now, 'the plan has one step: 100%', [draft(next, 'rollout_started', `rollout of version ${r.candidate} over ${r.baseline}`)]);
  return { next, events: [draft(next, 'rollout_started', `rollout of version ${r.candidate} over ${r.baseline}, steps ${planFromProto(r.plan).steps.join(' → ')}%`), draft(next, 'step_started', `step ${next.step_index}: ${next.candidate_percent}% to version ${r.candidate}`)] };
}

function promote(r: Rollout__Output, now: number, reason: string, before: EventDraft[] = []): Transition {
  const next = r;
  const steps = planFromProto(r.plan).steps;
  if (next.candidate_percent < 100) {
    endStep(next, 'promoted', now);
    enterStep(next, steps.length - 1, now);
    next.candidate_percent = 100;
  }
  next.state = 'retiring';
  next.route_pending = true;
  next.reason = reason;
  next.action_at_unix_ms = String(now + planFromProto(r.plan).retireGraceMs);
  return { next, events: [...before, draft(next, 'promoted', reason)] };
}

function rollBack(r: Rollout__Output, now: number, ending: 'rolled_back' | 'aborted', reason: string, evidence: CriterionResult[]): Transition {
  const next = r;
  endStep(next, ending === 'aborted' ? 'aborted' : 'failed', now);
  next.state = 'rolling_back';
  next.ending = ending;
  next.reason = reason;
  next.route_pending = true;
  next.action_at_unix_ms = String(now + planFromProto(r.plan).drainMs);
  return { next, events: [draft(next, ending, reason, evidence)] };
}

/** Pauses a running rollout (the route stays as it is). */
export function pause(r: Rollout__Output, now: number, reason: string): Transition {
  const next = clone(r, now);
  next.paused_from = r.state;
  next.state = 'paused';
  next.reason = reason;
  return { next, events: [draft(next, 'paused', reason)] };
}

/** Resumes a paused rollout at its step: the step's window, hold and counters start again now, and its route is written again. */
export function resume(r: Rollout__Output, now: number, reason: string): Transition {
  const next = clone(r, now);
  next.state = 'running';
  next.paused_from = '';
  next.reason = '';
  next.step_started_unix_ms = String(now);
  next.counters_at_step_start = {};
  next.criteria = [];
  next.candidate_requests = '0';
  next.baseline_requests = '0';
  next.confirming = '';
  const s = next.steps.at(-1);
  if (s) s.started_unix_ms = String(now);
  // The step's route is written again, over one written meanwhile: resuming is the person's say.
  next.route_pending = true;
  next.route_revision = '0';
  return { next, events: [draft(next, 'resumed', reason)] };
}

/**
 * Applies a request an RPC left (pause, resume, promote, abort). A request that does not fit the
 * state (resume of a running rollout) is dropped with no transition.
 */
export function applyRequest(r: Rollout__Output, now: number): Transition | undefined {
  const what = r.requested as Requested | '';
  const reason = r.requested_reason || `requested: ${what}`;
  const cleared = { ...r, requested: '', requested_reason: '' };
  switch (what) {
    case 'pause':
      return cleared.state === 'running' ? pause(cleared, now, reason) : { next: clone(cleared, now), events: [] };
    case 'resume':
      return cleared.state === 'paused' ? resume(cleared, now, reason) : { next: clone(cleared, now), events: [] };
    case 'promote':
      return cleared.state === 'running' || cleared.state === 'paused' || cleared.state === 'starting' ? promote(clone(cleared, now), now, reason) : { next: clone(cleared, now), events: [] };
    case 'abort':
      return isActive(cleared) && cleared.state !== 'rolling_back' ? rollBack(clone(cleared, now), now, 'aborted', reason, []) : { next: clone(cleared, now), events: [] };
    default:
      return undefined;
  }
}

/** What a running step's analysis found, with the requests each side served there. */
export interface StepObservation {
  results: CriterionResult[];
  candidateRequests: number;
  baselineRequests: number;
  counters: Record<string, number>;
  kind: string;
}

/** Whether the step's hold is over: enough candidate requests and time. */
export function holdMet(r: Rollout__Output, obs: Pick<StepObservation, 'candidateRequests'>, now: number): boolean {
  const p = planFromProto(r.plan);
  return obs.candidateRequests >= p.holdRequests && now - num(r.step_started_unix_ms) >= p.holdMs;
}

function failedReason(results: readonly CriterionResult[]): string {
  return results
    .filter((c) => c.state === 'failed')
    .map((c) => `${c.name} failed: ${c.detail}`)
    .join('; ');
}

/**
 * A running step's analysis: once the hold is over, a failed criterion rolls back, all passed
 * goes to the next step (100%: promoted, the baseline retires after the grace), and criteria
 * still waiting past max_wait_ms pause the rollout with the reason. Otherwise the step's
 * numbers are recorded and it goes on.
 */
export function observe(r: Rollout__Output, obs: StepObservation, now: number): Transition {
  const next = clone(r, now);
  // The analysis' results hold every field (int64s as numbers, which the codec takes).
  next.criteria = obs.results as Rollout__Output['criteria'];
  next.candidate_requests = String(obs.candidateRequests);
  next.baseline_requests = String(obs.baselineRequests);
  next.counters_at_step_start = { ...obs.counters };
  if (obs.kind !== '') next.kind = obs.kind;
  if (!holdMet(r, obs, now)) return { next, events: [] };
  const verdict = stepVerdict(obs.results);
  const p = planFromProto(r.plan);
  if (verdict === 'failed') {
    const failing = obs.results.filter((c) => c.state === 'failed');
    const failed = failing.map((c) => c.name ?? '');
    // Overwhelming evidence (p below CONFIRM_BELOW_P) rolls back at once even for latency.
    const marginal = failing.every((c) => CONFIRMED_CRITERIA.has(c.name ?? '') && !(Number(c.p_value) < CONFIRM_BELOW_P));
    if (r.confirming === '' && marginal) {
      // Latency samples come in clusters (a batch, a stall of the machine): one period's excess
      // is confirmed on a fresh period of the step before it rolls back.
      next.confirming = failed.join(',');
      // (c.name is always set: results come from the analysis)
      restartWindow(next, now);
      return { next, events: [draft(next, 'confirming', `step ${r.step_index} (${r.candidate_percent}%): ${failedReason(obs.results)}; confirming on a fresh period before rolling back`, obs.results)] };
    }
    const confirmed = r.confirming !== '' ? ` (a second period, after ${r.confirming} failed on the first)` : '';
    return rollBack(next, now, 'rolled_back', `step ${r.step_index} (${r.candidate_percent}%): ${failedReason(obs.results)}${confirmed}`, obs.results);
  }
  if (verdict === 'passed') {
    next.confirming = '';
    const passed = draft(next, 'step_passed', `step ${r.step_index} (${r.candidate_percent}%) passed on ${obs.candidateRequests} candidate and ${obs.baselineRequests} baseline requests`, obs.results);
    endStep(next, 'passed', now);
    const k = r.step_index + 1;
    const pct = p.steps[k] as number;
    if (pct >= 100) return promote(next, now, `every step below 100% passed`, [passed]);
    enterStep(next, k, now);
    return { next, events: [passed, draft(next, 'step_started', `step ${k}: ${pct}% to version ${r.candidate}`)] };
  }
  if (now - num(r.step_started_unix_ms) > p.maxWaitMs) {
    const waiting = obs.results.filter((c) => c.state === 'waiting').map((c) => `${c.name} (${c.detail})`);
    return pause(next, now, `step ${r.step_index}: not enough data after ${Math.round(p.maxWaitMs / 1000)} s: ${waiting.join('; ')}`);
  }
  return { next, events: [] };
}

/** A rolling-back or retiring rollout whose drain or grace is over: its end. */
export function timerDue(r: Rollout__Output, now: number): Transition | undefined {
  if (now < num(r.action_at_unix_ms)) return undefined;
  const p = planFromProto(r.plan);
  if (r.state === 'rolling_back') {
    const next = clone(r, now);
    next.state = next.ending || 'rolled_back';
    next.finished_unix_ms = String(now);
    next.route_pending = true;
    return { next, events: [], ...(p.unload ? { unload: r.candidate } : {}) };
  }
  if (r.state === 'retiring') {
    const next = clone(r, now);
    endStep(next, 'passed', now);
    next.state = 'completed';
    next.finished_unix_ms = String(now);
    next.route_pending = true;
    return { next, events: [draft(next, 'retired', `version ${r.baseline} retired after ${Math.round(p.retireGraceMs / 1000)} s at weight 0${p.unload ? ', unloaded' : ''}`), draft(next, 'completed', `version ${r.candidate} serves 100%`)], ...(p.unload ? { unload: r.baseline } : {}) };
  }
  return undefined;
}

/** Basis points of a percent (route weights are integers: 1% is 100). */
const bp = (pct: number): number => Math.round(pct * 100);

/** The route a rollout's state wants (written when `route_pending`), the candidate listed first. */
export function desiredRoute(r: Rollout__Output): Route {
  const p = planFromProto(r.plan);
  const base = { model: r.model, sticky: p.sticky, sticky_parameter: p.stickyParameter, rollout_id: r.id, written_by: `rollout ${r.id} ${r.state} step ${r.step_index} (${r.candidate_percent}%)` };
  switch (r.state) {
    case 'rolling_back':
      return { ...base, versions: [{ version: r.candidate, weight: 0 }, { version: r.baseline, weight: 10000 }], shadows: [] };
    case 'retiring':
      return { ...base, versions: [{ version: r.candidate, weight: 10000 }, { version: r.baseline, weight: 0 }], shadows: [] };
    case 'rolled_back':
    case 'aborted':
      return { ...base, versions: p.unload ? [{ version: r.baseline, weight: 10000 }] : [{ version: r.candidate, weight: 0 }, { version: r.baseline, weight: 10000 }], shadows: [] };
    case 'completed':
      return { ...base, versions: p.unload ? [{ version: r.candidate, weight: 10000 }] : [{ version: r.candidate, weight: 10000 }, { version: r.baseline, weight: 0 }], shadows: [] };
    default: {
      const c = r.candidate_percent;
      // Candidate first (shared/routes: a sticky caller then only ever moves to the candidate as its weight grows).
      return { ...base, versions: [{ version: r.candidate, weight: bp(c) }, { version: r.baseline, weight: bp(100 - c) }], shadows: p.shadowPercent > 0 ? [{ version: r.candidate, percent: p.shadowPercent }] : [] };
    }
  }
}
