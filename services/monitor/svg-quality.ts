/**
 * SVG charts of the page's quality and output sections (no external assets, no scripts): grouped
 * bars (class shares), the calibration diagram, the live-accuracy series with its interval band,
 * and a time axis of windows with retrain, alert and version markers.
 */
import { MARKER_OFFSET, esc, finiteRange } from './svg.js';
import type { XMarker } from './svg.js';

const REF = 'rgba(31,119,180,0.75)';
const WIN = 'rgba(214,39,40,0.75)';

function open(width: number, height: number, label: string): string[] {
  return [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${esc(label)}">`];
}

function legend(parts: string[], x: number, y: number, items: ReadonlyArray<[string, string]>): void {
  items.forEach(([color, text], i) => parts.push(`<rect x="${x}" y="${y + i * 16 - 9}" width="11" height="11" fill="${color}"/><text x="${x + 16}" y="${y + i * 16}" font-size="11">${esc(text)}</text>`));
}

/** Grouped bars: the share of each category in the reference (blue) and the window (red). */
export function shareBars(title: string, categories: readonly string[], ref: readonly number[], win: readonly number[], width = 460, height = 220): string {
  const m = { l: 40, r: 110, t: 22, b: 30 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const top = Math.max(1e-9, ...ref, ...win);
  const bw = w / Math.max(1, categories.length);
  const parts = open(width, height, title);
  parts.push(`<text x="${m.l + w / 2}" y="14" font-size="12" text-anchor="middle">${esc(title)}</text>`, `<rect x="${m.l}" y="${m.t}" width="${w}" height="${h}" fill="#fafafa" stroke="#ddd"/>`);
  for (const f of [0, 0.5, 1]) parts.push(`<text x="${m.l - 4}" y="${(m.t + h - f * h + 4).toFixed(1)}" font-size="10" text-anchor="end">${(f * top * 100).toFixed(0)}%</text>`);
  categories.forEach((c, i) => {
    for (const [k, v, color] of [[0, ref[i] ?? 0, REF], [1, win[i] ?? 0, WIN]] as const) {
      const bh = (v / top) * h;
      parts.push(`<rect x="${(m.l + i * bw + 2 + (k * (bw - 4)) / 2).toFixed(1)}" y="${(m.t + h - bh).toFixed(1)}" width="${((bw - 4) / 2 - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="${color}"><title>${esc(c)} ${k === 0 ? 'reference' : 'window'}: ${(v * 100).toFixed(1)}%</title></rect>`);
    }
    parts.push(`<text x="${(m.l + i * bw + bw / 2).toFixed(1)}" y="${m.t + h + 13}" font-size="10" text-anchor="middle">${esc(c)}</text>`);
  });
  legend(parts, m.l + w + 10, m.t + 12, [[REF, 'reference'], [WIN, 'window']]);
  parts.push('</svg>');
  return parts.join('');
}

/** Calibration (reliability) diagram: accuracy against mean confidence per bin, bubble area ∝ rows, the diagonal for perfect calibration. */
export function calibrationPlot(bins: ReadonlyArray<{ lo: number; hi: number; rows: number; meanConfidence: number; accuracy: number }>, ece: number, width = 320, height = 300): string {
  const m = { l: 44, r: 14, t: 22, b: 38 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const sx = (x: number): number => m.l + x * w;
  const sy = (y: number): number => m.t + h - y * h;
  const most = Math.max(1, ...bins.map((b) => b.rows));
  const parts = open(width, height, 'calibration');
  parts.push(`<text x="${m.l + w / 2}" y="14" font-size="12" text-anchor="middle">calibration (ECE ${ece.toFixed(3)})</text>`, `<rect x="${m.l}" y="${m.t}" width="${w}" height="${h}" fill="#fafafa" stroke="#ddd"/>`);
  parts.push(`<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(1)}" y2="${sy(1)}" stroke="#999" stroke-dasharray="4,3"/>`);
  for (const f of [0, 0.5, 1]) parts.push(`<text x="${m.l - 4}" y="${sy(f) + 4}" font-size="10" text-anchor="end">${f}</text><text x="${sx(f)}" y="${m.t + h + 13}" font-size="10" text-anchor="middle">${f}</text>`);
  const pts = bins.map((b) => `${sx(b.meanConfidence).toFixed(1)},${sy(b.accuracy).toFixed(1)}`);
  if (pts.length > 1) parts.push(`<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${pts.join(' ')}"/>`);
  for (const b of bins) {
    parts.push(`<circle cx="${sx(b.meanConfidence).toFixed(1)}" cy="${sy(b.accuracy).toFixed(1)}" r="${(3 + 7 * Math.sqrt(b.rows / most)).toFixed(1)}" fill="#1f77b4" fill-opacity="0.5"><title>confidence [${b.lo.toFixed(1)}, ${b.hi.toFixed(1)}): ${b.rows} rows, mean confidence ${b.meanConfidence.toFixed(3)}, accuracy ${b.accuracy.toFixed(3)}</title></circle>`);
  }
  parts.push(`<text x="${m.l + w / 2}" y="${height - 6}" font-size="11" text-anchor="middle">confidence (largest probability)</text>`);
  parts.push(`<text x="12" y="${m.t + h / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${m.t + h / 2})">accuracy</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/** Live accuracy per window with its 95% interval as a band (and an optional threshold line), markers at their windows. */
export function accuracyChart(points: ReadonlyArray<{ x: number; value: number; lo: number; hi: number; n: number }>, opts: { label: string; threshold?: number; markers?: readonly XMarker[]; yMax?: number }, width = 720, height = 220): string {
  const m = { l: 50, r: 150, t: 16, b: 34 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const [x0, x1] = finiteRange([...points.map((p) => p.x), ...(opts.markers ?? []).map((k) => k.x)]);
  const yMax = opts.yMax ?? 1;
  const sx = (x: number): number => m.l + (x1 === x0 ? w / 2 : ((x - x0) / (x1 - x0)) * w);
  const sy = (y: number): number => m.t + h - (Math.min(y, yMax) / yMax) * h;
  const parts = open(width, height, opts.label);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${w}" height="${h}" fill="#fafafa" stroke="#ccc"/>`);
  for (const f of [0, 0.25, 0.5, 0.75, 1]) parts.push(`<line x1="${m.l}" x2="${m.l + w}" y1="${sy(f * yMax)}" y2="${sy(f * yMax)}" stroke="#eee"/><text x="${m.l - 6}" y="${sy(f * yMax) + 4}" font-size="10" text-anchor="end">${(f * yMax).toPrecision(2)}</text>`);
  if (points.length > 0) {
    const band = [...points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.hi).toFixed(1)}`), ...[...points].reverse().map((p) => `${sx(p.x).toFixed(1)},${sy(p.lo).toFixed(1)}`)];
    parts.push(`<polygon class="ci-band" points="${band.join(' ')}" fill="rgba(31,119,180,0.18)" stroke="none"/>`);
    if (points.length > 1) parts.push(`<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.value).toFixed(1)}`).join(' ')}"/>`);
    for (const p of points) parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.value).toFixed(1)}" r="3" fill="#1f77b4"><title>window ${p.x}: ${p.value.toFixed(3)} [${p.lo.toFixed(3)}, ${p.hi.toFixed(3)}], ${p.n} labels</title></circle>`);
  }
  if (opts.threshold !== undefined && opts.threshold > 0) parts.push(`<line x1="${m.l}" x2="${m.l + w}" y1="${sy(opts.threshold)}" y2="${sy(opts.threshold)}" stroke="#d62728" stroke-dasharray="5,4"/><text x="${m.l + 4}" y="${sy(opts.threshold) - 4}" font-size="11" fill="#d62728">threshold ${opts.threshold}</text>`);
  for (const k of opts.markers ?? []) parts.push(`<line x1="${(sx(k.x) + MARKER_OFFSET[k.kind]).toFixed(1)}" x2="${(sx(k.x) + MARKER_OFFSET[k.kind]).toFixed(1)}" y1="${m.t}" y2="${m.t + h}" stroke="${k.kind === 'alert' ? '#9467bd' : '#ff7f0e'}" stroke-width="2" stroke-dasharray="2,3"><title>${esc(k.text)}</title></line>`);
  const step = Math.max(1, Math.ceil((x1 - x0 + 1) / 10));
  for (let x = Math.ceil(x0); x <= x1; x += step) parts.push(`<text x="${sx(x).toFixed(1)}" y="${m.t + h + 14}" font-size="11" text-anchor="middle">${x}</text>`);
  parts.push(`<text x="${m.l + w / 2}" y="${height - 4}" font-size="12" text-anchor="middle">window</text>`);
  legend(parts, m.l + w + 10, m.t + 14, [['#1f77b4', opts.label], ['rgba(31,119,180,0.3)', '95% interval']]);
  parts.push('</svg>');
  return parts.join('');
}

/** One window on the time axis. */
export interface TimelineWindow {
  startMs: number;
  endMs: number;
  drifted: boolean;
  version: string;
  text: string;
}

/** A time axis (UTC): windows as bars (red when drifted), vertical markers for retrain requests, quality alerts, new versions and rollout events (ModelEvents). */
export function timeline(windows: readonly TimelineWindow[], markers: ReadonlyArray<{ timeMs: number; kind: XMarker['kind']; text: string }>, width = 720, minHeight = 150): string {
  const m = { l: 56, r: 150, t: 14, b: 40 };
  const colors: Record<XMarker['kind'], string> = { retrain: '#ff7f0e', alert: '#9467bd', version: '#1f77b4', rollout: '#17becf', rollback: '#8c564b' };
  const kinds = new Set(markers.map((k) => k.kind));
  const entries: Array<[string, string]> = [['#d62728', 'drifted window'], ['#ff7f0e', 'retrain request'], ['#9467bd', 'quality alert'], ['#1f77b4', 'new version']];
  if (kinds.has('rollout')) entries.push([colors.rollout, 'rollout event']);
  if (kinds.has('rollback')) entries.push([colors.rollback, 'roll-back']);
  // Tall enough for the version labels and the legend below them (right of the axis).
  const versions = [...new Set(windows.map((x) => x.version))];
  const rowH = Math.min(18, (minHeight - m.t - m.b) / Math.max(1, versions.length));
  const height = Math.max(minHeight, m.t + rowH * versions.length + 14 + (entries.length - 1) * 16 + m.b + 4);
  const w = width - m.l - m.r;
  const [t0, t1] = finiteRange([...windows.flatMap((x) => [x.startMs, x.endMs]), ...markers.map((k) => k.timeMs)], 0, 1);
  const sx = (t: number): number => m.l + (t1 === t0 ? w / 2 : ((t - t0) / (t1 - t0)) * w);
  const parts = open(width, height, 'timeline');
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${w}" height="${height - m.t - m.b}" fill="#fafafa" stroke="#ccc"/>`);
  for (const x of windows) {
    const y = m.t + versions.indexOf(x.version) * rowH + 2;
    parts.push(`<rect x="${sx(x.startMs).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1.5, sx(x.endMs) - sx(x.startMs)).toFixed(1)}" height="${(rowH - 4).toFixed(1)}" fill="${x.drifted ? '#d62728' : '#2ca02c'}" fill-opacity="0.7"><title>${esc(x.text)}</title></rect>`);
  }
  versions.forEach((v, i) => parts.push(`<text x="${m.l + w + 6}" y="${(m.t + i * rowH + rowH / 2 + 4).toFixed(1)}" font-size="10">version ${esc(v)}</text>`));
  for (const k of markers) parts.push(`<line class="marker-${k.kind}" x1="${(sx(k.timeMs) + MARKER_OFFSET[k.kind]).toFixed(1)}" x2="${(sx(k.timeMs) + MARKER_OFFSET[k.kind]).toFixed(1)}" y1="${m.t}" y2="${height - m.b}" stroke="${colors[k.kind]}" stroke-width="2" stroke-dasharray="3,2"><title>${esc(k.text)}</title></line>`);
  for (let i = 0; i <= 4; i++) {
    const t = t0 + ((t1 - t0) * i) / 4;
    parts.push(`<text x="${sx(t).toFixed(1)}" y="${height - m.b + 14}" font-size="10" text-anchor="middle">${new Date(t).toISOString().slice(5, 19).replace('T', ' ')}</text>`);
  }
  parts.push(`<text x="${m.l + w / 2}" y="${height - 6}" font-size="11" text-anchor="middle">time (UTC)</text>`);
  legend(parts, m.l + w + 6, m.t + versions.length * rowH + 14, entries);
  parts.push('</svg>');
  return parts.join('');
}
