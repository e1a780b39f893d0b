/**
 * The retrainer's HTML pages (its HTTP port; plain HTML, no scripts, nothing fetched):
 *
 *   GET /           runs, newest first: model, state, stages, candidate, gate verdict, trigger
 *   GET /runs/<id>  one run: every stage with its times and detail, the dataset snapshot (hash,
 *                   sources, stream ranges, label join), the gate's numbers per slice and its
 *                   checks, the trigger with links to the monitor's page of the drift reports,
 *                   the rollout's outcome, the training log's last lines
 */
import type { HttpAnswer } from '../../shared/http/index.js';
import type { EvalMetrics__Output } from '../../shared/generated/mlmesh/retrainer/v1/EvalMetrics.js';
import type { PointInTimeSummary__Output } from '../../shared/generated/mlmesh/retrainer/v1/PointInTimeSummary.js';
import type { Run__Output } from '../../shared/generated/mlmesh/retrainer/v1/Run.js';
import { esc } from '../monitor/svg.js';

const STYLE = 'body{font-family:sans-serif;margin:1.5em;max-width:72em}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}th{background:#f3f3f3}.ok{color:#166534}.bad{color:#b91c1c}.note{color:#666}code{font-size:.9em}';

function html(title: string, body: string): HttpAnswer {
  return { status: 200, contentType: 'text/html; charset=utf-8', body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>` };
}

const time = (ms: unknown): string => (Number(ms) > 0 ? new Date(Number(ms)).toISOString().replace('T', ' ').slice(0, 19) : '');
const num = (x: number, d = 4): string => (Number.isFinite(x) ? x.toFixed(d) : String(x));

function stateCell(state: string): string {
  const cls = state === 'promoted' ? 'ok' : state === 'running' ? 'note' : 'bad';
  return `<span class="${cls}">${esc(state)}</span>`;
}

function stageCell(state: string): string {
  const cls = state === 'done' ? 'ok' : state === 'running' || state === 'skipped' ? 'note' : 'bad';
  return `<span class="${cls}">${esc(state)}</span>`;
}

function reportLinks(monitorUrl: string, r: Run__Output): string {
  const ids = [r.trigger, ...r.coalesced].flatMap((t) => t?.drifted_report_ids ?? []);
  if (ids.length === 0) return '<span class="note">none (manual)</span>';
  const page = `${monitorUrl.replace(/\/$/, '')}/models/${encodeURIComponent(r.model)}`;
  return ids.map((id) => `<a href="${esc(page)}">${esc(id)}</a>`).join(', ');
}

/** The index page: every run (newest first). */
export function runsPage(runs: readonly Run__Output[], monitorUrl: string): HttpAnswer {
  const rows = runs
    .map((r) => {
      const gate = r.gate ? (r.gate.blessed ? '<span class="ok">blessed</span>' : `<span class="bad">refused</span>: ${esc(r.gate.reason)}`) : '';
      const stages = r.stages.map((s) => `${esc(s.name)}:${esc(s.state)}`).join(' → ');
      return `<tr><td><a href="/runs/${encodeURIComponent(r.id)}">${esc(r.id)}</a></td><td>${esc(r.model)}</td><td>${stateCell(r.state)}</td><td>${esc(r.parent_version)} → ${esc(r.candidate_version || '–')}</td><td>${stages}</td><td>${gate}</td><td>${esc(r.trigger?.kind ?? '')}${r.coalesced.length > 0 ? ` (+${r.coalesced.length} coalesced)` : ''}: ${reportLinks(monitorUrl, r)}</td><td>${time(r.created_unix_ms)}</td></tr>`;
    })
    .join('');
  return html('mlmesh retrainer', `<h1>mlmesh retrainer: runs</h1>${runs.length === 0 ? '<p class="note">No run yet.</p>' : `<table><tr><th>run</th><th>model</th><th>state</th><th>champion → candidate</th><th>stages</th><th>gate</th><th>trigger and drift reports</th><th>started</th></tr>${rows}</table>`}`);
}

function metricsRow(name: string, m: EvalMetrics__Output | null | undefined, task: string): string {
  if (!m) return '';
  const recall = Object.entries(m.per_class_recall)
    .sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }))
    .map(([k, v]) => `${esc(k)}: ${num(v, 2)}`)
    .join(', ');
  return task === 'regression'
    ? `<tr><td>${esc(name)}</td><td>${esc(String(m.rows))}</td><td>${num(m.rmse)}</td><td>${num(m.mae)}</td></tr>`
    : `<tr><td>${esc(name)}</td><td>${esc(String(m.rows))}</td><td>${num(m.accuracy)}</td><td>${num(m.log_loss)}</td><td>${recall}</td></tr>`;
}

const reasons = (m: Record<string, number | string>): string => Object.entries(m).map(([k, v]) => `${esc(k)} ${esc(String(v))}`).join(', ') || 'none';

/** The point-in-time rows of a dataset, as rows of its table. */
function pointInTimeRows(p: PointInTimeSummary__Output): string {
  return (
    `<tr><th>point-in-time rows</th><td><code>${esc(p.sha256)}</code> ${esc(String(p.rows))} rows (<code>${esc(p.path)}</code>) from ${esc(p.features_address)}: ${esc(p.feature_versions.join(', '))}; deployments ${esc(p.deployments.join(', '))}</td></tr>` +
    `<tr><th>point-in-time counts</th><td>asked ${esc(String(p.rows_asked))}: found ${esc(String(p.rows_found))}, missing features ${esc(String(p.rows_missing_features))}; not asked: ${reasons(p.rows_skipped)}</td></tr>` +
    `<tr><th>training/serving skew</th><td>${esc(String(p.skew_match))} match, ${esc(String(p.skew_differ))} differ of ${esc(String(p.skew_checked))} (max |diff| ${num(p.max_abs_diff)}); not checked: ${reasons(p.skew_unchecked)}; inputs rebuilt ${esc(String(p.rebuilt_rows))}, not rebuilt: ${reasons(p.rebuild_skipped)}</td></tr>`
  );
}

/** One run's page. */
export function runPage(r: Run__Output, logLines: readonly string[], monitorUrl: string): HttpAnswer {
  const stages = r.stages.map((s) => `<tr><td>${esc(s.name)}</td><td>${stageCell(s.state)}</td><td>${time(s.started_unix_ms)}</td><td>${time(s.ended_unix_ms)}</td><td>${s.attempts}</td><td>${esc(s.detail)}</td></tr>`).join('');
  const d = r.dataset;
  const dataset = d
    ? `<table><tr><th>SHA-256</th><td><code>${esc(d.sha256)}</code></td></tr><tr><th>path</th><td><code>${esc(d.path)}</code></td></tr><tr><th>base dataset</th><td><code>${esc(d.base_sha256 || 'none')}</code></td></tr><tr><th>rows by source</th><td>${Object.entries(d.rows_by_source).map(([k, v]) => `${esc(k)}: ${esc(String(v))}`).join(', ')}</td></tr><tr><th>train / holdout</th><td>${esc(String(d.train_rows))} / ${esc(String(d.holdout_rows))}</td></tr><tr><th>label join</th><td>${esc(String(d.labelled_rows))} of ${esc(String(d.logged_rows))} logged rows labelled (coverage ${num(d.label_coverage, 3)}); ${esc(String(d.feedback_messages))} feedback messages, ${esc(String(d.feedback_unmatched))} unmatched</td></tr><tr><th>stream ranges</th><td>${d.ranges.map((x) => `${esc(x.stream)} ${esc(x.subject)} ${esc(String(x.first_sequence))}..${esc(String(x.last_sequence))} (${esc(String(x.messages))} messages)`).join('<br>')}</td></tr>${d.point_in_time ? pointInTimeRows(d.point_in_time) : ''}</table>`
    : '<p class="note">not built yet</p>';
  const g = r.gate;
  const head = g?.task === 'regression' ? '<tr><th>model / slice</th><th>rows</th><th>RMSE</th><th>MAE</th></tr>' : '<tr><th>model / slice</th><th>rows</th><th>accuracy</th><th>log loss</th><th>recall per class</th></tr>';
  const gate = g
    ? `<p>${g.blessed ? '<span class="ok">blessed</span>' : '<span class="bad">refused</span>'}: ${esc(g.reason)}</p><table>${head}${metricsRow('candidate, reference-like rows', g.candidate_reference, g.task)}${metricsRow('champion, reference-like rows', g.champion_reference, g.task)}${metricsRow('candidate, drifted rows', g.candidate_drifted, g.task)}${metricsRow('champion, drifted rows', g.champion_drifted, g.task)}</table><table><tr><th>check</th><th>passed</th><th>value</th><th>threshold</th><th>detail</th></tr>${g.checks.map((c) => `<tr><td>${esc(c.name)}</td><td>${c.passed ? '<span class="ok">yes</span>' : '<span class="bad">no</span>'}</td><td>${num(c.value)}</td><td>${num(c.threshold)}</td><td>${esc(c.detail)}</td></tr>`).join('')}</table>`
    : '<p class="note">not evaluated yet</p>';
  const trig = [r.trigger, ...r.coalesced].map((t) => `<tr><td>${esc(t?.kind ?? '')}</td><td>${esc(t?.retrain_request_id ?? '')}</td><td>${esc(String(t?.first_sequence ?? 0))}..${esc(String(t?.last_sequence ?? 0))}</td><td>${esc(t?.reason ?? '')}</td><td>${esc(t?.actor ?? '')}</td><td>${time(t?.time_unix_ms)}</td></tr>`).join('');
  const metrics = Object.entries(r.training_metrics).map(([k, v]) => `${esc(k)}: ${num(v)}`).join(', ');
  return html(
    `run ${r.id}`,
    `<p><a href="/">all runs</a></p><h1>run ${esc(r.id)}</h1><p>model <b>${esc(r.model)}</b>: champion version ${esc(r.parent_version)} → candidate ${esc(r.candidate_version || '–')}; state ${stateCell(r.state)}${r.reason ? `: ${esc(r.reason)}` : ''}</p>` +
      `<h2>stages</h2><table><tr><th>stage</th><th>state</th><th>started</th><th>ended</th><th>attempts</th><th>detail</th></tr>${stages}</table>` +
      `<h2>trigger</h2><table><tr><th>kind</th><th>RetrainRequest</th><th>MLMESH_PREDICTIONS range</th><th>reason</th><th>actor</th><th>time</th></tr>${trig}</table><p>drift reports: ${reportLinks(monitorUrl, r)}</p>` +
      `<h2>dataset snapshot</h2>${dataset}<h2>gate</h2>${gate}` +
      `<h2>training</h2><p><code>${esc(r.command.join(' '))}</code></p><p>${metrics || '<span class="note">no metrics yet</span>'}</p>` +
      `<h2>rollout</h2><p>${r.rollout_id ? `${esc(r.rollout_id)}: ${esc(r.rollout_outcome || 'in progress')}` : '<span class="note">none</span>'}</p>` +
      `<h2>training log (last lines)</h2><pre>${esc(logLines.slice(-60).join('\n'))}</pre>`,
  );
}
