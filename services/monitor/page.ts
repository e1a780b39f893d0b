/**
 * The monitor's HTML pages (served on its HTTP port: plain HTML and inline SVG, no scripts, no
 * external assets, nothing fetched from the network):
 *
 *   GET /            models with their latest verdicts
 *   GET /models/<m>  per model, its newest version:
 *     - a time axis of every version's windows with retrain-request, quality-alert and new-version
 *       markers, and the model's ModelEvents (rollout steps, promotions, roll-backs, route
 *       changes) read from mlmesh.events.model.<model> when the page is rendered;
 *     - the latest window per detector (statistic, p, family-wise p, threshold, verdict) and a
 *       detector comparison per window, built generically from the reports, so any detector a
 *       report carries shows up;
 *     - p-values per detector over windows (log scale; below the floor marked ▼, not clipped);
 *     - the feature ranking with PSI and Wasserstein / std;
 *     - the outputs: class shares and confidence histograms, reference vs current window;
 *     - per-feature histograms (the 12 features with the smallest KS p-value);
 *     - embeddings: one plot per view (inputs, outputs), PCA with its explained variance, and UMAP
 *       when the model's `projection` (monitor option pageProjection) says so;
 *     - live quality: accuracy (or MAE) per window with 95% intervals, the calibration diagram,
 *       the quality alerts; per-segment metrics.
 * No array the size of the data is ever spread into a call (Math.min(...rows) overflows the stack
 * on large references).
 */
import type { DetectorResult, DriftReport } from '../../shared/events/index.js';
import type { HttpAnswer } from '../../shared/http/index.js';
import { errorMessage } from '../../shared/errors/index.js';
import type { MonitorEngine } from './engine.js';
import type { ModelEventMarker, ModelEventsRead } from './model-events.js';
import { argmaxRows, column } from './matrix.js';
import type { Matrix } from './matrix.js';
import { comparisonTable, featureRanking, latestDetectorsTable, qualityTable, segmentsTable } from './page-sections.js';
import { pcaProjection } from './projection.js';
import { SCORE_BINS } from './stats/c2st.js';
import type { Projected, UmapProjector } from './projection.js';
import { accuracyChart, calibrationPlot, shareBars, timeline } from './svg-quality.js';
import type { TimelineWindow } from './svg-quality.js';
import { esc, histogram, pValueChart, scatter } from './svg.js';
import type { XMarker } from './svg.js';

export { PCA_FIT_ROWS } from './projection.js';

const STYLE =
  'body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1280px}table{border-collapse:collapse;font-size:13px;margin:6px 0}td,th{padding:3px 9px;border-bottom:1px solid #ddd;text-align:left}th{background:#f3f3f3}.drift{color:#d62728;font-weight:600}.ok{color:#2ca02c}.shown{color:#555;font-style:italic}.shown.alone{color:#b35c00}.floor{color:#9467bd;white-space:nowrap}.grid{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start}h2{margin-top:28px;border-bottom:1px solid #eee}.note{color:#666;font-size:12px}figure{margin:0}figcaption{font-size:12px;color:#444;max-width:440px}';

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

/** Shares of each class among the rows' predicted classes. */
function classShares(m: Matrix, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  const { labels } = argmaxRows(m);
  for (const l of labels) counts[l] = (counts[l] as number) + 1;
  return counts.map((c) => (m.rows > 0 ? c / m.rows : 0));
}

/** Reads a model's ModelEvents since a time (the page's first window). */
export type ModelEventSource = (model: string, sinceMs: number) => Promise<ModelEventsRead>;

/** ModelEvent kinds drawn as a roll-back (the rest of them as rollout events). */
const ROLLBACK_KINDS = new Set(['rolled_back', 'aborted', 'route_refused']);

/** Markers of a model: retrain requests it published, quality alerts, each version's first window, and its ModelEvents. */
function markersOf(engine: MonitorEngine, model: string, reports: readonly DriftReport[], events: readonly ModelEventMarker[]): Array<{ timeMs: number; kind: XMarker['kind']; text: string; version: string; windowIndex: number }> {
  const out: Array<{ timeMs: number; kind: XMarker['kind']; text: string; version: string; windowIndex: number }> = [];
  // On the time axis at the end of the window they are about (event time, as the windows are
  // drawn); when they were raised, by the monitor's clock, is in the tooltip.
  const endOf = (version: string, index: number, fallback: number): number => {
    const r = engine.reports.get(`${model}/${version}/${index}`);
    return r ? Number(r.window_end_ms) : fallback;
  };
  for (const r of engine.retrainLog(model)) out.push({ timeMs: endOf(r.version, r.windowIndex, r.timeMs), kind: 'retrain', text: `retrain request ${r.requestId} (published ${new Date(r.timeMs).toISOString()}): ${r.reason}`, version: r.version, windowIndex: r.windowIndex });
  for (const a of engine.qualityAlerts(model)) out.push({ timeMs: endOf(a.version, a.windowIndex, a.timeMs), kind: 'alert', text: `quality alert ${a.alertId} (raised ${new Date(a.timeMs).toISOString()}): ${a.metric} ${a.value.toPrecision(3)} vs ${a.threshold}`, version: a.version, windowIndex: a.windowIndex });
  const seen = new Set<string>();
  for (const r of reports) {
    const v = r.version as string;
    if (seen.has(v)) continue;
    seen.add(v);
    if (seen.size > 1) out.push({ timeMs: Number(r.window_start_ms), kind: 'version', text: `version ${v} first seen (its window ${String(r.window_index)})`, version: v, windowIndex: Number(r.window_index) });
  }
  // Rollout transitions and route changes (ModelEvents): on the time axis only (they are not
  // about one window). Time: when the event was published.
  for (const e of events) out.push({ timeMs: e.timeMs, kind: ROLLBACK_KINDS.has(e.kind) ? 'rollback' : 'rollout', text: `${new Date(e.timeMs).toISOString()} ${e.text}`, version: '', windowIndex: -1 });
  return out;
}

/**
 * The C2ST's view: its out-of-fold scores P(window) for reference rows and window rows (shares
 * per bin, from the report's details). Overlapping bars: the classifier cannot tell them apart.
 */
function classifierScores(d: DetectorResult, report: DriftReport): string {
  const det = d.details ?? {};
  const bins = Array.from({ length: SCORE_BINS }, (_, i) => i);
  const ref = bins.map((i) => Number(det[`oof_bin_ref_${i}`] ?? 0));
  const win = bins.map((i) => Number(det[`oof_bin_win_${i}`] ?? 0));
  const share = (xs: number[]): number[] => {
    const n = xs.reduce((a, b) => a + b, 0);
    return xs.map((x) => (n > 0 ? x / n : 0));
  };
  const labels = bins.map((i) => (i / SCORE_BINS).toFixed(1));
  const auc = Number(det['auc'] ?? NaN);
  return `<figure>${shareBars('c2st: out-of-fold P(window)', labels, share(ref), share(win), 440, 240)}<figcaption>${esc(`Scores of a logistic classifier told to tell reference rows from window ${String(report.window_index)}'s rows, each row scored by the folds that did not see it (${String(det['rows_per_sample'] ?? '?')} rows per sample; AUC ${auc.toFixed(3)}, 0.5 = indistinguishable). Bins of 0.1 from the left edge shown.`)}</figcaption></figure>`;
}

function scatterOf(title: string, p: Projected, curLabel: string): string {
  const axes = p.method === 'pca' && p.explained ? { x: `PC1 ${(p.explained[0] * 100).toFixed(1)}%`, y: `PC2 ${(p.explained[1] * 100).toFixed(1)}% of variance` } : { x: `${p.method.toUpperCase()} 1`, y: `${p.method.toUpperCase()} 2` };
  return `<figure>${scatter(title, p.ref, p.win, 440, 380, { ref: 'reference', win: curLabel, ...axes })}<figcaption>${esc(p.method === 'pca' ? `PCA ${p.note}; both samples projected on its components (PC1 + PC2 explain ${(((p.explained?.[0] ?? 0) + (p.explained?.[1] ?? 0)) * 100).toFixed(1)}% of the reference's variance).` : `UMAP ${p.note}; distances between clusters are not to scale.`)}</figcaption></figure>`;
}

/**
 * The page of one model (its newest version with data), or 404.
 * @param projector UMAP in a worker (undefined: PCA only)
 */
export async function modelPage(engine: MonitorEngine, model: string, projector?: UmapProjector, modelEvents?: ModelEventSource): Promise<HttpAnswer | undefined> {
  const headers = engine.allWindows().map((w) => w.header).filter((h) => h.model === model);
  if (headers.length === 0) return { status: 404, body: `model ${model} is not monitored (no prediction logs seen)\n` };
  const version = headers.map((h) => h.version).sort((a, b) => Number(b) - Number(a))[0] as string;
  const mon = await engine.monitoringOf(model);
  const allReports = engine.reports.list(model, '', 0, 0, 1000);
  const reports = allReports.filter((r) => r.version === version).slice(-200);
  const last = reports[reports.length - 1];
  const firstMs = allReports.reduce((t, r) => Math.min(t, Number(r.window_start_ms)), Infinity);
  const events = modelEvents && allReports.length > 0 ? await modelEvents(model, firstMs) : { markers: [], undecodable: 0 };
  const markers = markersOf(engine, model, allReports, events.markers);
  const windowMarkers: XMarker[] = markers.filter((k) => k.version === version && k.kind !== 'version' && k.windowIndex >= 0).map((k) => ({ x: k.windowIndex, kind: k.kind, text: k.text }));
  const parts: string[] = [`<h1>${esc(model)} <small>version ${esc(version)}</small></h1>`, `<p>Last verdict: ${verdict(last)}. ${reports.length} windows of this version shown.</p>`];

  // Time axis of every version's windows, with the markers.
  const tw: TimelineWindow[] = allReports.map((r) => ({ startMs: Number(r.window_start_ms), endMs: Number(r.window_end_ms), drifted: r.drifted as boolean, version: r.version as string, text: `${String(r.report_id)}: ${r.drifted ? 'drifted' : 'no drift'}, ${String(r.rows)} rows` }));
  if (tw.length > 0) parts.push('<h2>Timeline</h2>', timeline(tw, markers));
  if (events.unavailable !== undefined) parts.push(`<p class="note">Rollout events (mlmesh.events.model.${esc(model)}) could not be read: ${esc(events.unavailable)}.</p>`);
  else if (events.markers.length > 0) parts.push(`<p class="note">${events.markers.length} rollout event${events.markers.length === 1 ? '' : 's'} on the time axis (hover a marker for its evidence)${events.undecodable > 0 ? `; ${events.undecodable} undecodable message(s) skipped` : ''}.</p>`);

  if (last) {
    parts.push(`<h2>Latest window per detector</h2><p class="note">Window ${esc(String(last.window_index))} (${esc(String(last.rows))} rows, closed by ${esc(String(last.close_reason))}), alpha ${last.alpha}.</p>`, latestDetectorsTable(last));
    parts.push('<h2>Detector comparison per window</h2>', comparisonTable(reports));
  }

  // p-values over windows, per detector.
  const names = [...new Set(reports.flatMap((r) => (r.detectors ?? []).filter((d) => d.has_p_value).map((d) => d.detector as string)))];
  const series = names.map((name) => ({
    name,
    points: reports.flatMap((r) => {
      const d = (r.detectors ?? []).find((x) => x.detector === name && x.has_p_value);
      return d ? [[Number(r.window_index), d.p_value as number] as [number, number]] : [];
    }),
  }));
  parts.push('<h2>p-values per detector</h2>', reports.length ? pValueChart(series, (last?.alpha as number) || 0.05, 760, 280, windowMarkers) : '<p class="note">No window has closed yet.</p>');

  if (last) parts.push('<h2>Feature ranking (last window)</h2>', featureRanking(last));

  // Live quality.
  const q = engine.quality(model, version);
  parts.push('<h2>Live quality</h2>');
  const labelled = q.windows.filter((w) => w.labelled > 0);
  const numeric = q.windows.filter((w) => w.numeric > 0);
  if (labelled.length === 0 && numeric.length === 0) parts.push('<p class="note">No feedback joined yet (labels come with <code>mlmesh feedback</code> or <code>mlmesh feedback import</code>).</p>');
  if (labelled.length > 0) {
    parts.push(`<p>Accuracy over every label: ${q.total.accuracy.toFixed(3)} [${q.total.ciLow.toFixed(3)}, ${q.total.ciHigh.toFixed(3)}] (${q.total.labelled} labels).</p><div class="grid">`);
    parts.push(accuracyChart(labelled.map((w) => ({ x: w.windowIndex, value: w.accuracy, lo: w.ciLow, hi: w.ciHigh, n: w.labelled })), { label: 'accuracy', ...(mon.accuracyThreshold ? { threshold: mon.accuracyThreshold } : {}), markers: windowMarkers }, 760, 240));
    if (q.calibration.length > 0) parts.push(calibrationPlot(q.calibration, q.ece));
    parts.push('</div>');
  }
  if (numeric.length > 0) {
    const top = Math.max(...numeric.map((w) => w.rmse)) * 1.1 || 1;
    parts.push(`<p>MAE over every target: ${q.total.mae.toPrecision(4)}, RMSE ${q.total.rmse.toPrecision(4)} (${q.total.numeric} targets).</p>`);
    parts.push(accuracyChart(numeric.map((w) => ({ x: w.windowIndex, value: w.mae, lo: w.mae, hi: w.rmse, n: w.numeric })), { label: 'MAE (band up to RMSE)', ...(mon.maeThreshold ? { threshold: mon.maeThreshold } : {}), markers: windowMarkers, yMax: top }, 760, 240));
  }
  parts.push(qualityTable(q.windows, engine.qualityAlerts(model)));

  parts.push('<h2>Segments</h2>', segmentsTable(await engine.segments(model, version, 0, Number.MAX_SAFE_INTEGER, 20)));

  // Outputs, histograms and embeddings need the reference and the current rows.
  const ref = engine.cachedReference(model, version);
  const cur = engine.currentRows(model, version);
  if (!ref || !cur) {
    parts.push('<p class="note">Output plots, histograms and projections appear once the version has a reference and a window with rows.</p>');
    return html(`${model} drift`, parts.join(''));
  }
  if (ref.outputs && cur.outputs && cur.outputs.cols === ref.outputs.cols && ref.outputs.cols > 1) {
    const k = ref.outputs.cols;
    const conf = (m: Matrix): Float64Array => argmaxRows(m).max;
    parts.push(`<h2>Outputs: reference vs ${esc(cur.label)}</h2><div class="grid">`);
    parts.push(shareBars('predicted class shares', Array.from({ length: k }, (_, i) => String(i)), classShares(ref.outputs, k), classShares(cur.outputs, k)));
    parts.push(histogram('confidence (largest probability)', conf(ref.outputs), conf(cur.outputs), 20, 320, 220));
    parts.push('</div><p class="note">Blue: reference. Red: current window. The predicted_class detector tests the shares, confidence and bbsd the probabilities.</p>');
  }
  if (ref.inputs && cur.inputs && cur.inputs.cols === ref.inputs.cols) {
    const ks = (last?.detectors ?? []).find((d) => d.detector === 'ks');
    const order = ks?.features?.length ? [...ks.features].sort((a, b) => (a.p_value as number) - (b.p_value as number)).map((f) => f.index as number) : ref.numeric;
    parts.push(`<h2>Reference vs ${esc(cur.label)}</h2><p class="note">Blue: reference (${ref.rows} rows). Red: current window. Features with the smallest KS p-value in the last report first.</p><div class="grid">`);
    for (const j of order.slice(0, 12)) {
      const f = ks?.features?.find((x) => x.index === j);
      parts.push(histogram(`${ref.featureNames[j] ?? `f${j}`}${f ? ` p=${(f.p_value as number).toExponential(1)}` : ''}`, column(ref.inputs, j), column(cur.inputs, j)));
    }
    parts.push('</div>');
  }
  // Embeddings: one plot per view of the data, PCA and (when configured) UMAP.
  const views: Array<{ name: string; ref: Matrix; win: Matrix }> = [];
  // With input_from "outputs" the input detectors watch an output tensor (an embedding).
  const inputView = mon.inputFrom === 'outputs' ? `embedding (output ${mon.input ?? ''})` : 'inputs';
  if (ref.inputs && cur.inputs && cur.inputs.cols === ref.inputs.cols) views.push({ name: inputView, ref: ref.inputs, win: cur.inputs });
  if (ref.outputs && cur.outputs && cur.outputs.cols === ref.outputs.cols && ref.outputs.cols > 1) views.push({ name: 'outputs (probabilities)', ref: ref.outputs, win: cur.outputs });
  if (views.length > 0) {
    const method = mon.projection ?? 'pca';
    const c2st = (last?.detectors ?? []).find((d) => d.detector === 'c2st' && !d.skipped_reason && d.details?.['oof_bin_ref_0'] !== undefined);
    parts.push(`<h2>Embeddings: reference vs ${esc(cur.label)}</h2><p class="note">One plot per view the detectors test: ${esc(inputView)} (ks, mmd${c2st ? ', c2st' : ''}) and outputs (bbsd, confidence)${c2st ? ", and the C2ST classifier's scores" : ''}. Projection: PCA${method === 'umap' ? ' and UMAP' : ''} (monitoring.projection).</p><div class="grid">`);
    if (c2st) parts.push(classifierScores(c2st, last as DriftReport));
    for (const v of views) {
      parts.push(scatterOf(`${v.name}: PCA`, pcaProjection(v.ref, v.win), cur.label));
      if (method === 'umap' && projector) {
        try {
          parts.push(scatterOf(`${v.name}: UMAP`, await projector.project(`${model}/${version}/${cur.label}/${v.name}`, v.ref, v.win), cur.label));
        } catch (e: unknown) {
          // The page still renders: the error takes the plot's place.
          parts.push(`<p class="note">UMAP of ${esc(v.name)} failed: ${esc(errorMessage(e))}</p>`);
        }
      }
    }
    parts.push('</div>');
  }
  return html(`${model} drift`, parts.join(''));
}
