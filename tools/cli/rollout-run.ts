/** The rollout commands at work, with the client package's RolloutClient. */
import { RolloutClient, isRpcError } from '../../shared/client/index.js';
import { connection } from './connection.js';
import type { CriterionResult__Output } from '../../shared/events/index.js';
import type { CriterionPlan } from '../../shared/generated/mlmesh/rollout/v1/CriterionPlan.js';
import type { Rollout__Output } from '../../shared/generated/mlmesh/rollout/v1/Rollout.js';
import type { RolloutPlan } from '../../shared/generated/mlmesh/rollout/v1/RolloutPlan.js';
import { CommandError, UsageError } from './errors.js';
import { printer } from './output.js';
import type { ActionOptions, RolloutCommon, StartOptions } from './rollout.js';

const CRITERIA = ['error_rate', 'latency_p99_ratio', 'prediction_distribution', 'agreement', 'accuracy', 'drift'];

async function withClient<T>(o: RolloutCommon, fn: (c: RolloutClient) => Promise<T>): Promise<T> {
  const client = new RolloutClient(o.address, { timeoutMs: o.timeoutMs, ...connection() });
  try {
    return await fn(client);
  } catch (e: unknown) {
    if (isRpcError(e)) throw new CommandError(`rollout service at ${o.address}: ${e.message}`, { cause: e });
    throw e;
  } finally {
    client.close();
  }
}

const ms = (s: number | undefined): number | undefined => (s === undefined ? undefined : Math.round(s * 1000));

/** The request's plan from the flags (fields left out stay 0: the service fills them in). */
export function planOf(o: StartOptions, unloadGiven: boolean): RolloutPlan {
  const criteria: Record<string, CriterionPlan> = {};
  for (const c of o.criterion ?? []) {
    const m = /^([a-z0-9_]+)\.(enabled|threshold|alpha|min_samples)=(.+)$/.exec(c);
    if (!m || !CRITERIA.includes(m[1] as string)) throw new UsageError(`--criterion ${c}: expected <criterion>.<field>=<value> with a criterion of ${CRITERIA.join(', ')} and a field of enabled, threshold, alpha, min_samples`);
    const [, name, field, value] = m as unknown as [string, string, keyof CriterionPlan, string];
    const cur = (criteria[name] ??= {});
    if (field === 'enabled') {
      if (!['on', 'off', 'auto'].includes(value)) throw new UsageError(`--criterion ${c}: enabled is on, off or auto`);
      cur.enabled = value;
    } else {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0) throw new UsageError(`--criterion ${c}: ${field} must be a number >= 0`);
      cur[field] = n;
    }
  }
  let steps: number[] = [];
  if (o.steps !== undefined) {
    steps = o.steps.split(',').map((s) => Number(s.trim()));
    if (steps.some((s) => !Number.isFinite(s))) throw new UsageError(`--steps ${o.steps}: a comma-separated list of percents, e.g. 1,10,100`);
  }
  return {
    steps,
    hold_requests: o.holdRequests ?? 0,
    hold_ms: ms(o.holdSeconds) ?? 0,
    max_wait_ms: ms(o.maxWaitSeconds) ?? 0,
    shadow_percent: o.shadowPercent ?? 0,
    sticky: o.sticky ?? '',
    sticky_parameter: o.stickyParameter ?? '',
    retire_grace_ms: ms(o.retireGraceSeconds) ?? 0,
    drain_ms: ms(o.drainSeconds) ?? 0,
    unload: unloadGiven ? (o.unload === false ? 'off' : 'on') : '',
    prediction_kind: o.predictionKind ?? '',
    criteria,
  };
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(3));

/** One criterion as a line for people. */
export function criterionLine(c: CriterionResult__Output): string {
  const p = c.has_p_value ? ` p=${c.p_value.toPrecision(3)}` : '';
  const n = `n=${c.candidate_samples}/${c.baseline_samples} (min ${c.min_samples})`;
  return `  ${c.name.padEnd(24)} ${c.state.padEnd(8)} ${c.statistic_name ? `${c.statistic_name}=${fmt(c.statistic)}` : ''}${p} ${n}  ${c.detail}`;
}

/** A rollout as lines for people. */
export function rolloutText(r: Rollout__Output): string {
  const steps = (r.plan?.steps ?? []).map((s, i) => (i === r.step_index && r.state !== 'completed' ? `[${s}%]` : `${s}%`)).join(' → ');
  const head = `${r.model} ${r.id} ${r.state}${r.reason ? ` (${r.reason})` : ''}\n  version ${r.candidate} over ${r.baseline}; steps ${steps}; candidate ${r.candidate_percent}% of routed traffic; route revision ${r.route_revision}`;
  const served = `  this step: ${r.candidate_requests} candidate and ${r.baseline_requests} baseline requests, since ${new Date(Number(r.step_started_unix_ms)).toISOString()}`;
  return [head, served, ...r.criteria.map(criterionLine)].join('\n');
}

/** A rollout on one line (status of many, watch without a terminal). */
export function rolloutLine(r: Rollout__Output): string {
  const crit = r.criteria.map((c) => `${c.name}=${c.state}`).join(' ');
  return `${r.model} ${r.id} ${r.state} step=${r.step_index} candidate=${r.candidate}@${r.candidate_percent}% baseline=${r.baseline} requests=${r.candidate_requests}/${r.baseline_requests}${crit ? ` ${crit}` : ''}${r.reason ? ` reason=${JSON.stringify(r.reason)}` : ''}`;
}

/** `rollout start`. */
export async function start(model: string, candidate: string, o: StartOptions, unloadGiven: boolean): Promise<void> {
  const plan = planOf(o, unloadGiven);
  const r = await withClient(o, async (c) => (await c.startRollout({ model, candidate, baseline: o.baseline ?? '', plan })).rollout);
  if (r) printer(o.json).record(r as unknown as Record<string, unknown>, () => rolloutText(r));
}

/** `rollout status [model]`. */
export async function status(model: string | undefined, o: RolloutCommon): Promise<void> {
  const out = printer(o.json);
  await withClient(o, async (c) => {
    if (model !== undefined) {
      const r = (await c.getRollout({ model })).rollout;
      if (r) out.record(r as unknown as Record<string, unknown>, () => rolloutText(r));
      return;
    }
    const all = (await c.listRollouts()).rollouts;
    if (all.length === 0 && !o.json) out.note('no rollouts');
    for (const r of all) out.record(r as unknown as Record<string, unknown>, () => rolloutLine(r));
  });
}

/** `rollout watch model`: in place on a terminal, one line per change otherwise. Exit 0 completed, 1 otherwise. */
export async function watch(model: string, o: RolloutCommon, signal: AbortSignal): Promise<number> {
  const tty = process.stdout.isTTY && !o.json;
  let drawn = 0;
  let last: Rollout__Output | undefined;
  await withClient({ ...o, timeoutMs: o.timeoutMs }, async (c) => {
    try {
      for await (const r of c.watchRollout({ model }, { signal, timeoutMs: Infinity })) {
        last = r;
        if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
        else if (tty) {
          const text = `${rolloutText(r)}\n  updated ${new Date(Number(r.updated_unix_ms)).toISOString()}\n`;
          // Back to the start of the last drawing and clear below it, then draw again.
          process.stdout.write(`${drawn > 0 ? `\x1b[${drawn}F\x1b[J` : ''}${text}`);
          drawn = text.split('\n').length - 1;
        } else process.stdout.write(`${new Date().toISOString()} ${rolloutLine(r)}\n`);
      }
    } catch (e: unknown) {
      if (signal.aborted) return;
      throw e;
    }
  });
  return last?.state === 'completed' ? 0 : 1;
}

/** `rollout pause|resume|promote|abort model`. */
export async function action(name: 'pause' | 'resume' | 'promote' | 'abort', model: string, o: ActionOptions): Promise<void> {
  const req = { model, reason: o.reason ?? `cli: mlmesh rollout ${name}` };
  const r = await withClient(o, async (c) => (await c[name](req)).rollout);
  if (r) printer(o.json).record(r as unknown as Record<string, unknown>, () => rolloutText(r));
}
