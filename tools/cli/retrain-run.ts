/** The retrainer commands at work, with the client package's RetrainerClient. */
import { hostname, userInfo } from 'node:os';
import { RetrainerClient, isRpcError } from '../../shared/client/index.js';
import type { Lineage__Output } from '../../shared/generated/mlmesh/retrainer/v1/Lineage.js';
import type { PointInTimeSummary__Output } from '../../shared/generated/mlmesh/retrainer/v1/PointInTimeSummary.js';
import type { Run__Output } from '../../shared/generated/mlmesh/retrainer/v1/Run.js';
import { connection } from './connection.js';
import { CommandError } from './errors.js';
import { printer } from './output.js';
import type { RetrainCommon, RetrainOptions } from './retrain.js';

async function withClient<T>(o: RetrainCommon, fn: (c: RetrainerClient) => Promise<T>): Promise<T> {
  const client = new RetrainerClient(o.address, { timeoutMs: o.timeoutMs, ...connection() });
  try {
    return await fn(client);
  } catch (e: unknown) {
    if (isRpcError(e)) throw new CommandError(`retrainer at ${o.address}: ${e.message}`, { cause: e });
    throw e;
  } finally {
    client.close();
  }
}

/** A provenance value as text (strings and numbers as they are, anything else as JSON). */
const str = (v: unknown, dflt = '?'): string => (v === undefined || v === null ? dflt : typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v));
const time = (ms: unknown): string => (Number(ms) > 0 ? new Date(Number(ms)).toISOString() : '-');
const f = (x: number | undefined, d = 4): string => (x === undefined ? '-' : x.toFixed(d));

/** A run on one line. */
export function runLine(r: Run__Output): string {
  const gate = r.gate ? (r.gate.blessed ? 'blessed' : 'refused') : '-';
  return `${r.id}  ${r.model}  ${r.state}  stage ${r.stage}  ${r.parent_version} -> ${r.candidate_version || '-'}  gate ${gate}  trigger ${r.trigger?.kind ?? '-'}${r.coalesced.length ? ` (+${r.coalesced.length})` : ''}  ${time(r.created_unix_ms)}`;
}

const byReason = (m: Record<string, number | string>): string => Object.entries(m).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';

/** The point-in-time rows of a dataset summary, for `runs get` and `lineage`. */
function pointInTimeLines(p: PointInTimeSummary__Output, indent: string): string[] {
  return [
    `${indent}point-in-time rows ${p.sha256}  ${p.rows} rows  (${p.path})`,
    `${indent}  feature service ${p.features_address}: ${p.feature_versions.join(', ')}; deployments ${p.deployments.join(', ')}`,
    `${indent}  asked ${p.rows_asked}: found ${p.rows_found}, missing features ${p.rows_missing_features}; not asked: ${byReason(p.rows_skipped)}`,
    `${indent}  skew (logged vs rebuilt tensor, within 1e-5): ${p.skew_match} match, ${p.skew_differ} differ of ${p.skew_checked} (max |diff| ${f(p.max_abs_diff)}); not checked: ${byReason(p.skew_unchecked)}`,
    `${indent}  inputs rebuilt for logs without inputs: ${p.rebuilt_rows}; not rebuilt: ${byReason(p.rebuild_skipped)}`,
  ];
}

/** A run in full, for people. */
export function runText(r: Run__Output): string {
  const lines = [`run ${r.id}  model ${r.model}  state ${r.state}${r.reason ? ` (${r.reason})` : ''}`, `  champion ${r.parent_version}  candidate ${r.candidate_version || '-'}  seed ${r.seed}`];
  const t = r.trigger;
  lines.push(`  trigger ${t?.kind ?? '-'}${t?.retrain_request_id ? ` ${t.retrain_request_id}` : ''}${t?.reason ? `: ${t.reason}` : ''}${Number(t?.first_sequence) > 0 ? `  predictions ${t?.first_sequence}..${t?.last_sequence}` : ''}`);
  for (const id of [t, ...r.coalesced].flatMap((x) => x?.drifted_report_ids ?? [])) lines.push(`    drift report ${id}`);
  if (r.coalesced.length > 0) lines.push(`  coalesced triggers: ${r.coalesced.map((c) => c.retrain_request_id || c.kind).join(', ')}`);
  lines.push('  stages:');
  for (const s of r.stages) lines.push(`    ${s.name.padEnd(9)} ${s.state.padEnd(9)} ${time(s.started_unix_ms)}  attempts ${s.attempts}  ${s.detail}`);
  const d = r.dataset;
  if (d) {
    lines.push(`  dataset ${d.sha256}`, `    ${d.path}`, `    base ${d.base_sha256 || 'none'}  rows ${Object.entries(d.rows_by_source).map(([k, v]) => `${k} ${v}`).join(', ')}  train ${d.train_rows}  holdout ${d.holdout_rows}`);
    lines.push(`    labels: ${d.labelled_rows} of ${d.logged_rows} logged rows (coverage ${f(d.label_coverage, 3)}), ${d.feedback_messages} feedback, ${d.feedback_unmatched} unmatched`);
    for (const x of d.ranges) lines.push(`    ${x.stream} ${x.subject} ${x.first_sequence}..${x.last_sequence} (${x.messages} messages)`);
    if (d.point_in_time) lines.push(...pointInTimeLines(d.point_in_time, '    '));
  }
  const g = r.gate;
  if (g) {
    lines.push(`  gate ${g.blessed ? 'blessed' : 'refused'}: ${g.reason}`);
    const row = (name: string, m: typeof g.candidate_reference): string => (g.task === 'regression' ? `    ${name.padEnd(22)} rows ${m?.rows ?? 0}  rmse ${f(m?.rmse)}  mae ${f(m?.mae)}` : `    ${name.padEnd(22)} rows ${m?.rows ?? 0}  accuracy ${f(m?.accuracy)}  log loss ${f(m?.log_loss)}`);
    lines.push(row('candidate, reference', g.candidate_reference), row('champion, reference', g.champion_reference), row('candidate, drifted', g.candidate_drifted), row('champion, drifted', g.champion_drifted));
    for (const c of g.checks) lines.push(`    ${c.passed ? 'pass' : 'FAIL'} ${c.name}: ${c.detail}`);
  }
  if (r.command.length > 0) lines.push(`  command: ${r.command.join(' ')}`);
  if (r.rollout_id) lines.push(`  rollout ${r.rollout_id}: ${r.rollout_outcome || 'in progress'}`);
  return lines.join('\n');
}

/** `retrain MODEL`: starts (or joins) a run; with --watch follows it. */
export async function retrain(model: string, o: RetrainOptions, signal: AbortSignal): Promise<number | void> {
  let actor = 'cli';
  try {
    actor = `cli: ${userInfo().username}@${hostname()}`;
  } catch {
    // No user name (a container without /etc/passwd entry): "cli" alone.
  }
  const res = await withClient(o, (c) => c.retrain({ model, reason: o.reason ?? 'cli: mlmesh retrain', actor }));
  const r = res.run;
  if (!r) throw new CommandError('the retrainer answered without a run');
  printer(o.json).note(res.coalesced ? `joined the active run ${r.id}` : `run ${r.id} started`);
  if (!o.watch) return printer(o.json).record(r as unknown as Record<string, unknown>, () => runLine(r));
  return watch(r.id, o, signal);
}

/** `runs list [MODEL]`. */
export async function list(model: string | undefined, o: RetrainCommon & { limit?: number }): Promise<void> {
  const runs = (await withClient(o, (c) => c.listRuns({ model: model ?? '', limit: o.limit ?? 0 }))).runs;
  if (o.json) for (const r of runs) process.stdout.write(`${JSON.stringify(r)}\n`);
  else process.stdout.write(runs.length === 0 ? 'no runs\n' : `${runs.map(runLine).join('\n')}\n`);
}

/** `runs get RUN`. */
export async function get(id: string, o: RetrainCommon): Promise<void> {
  const r = (await withClient(o, (c) => c.getRun({ run_id: id }))).run;
  if (r) printer(o.json).record(r as unknown as Record<string, unknown>, () => runText(r));
}

/** `runs watch RUN`: one line per stage change and the training output; exit 0 promoted, 1 otherwise. */
export async function watch(id: string, o: RetrainCommon, signal: AbortSignal): Promise<number> {
  let last: Run__Output | undefined;
  let stages = '';
  await withClient(o, async (c) => {
    try {
      for await (const u of c.watchRun({ run_id: id }, { signal, timeoutMs: Infinity })) {
        if (o.json) process.stdout.write(`${JSON.stringify(u)}\n`);
        else {
          for (const l of u.log_lines) process.stdout.write(`  | ${l}\n`);
          const r = u.run;
          const now = r ? r.stages.map((s) => `${s.name}:${s.state}:${s.attempts}`).join(' ') + r.state : '';
          if (r && now !== stages) process.stdout.write(`${new Date().toISOString()} ${runLine(r)}\n`);
          stages = now;
        }
        last = u.run ?? last;
      }
    } catch (e: unknown) {
      if (signal.aborted) return;
      throw e;
    }
  });
  if (last && !o.json) process.stdout.write(`${runText(last)}\n`);
  return last?.state === 'promoted' ? 0 : 1;
}

/** `runs cancel RUN`. */
export async function cancel(id: string, o: RetrainCommon & { reason?: string }): Promise<void> {
  const r = (await withClient(o, (c) => c.cancelRun({ run_id: id, reason: o.reason ?? 'cli: mlmesh runs cancel' }))).run;
  if (r) printer(o.json).record(r as unknown as Record<string, unknown>, () => runLine(r));
}

/** The lineage for people: one block per version, newest first. */
export function lineageText(l: Lineage__Output): string {
  const out: string[] = [`lineage of model ${l.model}`];
  for (const v of l.versions) {
    if (!v.present) {
      out.push(`version ${v.version}: not in the repository`);
      continue;
    }
    const p = JSON.parse(v.provenance_json) as Record<string, unknown>;
    const td = p['training_data'] as { dataset?: string; sha256?: string } | null | undefined;
    out.push(`version ${v.version}  parent ${v.parent_version || 'none'}  produced by ${str(p['produced_by'])}  at ${str(p['created_at'])}`);
    out.push(`  training data ${td?.sha256 ?? str(p['training_data_sha256'], 'unknown')}${td?.dataset ? `  (${td.dataset})` : ''}`);
    if (p['code_version']) out.push(`  code ${str(p['code_version'])}`);
    const r = v.run;
    if (r) {
      out.push(`  run ${r.id}  ${r.state}  trigger ${r.trigger?.kind ?? '-'}${r.trigger?.retrain_request_id ? ` ${r.trigger.retrain_request_id}` : ''}`);
      for (const id of [r.trigger, ...r.coalesced].flatMap((x) => x?.drifted_report_ids ?? [])) out.push(`    drift report ${id}`);
      const d = r.dataset;
      if (d) {
        out.push(`    dataset ${d.sha256}: ${Object.entries(d.rows_by_source).map(([k, n]) => `${k} ${n}`).join(', ')} rows; base ${d.base_sha256 || 'none'}`);
        for (const x of d.ranges) out.push(`      ${x.stream} ${x.subject} ${x.first_sequence}..${x.last_sequence}`);
        if (d.point_in_time) out.push(...pointInTimeLines(d.point_in_time, '      '));
      }
      const g = r.gate;
      if (g) out.push(`    gate ${g.blessed ? 'blessed' : 'refused'}: reference ${f(g.candidate_reference?.accuracy)} vs ${f(g.champion_reference?.accuracy)}, drifted ${f(g.candidate_drifted?.accuracy)} vs ${f(g.champion_drifted?.accuracy)}`);
      if (r.rollout_outcome) out.push(`    rollout ${r.rollout_id}: ${r.rollout_outcome}`);
    } else if (p['run_id']) out.push(`  run ${str(p['run_id'])} (no longer known to the retrainer)`);
  }
  return out.join('\n');
}

/** `lineage MODEL VERSION`. */
export async function lineage(model: string, version: string, o: RetrainCommon): Promise<void> {
  const l = await withClient(o, (c) => c.getLineage({ model, version }));
  printer(o.json).record(l as unknown as Record<string, unknown>, () => lineageText(l));
}
