/**
 * The monitor's HTML pages (served on its HTTP port, no external assets or scripts):
 *
 *   GET /            models with their latest verdicts
 *   GET /models/<m>  per model: p-values over windows per detector, per-feature histograms of
 *                    the reference vs the current window (the 12 features with the smallest KS
 *                    p-value in the last report), and a PCA projection (fitted on at most
 *                    PCA_FIT_ROWS reference rows) of reference vs current rows (at most
 *                    SCATTER_MAX_POINTS of each drawn). No array the size of the data is ever
 *                    spread into a call (Math.min(...rows) overflows the stack on large references).
 */
import type { DriftReport } from '../../shared/events/index.js';
import type { HttpAnswer } from '../../shared/http/index.js';
import type { MonitorEngine } from './engine.js';
import { column } from './matrix.js';
import type { Matrix } from './matrix.js';
import { pca, project } from './stats/index.js';
import { esc, histogram, pValueChart, scatter } from './svg.js';

/** Reference rows the page's PCA is fitted on (evenly strided when the reference has more). */
export const PCA_FIT_ROWS = 5000;

function strideRows(m: Matrix, max: number): Matrix {
  if (m.rows <= max) return m;
  const data = new Float64Array(max * m.cols);
  for (let k = 0; k < max; k++) {
    const i = Math.floor((k * m.rows) / max);
    data.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), k * m.cols);
  }
  return { rows: max, cols: m.cols, data };
}

const STYLE = 'body{font-family:system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}.drift{color:#d62728;font-weight:600}.ok{color:#2ca02c}.grid{display:flex;flex-wrap:wrap;gap:8px}h2{margin-top:28px}.note{color:#666;font-size:13px}';

function html(title: string, body: string): HttpAnswer {
  return { status: 200, contentType: 'text/html; charset=utf-8', body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>` };
}

function verdict(r: DriftReport | undefined): string {
  if (!r) return '<span class="note">no window closed yet</span>';
  return r.drifted ? `<span class="drift">drifted</span> (${r.consecutive_drifted} in a row)` : '<span class="ok">no drift</span>';
}

/** The index page. */
export function indexPage(engine: MonitorEngine): HttpAnswer {
  const versions = engine.allWindows().map((w) => w.header);
  const rows = versions
    .map((h) => {
      const last = engine.reports.list(h.model, h.version, 0, 0, 1)[0];
      return `<tr><td><a href="/models/${encodeURIComponent(h.model)}">${esc(h.model)}</a></td><td>${esc(h.version)}</td><td>${h.windowsClosed}</td><td>${h.rows}</td><td>${verdict(last)}</td></tr>`;
    })
    .join('');
  return html('mlmesh monitor', `<h1>mlmesh drift monitor</h1><table><tr><th>model</th><th>version</th><th>windows closed</th><th>open window rows</th><th>last verdict</th></tr>${rows}</table>`);
}

/** The page of one model (its newest version with data), or 404. */
export function modelPage(engine: MonitorEngine, model: string): HttpAnswer | undefined {
  const headers = engine.allWindows().map((w) => w.header).filter((h) => h.model === model);
  if (headers.length === 0) return { status: 404, body: `model ${model} is not monitored (no prediction logs seen)\n` };
  const version = headers.map((h) => h.version).sort((a, b) => Number(b) - Number(a))[0] as string;
  const reports = engine.reports.list(model, version, 0, 0, 200);
  const last = reports[reports.length - 1];
  const parts: string[] = [`<h1>${esc(model)} <small>version ${esc(version)}</small></h1>`, `<p>Last verdict: ${verdict(last)}. ${reports.length} windows shown.</p>`];

  // 1. p-values over windows, per detector.
  const names = [...new Set(reports.flatMap((r) => (r.detectors ?? []).filter((d) => d.has_p_value).map((d) => d.detector as string)))];
  const series = names.map((name) => ({
    name,
    points: reports.flatMap((r) => {
      const d = (r.detectors ?? []).find((x) => x.detector === name && x.has_p_value);
      return d ? [[Number(r.window_index), d.p_value as number] as [number, number]] : [];
    }),
  }));
  parts.push('<h2>p-values per detector</h2>', reports.length ? pValueChart(series, (last?.alpha as number) || 0.05) : '<p class="note">No window has closed yet.</p>');

  // 2. Histograms and 3. PCA need the reference and the current rows.
  const ref = engine.cachedReference(model, version);
  const cur = engine.currentRows(model, version);
  if (!ref?.inputs || !cur?.inputs || cur.inputs.cols !== ref.inputs.cols) {
    parts.push('<p class="note">Histograms and the projection appear once the version has a reference and a window with inputs.</p>');
    return html(`${model} drift`, parts.join(''));
  }
  const ks = (last?.detectors ?? []).find((d) => d.detector === 'ks');
  const order = ks?.features?.length
    ? [...ks.features].sort((a, b) => (a.p_value as number) - (b.p_value as number)).map((f) => f.index as number)
    : ref.numeric;
  const shown = order.slice(0, 12);
  parts.push(`<h2>Reference vs ${esc(cur.label)}</h2><p class="note">Blue: reference (${ref.rows} rows). Red: current window. Features with the smallest KS p-value in the last report first.</p><div class="grid">`);
  for (const j of shown) {
    const f = ks?.features?.find((x) => x.index === j);
    const title = `${ref.featureNames[j] ?? `f${j}`}${f ? ` p=${(f.p_value as number).toExponential(1)}` : ''}`;
    parts.push(histogram(title, column(ref.inputs, j), column(cur.inputs, j)));
  }
  parts.push('</div>');
  // Fitted on at most PCA_FIT_ROWS evenly strided reference rows: a 150,000-row reference would
  // make every page load spend its time on the covariance, for the same picture.
  const fit = strideRows(ref.inputs, PCA_FIT_ROWS);
  const p = pca(fit.data, fit.rows, fit.cols, 2);
  parts.push('<h2>PCA projection (fitted on the reference)</h2>', scatter('PC1 vs PC2', project(ref.inputs.data, ref.inputs.rows, ref.inputs.cols, p), project(cur.inputs.data, cur.inputs.rows, cur.inputs.cols, p)));
  return html(`${model} drift`, parts.join(''));
}
