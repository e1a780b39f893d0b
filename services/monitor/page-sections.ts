/**
 * Sections of the drift page built from reports alone, generically: whatever detectors a report
 * carries (name, statistic, p-value, threshold, verdict) show up without changes here. Tables of
 * the latest window per detector, a detector comparison per window, the feature ranking with the
 * effect sizes (PSI, Wasserstein / std), the live quality, the segments.
 */
import type { DetectorResult, DriftReport } from '../../shared/events/index.js';
import type { QualityAlertRecord, WindowQuality } from './quality.js';
import type { SegmentReport } from './segments.js';
import { isShownOnly } from './detector-results.js';
import { P_FLOOR, esc } from './svg.js';

/** A p-value as text: exponent form when small, and marked when below the plot's floor. */
export function pText(p: number): string {
  if (!Number.isFinite(p)) return '-';
  const t = p < 1e-3 ? p.toExponential(2) : p.toFixed(4);
  return p < P_FLOOR ? `<span class="floor" title="below the p-value plot's floor ${P_FLOOR.toExponential(0)}">${t} ▼</span>` : t;
}

function num(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '-';
  return Math.abs(x) >= 1000 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toPrecision(4);
}

/** The decision threshold a detector's p-value is compared with (`details.threshold` when it sets one, else the report's alpha). */
export function thresholdOf(d: DetectorResult, alpha: number): number {
  const t = (d.details as Record<string, number> | undefined)?.['threshold'];
  return typeof t === 'number' ? t : alpha;
}

/** A shown-only entry's own decision at alpha (details.alone_drifted). */
function aloneBelow(d: DetectorResult): boolean {
  return Number((d.details as Record<string, number> | undefined)?.['alone_drifted'] ?? 0) === 1;
}

function verdictCell(d: DetectorResult): string {
  if (d.skipped_reason) return `<span class="note">skipped: ${esc(d.skipped_reason)}</span>`;
  if (!d.has_p_value) return '<span class="note">reported, not tested</span>';
  if (isShownOnly(d)) return `<span class="shown${aloneBelow(d) ? ' alone' : ''}">shown only, not in the decision: p ${aloneBelow(d) ? '&lt;' : '≥'} alpha</span>`;
  return d.drifted ? '<span class="drift">drift</span>' : '<span class="ok">ok</span>';
}

/** Table: every detector of the latest report with its statistic, p-value, threshold and verdict. */
export function latestDetectorsTable(r: DriftReport): string {
  const rows = (r.detectors ?? []).map((d) => {
    const details = (d.details ?? {}) as Record<string, number>;
    const holm = details['holm_p_value'];
    const family = holm !== undefined ? pText(holm) : isShownOnly(d) ? '<span class="note">not in the family</span>' : '-';
    return `<tr><td>${esc(d.detector as string)}</td><td>${esc((d.statistic_name as string) || '')}</td><td>${num(d.statistic as number)}</td><td>${d.has_p_value ? pText(d.p_value as number) : '-'}</td><td>${family}</td><td>${d.has_p_value ? num(thresholdOf(d, r.alpha as number)) : '-'}</td><td>${verdictCell(d)}</td></tr>`;
  });
  return `<table class="detectors"><tr><th>detector</th><th>statistic</th><th>value</th><th>p-value</th><th>family-wise adjusted p</th><th>threshold</th><th>verdict</th></tr>${rows.join('')}</table>`;
}

/**
 * Table: windows (newest last) × detectors, each cell the detector's p-value (red when it flagged
 * the window). Shown-only entries (MMD's other kernels) are marked † and never red: italic,
 * orange when their own p is below alpha.
 */
export function comparisonTable(reports: readonly DriftReport[], maxWindows = 12): string {
  const shown = reports.slice(-maxWindows);
  const names = [...new Set(shown.flatMap((r) => (r.detectors ?? []).map((d) => d.detector as string)))];
  const shownOnly = new Set(shown.flatMap((r) => (r.detectors ?? []).filter(isShownOnly).map((d) => d.detector as string)));
  const head = `<tr><th>window</th><th>rows</th><th>verdict</th>${names.map((n) => (shownOnly.has(n) ? `<th class="shown" title="shown only: not in the window's decision">${esc(n)} †</th>` : `<th>${esc(n)}</th>`)).join('')}</tr>`;
  const body = shown.map((r) => {
    const cells = names.map((n) => {
      const d = (r.detectors ?? []).find((x) => x.detector === n);
      if (!d) return '<td class="note">-</td>';
      if (d.skipped_reason) return `<td class="note" title="${esc(d.skipped_reason)}">skipped</td>`;
      if (!d.has_p_value) return `<td class="note">${num(d.statistic as number)}</td>`;
      if (isShownOnly(d)) return `<td class="shown${aloneBelow(d) ? ' alone' : ''}" title="${esc((d.statistic_name as string) || '')} = ${num(d.statistic as number)}; shown only">${pText(d.p_value as number)}</td>`;
      return `<td class="${d.drifted ? 'drift' : ''}" title="${esc((d.statistic_name as string) || '')} = ${num(d.statistic as number)}">${pText(d.p_value as number)}</td>`;
    });
    return `<tr><td>${esc(String(r.window_index))}</td><td>${esc(String(r.rows))}</td><td>${r.drifted ? '<span class="drift">drift</span>' : '<span class="ok">ok</span>'}</td>${cells.join('')}</tr>`;
  });
  return `<table class="comparison">${head}${body.join('')}</table><p class="note">p-value of each detector (its own, after its correction over features or classes); red: the detector flagged the window after the family-wise rule. The statistic is in each cell's tooltip.${shownOnly.size ? ` †: shown only, not in the window's decision (MMD with the other kernels of <code>mmd_kernels</code>; orange: its own p is below alpha).` : ''}</p>`;
}

/** Table: the features of every detector that tests per feature, smallest p-value first, with PSI and Wasserstein / std. */
export function featureRanking(r: DriftReport, max = 25): string {
  const feats = (r.detectors ?? []).flatMap((d) => (d.features ?? []).map((f) => ({ d: d.detector as string, f })));
  if (feats.length === 0) return '<p class="note">No per-feature detector in the last report.</p>';
  feats.sort((a, b) => (a.f.p_value as number) - (b.f.p_value as number) || (b.f.psi as number) - (a.f.psi as number));
  const rows = feats.slice(0, max).map(({ d, f }, i) => {
    const unseen = (f.unseen_categories ?? []).length ? ` <span class="note">unseen: ${esc((f.unseen_categories ?? []).slice(0, 5).join(', '))}</span>` : '';
    return `<tr><td>${i + 1}</td><td>${esc(f.feature as string)}</td><td>${esc(d)}/${esc(f.test as string)}</td><td>${num(f.statistic as number)}</td><td>${pText(f.p_value as number)}</td><td>${pText(f.p_value_corrected as number)}</td><td>${f.test === 'chi2' ? '-' : num(f.psi as number)}</td><td>${f.test === 'chi2' ? '-' : num(f.wasserstein_std as number)}</td><td>${f.drifted ? '<span class="drift">moved</span>' : ''}${unseen}</td></tr>`;
  });
  return `<table class="features"><tr><th>#</th><th>feature</th><th>test</th><th>statistic</th><th>p-value</th><th>corrected</th><th>PSI</th><th>Wasserstein / std</th><th></th></tr>${rows.join('')}</table><p class="note">${feats.length} feature tests, the ${Math.min(max, feats.length)} with the smallest p-value shown. PSI on 10 reference-decile bins (effect size: ≈ (1/n + 1/m)·χ²(9) under no drift; 0.1 and 0.25 are the usual "moderate" and "large" marks); Wasserstein distance over the reference's standard deviation (Evidently's drift score).</p>`;
}

/** Table: quality per window (newest last) and the alerts. */
export function qualityTable(windows: readonly WindowQuality[], alerts: readonly QualityAlertRecord[], max = 12): string {
  const rows = windows.slice(-max).map((w) => `<tr><td>${w.windowIndex}</td><td>${w.labelled > 0 ? `${w.correct}/${w.labelled}` : '-'}</td><td>${w.labelled > 0 ? `${w.accuracy.toFixed(3)} [${w.ciLow.toFixed(3)}, ${w.ciHigh.toFixed(3)}]` : '-'}</td><td>${w.numeric > 0 ? `${num(w.mae)} / ${num(w.rmse)} (${w.numeric})` : '-'}</td><td>${w.late}</td></tr>`);
  const al = alerts.length
    ? `<ul class="alerts">${alerts.map((a) => `<li class="drift">${esc(a.alertId)}: ${a.metric} ${num(a.value)} vs threshold ${num(a.threshold)}${a.metric === 'accuracy' ? ` (95% interval [${a.ciLow.toFixed(3)}, ${a.ciHigh.toFixed(3)}])` : ''}, ${a.labelled} labels, ${new Date(a.timeMs).toISOString()}</li>`).join('')}</ul>`
    : '<p class="note">No quality alert.</p>';
  return `<table class="quality"><tr><th>window</th><th>right / labelled</th><th>accuracy [95% Wilson]</th><th>MAE / RMSE (targets)</th><th>late labels</th></tr>${rows.join('')}</table>${al}`;
}

/** Table: per-segment metrics and the tests between segments. */
export function segmentsTable(r: SegmentReport): string {
  if (r.segmentBy === '') return '<p class="note">No segments configured: set <code>segment_parameter</code> (a request parameter) or <code>segment_feature</code> (an input column) in the model\'s <code>monitoring</code> section.</p>';
  if (r.segments.length === 0) return `<p class="note">Segments by ${esc(r.segmentBy)}: no rows in the feedback join yet.</p>`;
  const classes = r.segments.reduce((m, s) => Math.max(m, s.classCounts.length), 0);
  const shown = Math.min(classes, 10);
  const head = `<tr><th>segment</th><th>rows</th>${Array.from({ length: shown }, (_, k) => `<th>class ${k}</th>`).join('')}<th>mean confidence</th><th>accuracy [95%]</th><th>rates p (Holm)</th><th>accuracy p (Holm)</th><th></th></tr>`;
  const rows = r.segments.map((s) => {
    const shares = Array.from({ length: shown }, (_, k) => `<td>${s.rows > 0 ? `${(((s.classCounts[k] ?? 0) / s.rows) * 100).toFixed(1)}%` : '-'}</td>`).join('');
    return `<tr><td>${esc(s.segment)}</td><td>${s.rows}</td>${shares}<td>${s.meanConfidence ? s.meanConfidence.toFixed(3) : '-'}</td><td>${s.labelled > 0 ? `${s.accuracy.toFixed(3)} [${s.ciLow.toFixed(3)}, ${s.ciHigh.toFixed(3)}] (${s.labelled})` : '-'}</td><td>${pText(s.rates.pAdjusted)}</td><td>${pText(s.accuracyTest.pAdjusted)}</td><td>${s.flagged ? '<span class="drift">differs</span>' : ''}</td></tr>`;
  });
  const omni = (name: string, t: SegmentReport['rates']): string => `${name}: χ² = ${num(t.statistic)}, dof ${t.dof}, p = ${pText(t.pValue)} (adjusted ${pText(t.pAdjusted)})${t.sparse ? ', sparse table' : ''}`;
  return `<p>Segments by <b>${esc(r.segmentBy)}</b> over windows ${r.fromWindow}…${r.toWindow === Number.MAX_SAFE_INTEGER ? 'now' : r.toWindow}: ${r.rows} rows, ${r.labelled} labelled. ${omni('Prediction rates', r.rates)}. ${omni('Accuracy', r.accuracy)}.</p><table class="segments">${head}${rows.join('')}</table><p class="note">Multiple comparisons: ${esc(r.note)}. A segment is marked when an adjusted p-value is below alpha/2 = ${(r.alpha / 2).toString()}; one-vs-rest tests are relative, so the segment that differs is the one with the smallest p-value.</p>`;
}
