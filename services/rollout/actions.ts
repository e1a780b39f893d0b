/**
 * What the RPCs do: StartRollout writes a new rollout in state `starting`, the others leave a
 * request (`requested`) on the stored state — both compare-and-set — and the acting controller
 * applies them on its next tick (at once when this replica acts). The RPC waits briefly for
 * that and answers with the state it then sees.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, NotFoundError, clip } from '../../shared/errors/index.js';
import type { Rollout, Rollout__Output } from '../../shared/generated/mlmesh/rollout/v1/Rollout.js';
import type { StartRolloutRequest__Output } from '../../shared/generated/mlmesh/rollout/v1/StartRolloutRequest.js';
import type { Controller } from './controller.js';
import { StateConflictError } from './errors.js';
import { isActive } from './machine.js';
import type { Requested } from './machine.js';
import { modelPlan, planFromRequest, planToProto } from './plan.js';
import type { Unloader } from './unloader.js';

/** What the actions need. */
export interface ActionDeps {
  controller: Controller;
  unloader: Unloader;
  modelRepository: string;
  /** How long an RPC waits for the acting controller to apply it, in ms. */
  applyWaitMs: number;
}

function required(v: string, field: string): string {
  if (v === '') throw new InvalidArgumentError(`${field} is required`, { field });
  if (v.length > 200) throw new InvalidArgumentError(`${field}: at most 200 characters`, { field });
  return v;
}

/** Waits until `done` holds for the model's stored rollout (or the wait ends); returns what it sees. */
async function settle(d: ActionDeps, model: string, done: (r: Rollout__Output) => boolean): Promise<Rollout__Output> {
  const until = Date.now() + d.applyWaitMs;
  for (;;) {
    if (d.controller.acting) await d.controller.tick();
    const s = await d.controller.stateStore().get(model);
    if (s) d.controller.remember(s);
    const r = s?.rollout;
    if (!r) throw new NotFoundError(`no rollout of model '${clip(model, 100)}'`, { resource: { type: 'rollout', name: clip(model, 100) } });
    if (done(r) || Date.now() >= until) return d.controller.view(model) ?? r;
    await sleep(50);
  }
}

/** StartRollout. @throws InvalidArgumentError, AlreadyExistsError, FailedPreconditionError, NatsDownError */
export async function startRollout(d: ActionDeps, req: StartRolloutRequest__Output): Promise<Rollout__Output> {
  const model = required(req.model, 'model');
  const candidate = required(req.candidate, 'candidate');
  if (!/^[0-9]+$/.test(candidate)) throw new InvalidArgumentError(`candidate: a version number, got '${clip(candidate)}'`, { field: 'candidate' });
  const store = d.controller.stateStore();
  const existing = await store.get(model);
  if (existing && isActive(existing.rollout)) throw new AlreadyExistsError(`model '${clip(model, 100)}' has an active rollout (${existing.rollout.id}: version ${existing.rollout.candidate}, ${existing.rollout.state}); abort it or wait for it to end`, { resource: { type: 'rollout', name: clip(model, 100) } });
  const plan = planFromRequest(req.plan, await modelPlan(d.modelRepository, model));
  if (!(await d.unloader.ready(model, candidate).catch(() => false))) throw new FailedPreconditionError(`candidate: version ${clip(candidate)} of model '${clip(model, 100)}' is not ready on inference (load it first: mlmesh model load / RepositoryModelLoad)`, { resource: { type: 'model version', name: `${clip(model, 100)}/${clip(candidate)}` } });
  let baseline = req.baseline;
  const route = await d.controller.routeOf(model);
  if (baseline === '') {
    const heaviest = route?.versions.filter((v) => v.version !== candidate && v.weight > 0).sort((a, b) => b.weight - a.weight)[0];
    baseline = heaviest?.version ?? (await d.unloader.served(model)).filter((v) => v !== candidate).sort((a, b) => Number(b) - Number(a))[0] ?? '';
    if (baseline === '') throw new FailedPreconditionError(`baseline: model '${clip(model, 100)}' serves no version besides ${clip(candidate)}: nothing to compare the candidate with`, { resource: { type: 'model', name: clip(model, 100) } });
  }
  if (baseline === candidate) throw new InvalidArgumentError('baseline: must differ from candidate', { field: 'baseline' });
  if (!(await d.unloader.ready(model, baseline).catch(() => false))) throw new FailedPreconditionError(`baseline: version ${clip(baseline)} of model '${clip(model, 100)}' is not ready on inference`, { resource: { type: 'model version', name: `${clip(model, 100)}/${clip(baseline)}` } });
  const now = Date.now();
  const rollout: Rollout = {
    id: `r-${randomUUID().slice(0, 8)}`,
    model,
    candidate,
    baseline,
    plan: planToProto(plan),
    state: 'starting',
    reason: '',
    step_index: 0,
    candidate_percent: 0,
    step_started_unix_ms: 0,
    started_unix_ms: now,
    updated_unix_ms: now,
    route_revision: route?.revision ?? 0,
    requested: '',
    event_seq: 0,
  };
  try {
    await store.put(rollout, existing?.kvRevision ?? 0);
  } catch (e: unknown) {
    if (e instanceof StateConflictError) throw new AlreadyExistsError(`model '${clip(model, 100)}': another rollout was started meanwhile`, { resource: { type: 'rollout', name: clip(model, 100) } });
    throw e;
  }
  return settle(d, model, (r) => r.id !== rollout.id || r.state !== 'starting');
}

const ALLOWED: Record<Requested, readonly string[]> = {
  pause: ['starting', 'running'],
  resume: ['paused'],
  promote: ['starting', 'running', 'paused'],
  abort: ['starting', 'running', 'paused', 'retiring'],
};

/** Pause, Resume, Promote, Abort. @throws NotFoundError, FailedPreconditionError */
export async function requestAction(d: ActionDeps, modelIn: string, action: Requested, reason: string): Promise<Rollout__Output> {
  const model = required(modelIn, 'model');
  const store = d.controller.stateStore();
  for (let attempt = 0; ; attempt++) {
    const s = await store.get(model);
    if (!s) throw new NotFoundError(`no rollout of model '${clip(model, 100)}'`, { resource: { type: 'rollout', name: clip(model, 100) } });
    const r = s.rollout;
    if (!ALLOWED[action].includes(r.state)) throw new FailedPreconditionError(`cannot ${action} rollout ${r.id} of model '${clip(model, 100)}': it is ${r.state}${r.reason ? ` (${clip(r.reason, 200)})` : ''}`, { resource: { type: 'rollout', name: clip(model, 100) } });
    try {
      await store.put({ ...r, requested: action, requested_reason: reason !== '' ? clip(reason, 500) : `${action} requested` }, s.kvRevision);
      break;
    } catch (e: unknown) {
      // The controller wrote meanwhile (it writes every tick): read again and retry.
      if (!(e instanceof StateConflictError) || attempt >= 20) throw e;
      await sleep(20);
    }
  }
  return settle(d, model, (r) => r.requested === '');
}
