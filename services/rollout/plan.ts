/**
 * The rollout plan: what a StartRollout asked for, over the model's config.json `rollout`
 * section, over the defaults ({@link DEFAULT_PLAN}). Every field is validated with a message
 * naming it (INVALID_ARGUMENT).
 *
 * config.json:
 *   "rollout": {
 *     "steps": [1, 10, 100], "hold_requests": 200, "hold_ms": 60000, "max_wait_ms": 600000,
 *     "shadow_percent": 0, "sticky": "none", "sticky_parameter": "",
 *     "retire_grace_ms": 60000, "drain_ms": 5000, "unload": true, "prediction_kind": "auto",
 *     "criteria": { "error_rate": { "enabled": "on", "threshold": 0.01, "alpha": 0.01, "min_samples": 100 }, ... }
 *   }
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, clip } from '../../shared/errors/index.js';
import type { CriterionPlan__Output } from '../../shared/generated/mlmesh/rollout/v1/CriterionPlan.js';
import type { RolloutPlan } from '../../shared/generated/mlmesh/rollout/v1/RolloutPlan.js';
import type { RolloutPlan__Output } from '../../shared/generated/mlmesh/rollout/v1/RolloutPlan.js';
import { CRITERIA, DEFAULT_CRITERIA } from './analysis.js';
import type { CriteriaSettings, CriterionName, CriterionSettings, Enabled } from './analysis.js';

/** A plan with every field set. */
export interface ResolvedPlan {
  /** Candidate share per step, in percent, ascending, the last 100. */
  steps: number[];
  holdRequests: number;
  holdMs: number;
  maxWaitMs: number;
  shadowPercent: number;
  sticky: 'none' | 'parameter' | 'request_id';
  stickyParameter: string;
  retireGraceMs: number;
  drainMs: number;
  unload: boolean;
  predictionKind: 'auto' | 'class' | 'value';
  criteria: CriteriaSettings;
}

/** The defaults (docs/rollout.md). */
export const DEFAULT_PLAN: ResolvedPlan = {
  steps: [1, 10, 100],
  holdRequests: 200,
  holdMs: 60_000,
  maxWaitMs: 600_000,
  shadowPercent: 0,
  sticky: 'none',
  stickyParameter: '',
  retireGraceMs: 60_000,
  drainMs: 5000,
  unload: true,
  predictionKind: 'auto',
  criteria: DEFAULT_CRITERIA,
};

const STICKY = ['none', 'parameter', 'request_id'] as const;
const KINDS = ['auto', 'class', 'value'] as const;
const ENABLED = ['on', 'off', 'auto'] as const;

function fail(field: string, msg: string): never {
  throw new InvalidArgumentError(`${field}: ${msg}`, { field });
}

function num(v: unknown, field: string, min: number, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(field, `must be a number in [${min}, ${max === Infinity ? '∞' : max}], got ${clip(JSON.stringify(v))}`);
  return v;
}

function int(v: unknown, field: string, min: number): number {
  const n = num(v, field, min);
  if (!Number.isSafeInteger(n)) fail(field, `must be an integer, got ${n}`);
  return n;
}

function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(field, `must be one of ${allowed.join(', ')}, got ${clip(JSON.stringify(v))}`);
  return v as T;
}

/** Checks the steps: ascending, in (0, 100], the last 100. */
export function checkSteps(steps: readonly number[], field: string): number[] {
  if (steps.length === 0) fail(field, 'must list at least one step');
  steps.forEach((s, i) => num(s, `${field}[${i}]`, Number.MIN_VALUE, 100));
  for (let i = 1; i < steps.length; i++) if ((steps[i] as number) <= (steps[i - 1] as number)) fail(`${field}[${i}]`, `steps must ascend (${steps[i - 1]} then ${steps[i]})`);
  if (steps.at(-1) !== 100) fail(field, `the last step must be 100, got ${steps.at(-1)}`);
  return [...steps];
}

function criterionFromJson(v: unknown, field: string, base: CriterionSettings): CriterionSettings {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'must be an object');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['enabled', 'threshold', 'alpha', 'min_samples'].includes(k)) fail(`${field}.${k}`, 'unknown field (enabled, threshold, alpha, min_samples)');
  const en = o['enabled'];
  return {
    enabled: en === undefined ? base.enabled : typeof en === 'boolean' ? (en ? 'on' : 'off') : oneOf<Enabled>(en, `${field}.enabled`, ENABLED),
    threshold: o['threshold'] === undefined ? base.threshold : num(o['threshold'], `${field}.threshold`, 0),
    alpha: o['alpha'] === undefined ? base.alpha : num(o['alpha'], `${field}.alpha`, 0, 1),
    minSamples: o['min_samples'] === undefined ? base.minSamples : int(o['min_samples'], `${field}.min_samples`, 1),
  };
}

/**
 * Applies a config.json `rollout` section (already parsed JSON) over `base`.
 * @throws InvalidArgumentError naming the field (`rollout.criteria.accuracy.min_samples`).
 */
export function planFromJson(raw: unknown, base: ResolvedPlan = DEFAULT_PLAN, where = 'rollout'): ResolvedPlan {
  if (raw === undefined) return base;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(where, 'must be an object');
  const o = raw as Record<string, unknown>;
  const keys = ['steps', 'hold_requests', 'hold_ms', 'max_wait_ms', 'shadow_percent', 'sticky', 'sticky_parameter', 'retire_grace_ms', 'drain_ms', 'unload', 'prediction_kind', 'criteria'];
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(`${where}.${k}`, `unknown field (known: ${keys.join(', ')})`);
  const p: ResolvedPlan = { ...base, criteria: { ...base.criteria } };
  if (o['steps'] !== undefined) {
    if (!Array.isArray(o['steps'])) fail(`${where}.steps`, 'must be a list of percents');
    p.steps = checkSteps(o['steps'] as number[], `${where}.steps`);
  }
  if (o['hold_requests'] !== undefined) p.holdRequests = int(o['hold_requests'], `${where}.hold_requests`, 0);
  if (o['hold_ms'] !== undefined) p.holdMs = int(o['hold_ms'], `${where}.hold_ms`, 0);
  if (o['max_wait_ms'] !== undefined) p.maxWaitMs = int(o['max_wait_ms'], `${where}.max_wait_ms`, 1);
  if (o['shadow_percent'] !== undefined) p.shadowPercent = num(o['shadow_percent'], `${where}.shadow_percent`, 0, 100);
  if (o['sticky'] !== undefined) p.sticky = oneOf(o['sticky'], `${where}.sticky`, STICKY);
  if (o['sticky_parameter'] !== undefined) {
    if (typeof o['sticky_parameter'] !== 'string') fail(`${where}.sticky_parameter`, 'must be a string');
    p.stickyParameter = o['sticky_parameter'];
  }
  if (o['retire_grace_ms'] !== undefined) p.retireGraceMs = int(o['retire_grace_ms'], `${where}.retire_grace_ms`, 0);
  if (o['drain_ms'] !== undefined) p.drainMs = int(o['drain_ms'], `${where}.drain_ms`, 0);
  if (o['unload'] !== undefined) {
    if (typeof o['unload'] !== 'boolean') fail(`${where}.unload`, 'must be true or false');
    p.unload = o['unload'];
  }
  if (o['prediction_kind'] !== undefined) p.predictionKind = oneOf(o['prediction_kind'], `${where}.prediction_kind`, KINDS);
  if (o['criteria'] !== undefined) {
    const c = o['criteria'];
    if (typeof c !== 'object' || c === null || Array.isArray(c)) fail(`${where}.criteria`, 'must be an object');
    for (const [k, v] of Object.entries(c)) {
      if (!(CRITERIA as readonly string[]).includes(k)) fail(`${where}.criteria.${k}`, `unknown criterion (known: ${CRITERIA.join(', ')})`);
      p.criteria[k as CriterionName] = criterionFromJson(v, `${where}.criteria.${k}`, p.criteria[k as CriterionName]);
    }
  }
  return checkPlan(p, where);
}

/** Checks what fields alone cannot. @throws InvalidArgumentError */
export function checkPlan(p: ResolvedPlan, where: string): ResolvedPlan {
  if (p.sticky === 'parameter' && p.stickyParameter === '') fail(`${where}.sticky_parameter`, 'sticky "parameter" needs the parameter name');
  return p;
}

/**
 * Reads `<repo>/<model>/config.json` and applies its `rollout` section over the defaults; a
 * model without the file or the section gets the defaults.
 * @throws InvalidArgumentError when the file is not JSON or the section is malformed.
 */
export async function modelPlan(repo: string, model: string): Promise<ResolvedPlan> {
  let text: string;
  try {
    text = await readFile(join(repo, model, 'config.json'), 'utf8');
  } catch {
    // No config file: the defaults (an ONNX model may have none).
    return DEFAULT_PLAN;
  }
  let cfg: unknown;
  try {
    cfg = JSON.parse(text);
  } catch (e: unknown) {
    throw new InvalidArgumentError(`model '${model}': config.json is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return planFromJson((cfg as { rollout?: unknown } | null)?.rollout, DEFAULT_PLAN, `model '${model}' config.json rollout`);
}

const longNum = (v: unknown): number => Number(v ?? 0);

function criterionOverride(c: CriterionPlan__Output | null | undefined, field: string, base: CriterionSettings): CriterionSettings {
  if (!c) return base;
  return {
    enabled: c.enabled === '' ? base.enabled : oneOf<Enabled>(c.enabled, `${field}.enabled`, ENABLED),
    threshold: c.threshold === 0 ? base.threshold : num(c.threshold, `${field}.threshold`, 0),
    alpha: c.alpha === 0 ? base.alpha : num(c.alpha, `${field}.alpha`, 0, 1),
    minSamples: longNum(c.min_samples) === 0 ? base.minSamples : int(longNum(c.min_samples), `${field}.min_samples`, 1),
  };
}

/**
 * Applies a request's plan (zero fields: keep `base`) over `base`.
 * @throws InvalidArgumentError naming the field (`plan.steps[1]`).
 */
export function planFromRequest(r: RolloutPlan__Output | null | undefined, base: ResolvedPlan): ResolvedPlan {
  if (!r) return base;
  const p: ResolvedPlan = { ...base, criteria: { ...base.criteria } };
  if (r.steps.length > 0) p.steps = checkSteps(r.steps, 'plan.steps');
  if (longNum(r.hold_requests) > 0) p.holdRequests = int(longNum(r.hold_requests), 'plan.hold_requests', 0);
  if (longNum(r.hold_ms) > 0) p.holdMs = int(longNum(r.hold_ms), 'plan.hold_ms', 0);
  if (longNum(r.max_wait_ms) > 0) p.maxWaitMs = int(longNum(r.max_wait_ms), 'plan.max_wait_ms', 1);
  if (r.shadow_percent !== 0) p.shadowPercent = num(r.shadow_percent, 'plan.shadow_percent', 0, 100);
  if (r.sticky !== '') p.sticky = oneOf(r.sticky, 'plan.sticky', STICKY);
  if (r.sticky_parameter !== '') p.stickyParameter = r.sticky_parameter;
  if (longNum(r.retire_grace_ms) > 0) p.retireGraceMs = int(longNum(r.retire_grace_ms), 'plan.retire_grace_ms', 0);
  if (longNum(r.drain_ms) > 0) p.drainMs = int(longNum(r.drain_ms), 'plan.drain_ms', 0);
  if (r.unload !== '') p.unload = oneOf(r.unload, 'plan.unload', ['on', 'off'] as const) === 'on';
  if (r.prediction_kind !== '') p.predictionKind = oneOf(r.prediction_kind, 'plan.prediction_kind', KINDS);
  const c = r.criteria;
  if (c) for (const k of CRITERIA) p.criteria[k] = criterionOverride(c[k], `plan.criteria.${k}`, p.criteria[k]);
  return checkPlan(p, 'plan');
}

/** The plan on the wire (every field set). */
export function planToProto(p: ResolvedPlan): RolloutPlan {
  const criteria = Object.fromEntries(CRITERIA.map((k) => [k, { enabled: p.criteria[k].enabled, threshold: p.criteria[k].threshold, alpha: p.criteria[k].alpha, min_samples: p.criteria[k].minSamples }]));
  return {
    steps: [...p.steps],
    hold_requests: p.holdRequests,
    hold_ms: p.holdMs,
    max_wait_ms: p.maxWaitMs,
    shadow_percent: p.shadowPercent,
    sticky: p.sticky,
    sticky_parameter: p.stickyParameter,
    retire_grace_ms: p.retireGraceMs,
    drain_ms: p.drainMs,
    unload: p.unload ? 'on' : 'off',
    prediction_kind: p.predictionKind,
    criteria,
  };
}

/** A stored plan back (it was resolved when stored, so every field is taken as it is). */
export function planFromProto(r: RolloutPlan__Output | null): ResolvedPlan {
  if (!r) return DEFAULT_PLAN;
  const criteria = { ...DEFAULT_CRITERIA };
  for (const k of CRITERIA) {
    const c = r.criteria?.[k];
    if (c) criteria[k] = { enabled: (c.enabled || DEFAULT_CRITERIA[k].enabled) as Enabled, threshold: c.threshold, alpha: c.alpha, minSamples: longNum(c.min_samples) };
  }
  return {
    steps: [...r.steps],
    holdRequests: longNum(r.hold_requests),
    holdMs: longNum(r.hold_ms),
    maxWaitMs: longNum(r.max_wait_ms),
    shadowPercent: r.shadow_percent,
    sticky: (r.sticky || 'none') as ResolvedPlan['sticky'],
    stickyParameter: r.sticky_parameter,
    retireGraceMs: longNum(r.retire_grace_ms),
    drainMs: longNum(r.drain_ms),
    unload: r.unload !== 'off',
    predictionKind: (r.prediction_kind || 'auto') as ResolvedPlan['predictionKind'],
    criteria,
  };
}
