/** Small SVG chart builders for the monitor's page: no external assets, no scripts. */

/** Escapes text for HTML/SVG. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/**
 * Smallest and largest finite value of `values` (by a loop: spreading a data-sized array into
 * Math.min/Math.max overflows the stack); [fallbackLo, fallbackHi] when there is none.
 */
export function finiteRange(values: ArrayLike<number>, fallbackLo = 0, fallbackHi = 1): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [fallbackLo, fallbackHi];
}

/** At most `max` points of an interleaved [x0, y0, x1, y1, …] array, evenly strided (deterministic). */
export function stridePoints(xy: Float64Array, max: number): Float64Array {
  const n = xy.length / 2;
  if (n <= max) return xy;
  const out = new Float64Array(max * 2);
  for (let k = 0; k < max; k++) {
    const i = Math.floor((k * n) / max);
    out[2 * k] = xy[2 * i] as number;
    out[2 * k + 1] = xy[2 * i + 1] as number;
  }
  return out;
}

/** Points per sample drawn in a scatter plot (more only make the page heavy, not clearer). */
export const SCATTER_MAX_POINTS = 2000;

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

/** Smallest p-value a p-value chart shows; smaller ones are drawn at it as ▼, with their value in the tooltip. */
export const P_FLOOR = 1e-6;

/**
 * A vertical marker on a chart's x axis: a retrain request, a quality alert, a version's first
 * window, a rollout event (started, step, promoted, completed, retired, route set, paused,
 * resumed) or a roll-back (rolled back, aborted, route refused), from ModelEvents.
 */
export interface XMarker {
  x: number;
  kind: 'retrain' | 'alert' | 'version' | 'rollout' | 'rollback';
  text: string;
}

const MARKER_COLORS: Record<XMarker['kind'], string> = { retrain: '#ff7f0e', alert: '#9467bd', version: '#2ca02c', rollout: '#17becf', rollback: '#8c564b' };

/** Legend text of each marker kind. */
export const MARKER_LABELS: Record<XMarker['kind'], string> = { retrain: 'retrain request', alert: 'quality alert', version: 'new version', rollout: 'rollout event', rollback: 'roll-back' };

/** Pixels a marker of this kind is shifted by, so a retrain request and an alert on one window both show. */
export const MARKER_OFFSET: Record<XMarker['kind'], number> = { retrain: -3, alert: 3, version: 0, rollout: 1, rollback: -1 };

/**
 * A line chart of p-values (log scale, {@link P_FLOOR} … 1) over window indices, one series per
 * detector, with the alpha line and a legend. A p-value below the floor is not clipped silently:
 * it is drawn as a downward triangle on the floor, its value in the tooltip, and the legend says
 * how many there are. Markers draw vertical lines (retrain requests, alerts) at their window.
 */
export function pValueChart(series: Array<{ name: string; points: Array<[number, number]> }>, alpha: number, width = 720, height = 260, markers: readonly XMarker[] = []): string {
  // The legend's column is as wide as its longest name (about 7 px per character at 12 px).
  const m = { l: 56, r: Math.max(170, 36 + 7 * Math.max(0, ...series.map((s) => s.name.length))), t: 16, b: 36 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const decades = -Math.log10(P_FLOOR);
  const [x0, x1] = finiteRange([...series.flatMap((s) => s.points.map((p) => p[0])), ...markers.map((k) => k.x)]);
  const sx = (x: number): number => m.l + (x1 === x0 ? w / 2 : ((x - x0) / (x1 - x0)) * w);
  const sy = (p: number): number => m.t + (-Math.log10(Math.max(p, P_FLOOR)) / decades) * h;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="p-values over windows">`];
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${w}" height="${h}" fill="#fafafa" stroke="#ccc"/>`);
  for (let e = 0; e <= decades; e++) {
    const y = sy(10 ** -e);
    parts.push(`<line x1="${m.l}" x2="${m.l + w}" y1="${y}" y2="${y}" stroke="#eee"/><text x="${m.l - 6}" y="${y + 4}" font-size="11" text-anchor="end">${e === decades ? '≤' : ''}1e-${e}</text>`);
  }
  const ya = sy(alpha);
  parts.push(`<line x1="${m.l}" x2="${m.l + w}" y1="${ya}" y2="${ya}" stroke="#d62728" stroke-dasharray="5,4"/><text x="${m.l + 4}" y="${ya - 4}" font-size="11" fill="#d62728">alpha ${alpha}</text>`);
  for (const k of markers) {
    const x = (sx(k.x) + MARKER_OFFSET[k.kind]).toFixed(1);
    parts.push(`<line class="marker-${k.kind}" x1="${x}" x2="${x}" y1="${m.t}" y2="${m.t + h}" stroke="${MARKER_COLORS[k.kind]}" stroke-width="2" stroke-dasharray="2,3"><title>${esc(k.text)}</title></line>`);
  }
  // Window ticks: every window when few, else about ten.
  const step = Math.max(1, Math.ceil((x1 - x0 + 1) / 10));
  for (let x = Math.ceil(x0); x <= x1; x += step) parts.push(`<text x="${sx(x).toFixed(1)}" y="${m.t + h + 14}" font-size="11" text-anchor="middle">${x}</text>`);
  parts.push(`<text x="${m.l + w / 2}" y="${height - 4}" font-size="12" text-anchor="middle">window</text>`);
  parts.push(`<text x="14" y="${m.t + h / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${m.t + h / 2})">p-value</text>`);
  let below = 0;
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length] as string;
    const pts = s.points.map(([x, p]) => `${sx(x).toFixed(1)},${sy(p).toFixed(1)}`);
    if (pts.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const [x, p] of s.points) {
      const cx = sx(x);
      const cy = sy(p);
      if (p < P_FLOOR) {
        below++;
        parts.push(`<path class="below-floor" d="M${(cx - 5).toFixed(1)},${(cy - 4).toFixed(1)} L${(cx + 5).toFixed(1)},${(cy - 4).toFixed(1)} L${cx.toFixed(1)},${(cy + 5).toFixed(1)} Z" fill="${color}"><title>${esc(s.name)} window ${x}: p=${p.toExponential(2)} (below the plot's floor ${P_FLOOR.toExponential(0)})</title></path>`);
      } else parts.push(`<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="3" fill="${color}"><title>${esc(s.name)} window ${x}: p=${p.toExponential(2)}</title></circle>`);
    }
    parts.push(`<rect x="${m.l + w + 10}" y="${m.t + 4 + i * 17}" width="12" height="12" fill="${color}"/><text x="${m.l + w + 28}" y="${m.t + 14 + i * 17}" font-size="12">${esc(s.name)}</text>`);
  });
  const ly = m.t + 8 + series.length * 17;
  parts.push(`<text x="${m.l + w + 10}" y="${ly + 10}" font-size="11" fill="#444">▼ p below ${P_FLOOR.toExponential(0)}: ${below}</text>`);
  const kinds = [...new Set(markers.map((k) => k.kind))];
  kinds.forEach((k, i) => parts.push(`<line x1="${m.l + w + 10}" x2="${m.l + w + 22}" y1="${ly + 24 + i * 16}" y2="${ly + 24 + i * 16}" stroke="${MARKER_COLORS[k]}" stroke-width="2" stroke-dasharray="2,3"/><text x="${m.l + w + 28}" y="${ly + 28 + i * 16}" font-size="11">${MARKER_LABELS[k]}</text>`));
  parts.push('</svg>');
  return parts.join('');
}

/** Overlaid histograms of one feature: reference (blue) vs window (red), densities on shared bins. */
export function histogram(title: string, ref: Float64Array, win: Float64Array, bins = 20, width = 230, height = 150): string {
  const [rLo, rHi] = finiteRange(ref, Infinity, -Infinity);
  const [wLo, wHi] = finiteRange(win, Infinity, -Infinity);
  const lo = Number.isFinite(Math.min(rLo, wLo)) ? Math.min(rLo, wLo) : 0;
  const hi = Number.isFinite(Math.max(rHi, wHi)) ? Math.max(rHi, wHi) : 1;
  const span = hi - lo || 1;
  const dens = (v: Float64Array): number[] => {
    const c = new Array<number>(bins).fill(0);
    for (const x of v) {
      if (!Number.isFinite(x)) continue;
      const b = Math.min(bins - 1, Math.floor(((x - lo) / span) * bins));
      c[b] = (c[b] as number) + 1;
    }
    return c.map((n) => (v.length ? n / v.length : 0));
  };
  const dr = dens(ref);
  const dw = dens(win);
  const top = Math.max(finiteRange([...dr, ...dw], 0, 0)[1], 1e-9);
  const m = { l: 6, r: 6, t: 20, b: 18 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const bw = w / bins;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">`];
  parts.push(`<text x="${width / 2}" y="13" font-size="12" text-anchor="middle">${esc(title)}</text>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${w}" height="${h}" fill="#fafafa" stroke="#ddd"/>`);
  for (const [d, color] of [[dr, 'rgba(31,119,180,0.55)'], [dw, 'rgba(214,39,40,0.55)']] as const) {
    d.forEach((v, i) => {
      const bh = (v / top) * h;
      parts.push(`<rect x="${(m.l + i * bw).toFixed(1)}" y="${(m.t + h - bh).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="${color}"/>`);
    });
  }
  parts.push(`<text x="${m.l}" y="${height - 4}" font-size="10">${lo.toPrecision(3)}</text><text x="${width - m.r}" y="${height - 4}" font-size="10" text-anchor="end">${hi.toPrecision(3)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/**
 * A scatter plot of 2-D points (interleaved [x0, y0, x1, y1, …]): reference (blue) vs window
 * (red), at most {@link SCATTER_MAX_POINTS} of each (evenly strided); the axes span every point.
 */
export function scatter(title: string, refAll: Float64Array, winAll: Float64Array, width = 420, height = 360, labels: { ref: string; win: string; x?: string; y?: string } = { ref: 'reference', win: 'window' }): string {
  const axis = (pts: Float64Array, offset: number): Float64Array => pts.filter((_, i) => i % 2 === offset);
  const [rx0, rx1] = finiteRange(axis(refAll, 0), Infinity, -Infinity);
  const [wx0, wx1] = finiteRange(axis(winAll, 0), Infinity, -Infinity);
  const [ry0, ry1] = finiteRange(axis(refAll, 1), Infinity, -Infinity);
  const [wy0, wy1] = finiteRange(axis(winAll, 1), Infinity, -Infinity);
  const finiteOr = (v: number, d: number): number => (Number.isFinite(v) ? v : d);
  const [x0, x1, y0, y1] = [finiteOr(Math.min(rx0, wx0), 0), finiteOr(Math.max(rx1, wx1), 1), finiteOr(Math.min(ry0, wy0), 0), finiteOr(Math.max(ry1, wy1), 1)];
  const ref = stridePoints(refAll, SCATTER_MAX_POINTS);
  const win = stridePoints(winAll, SCATTER_MAX_POINTS);
  const m = { l: 10, r: 10, t: 24, b: 46 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const sx = (x: number): number => m.l + ((x - x0) / (x1 - x0 || 1)) * w;
  const sy = (y: number): number => m.t + h - ((y - y0) / (y1 - y0 || 1)) * h;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">`];
  parts.push(`<text x="${width / 2}" y="15" font-size="12" text-anchor="middle">${esc(title)}</text>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${w}" height="${h}" fill="#fafafa" stroke="#ddd"/>`);
  for (const [pts, color] of [[ref, '#1f77b4'], [win, '#d62728']] as const) {
    for (let i = 0; i + 1 < pts.length; i += 2) parts.push(`<circle cx="${sx(pts[i] as number).toFixed(1)}" cy="${sy(pts[i + 1] as number).toFixed(1)}" r="2.2" fill="${color}" fill-opacity="0.5"/>`);
  }
  // Legend and axis names under the plot.
  const ly = height - 26;
  // Legend keys are squares: every circle of the plot is a data point.
  parts.push(`<rect x="${m.l + 2}" y="${ly - 8}" width="8" height="8" fill="#1f77b4"/><text x="${m.l + 14}" y="${ly}" font-size="11">${esc(labels.ref)} (${refAll.length / 2})</text>`);
  parts.push(`<rect x="${m.l + w / 2 - 4}" y="${ly - 8}" width="8" height="8" fill="#d62728"/><text x="${m.l + w / 2 + 8}" y="${ly}" font-size="11">${esc(labels.win)} (${winAll.length / 2})</text>`);
  if (labels.x || labels.y) parts.push(`<text x="${m.l}" y="${height - 8}" font-size="10" fill="#666">axes: ${esc([labels.x, labels.y].filter(Boolean).join(' / '))}</text>`);
  parts.push('</svg>');
  return parts.join('');
}
