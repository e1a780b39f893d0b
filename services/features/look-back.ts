/**
 * How much of a source's past a definition's value at a time depends on: what a Materialize must
 * read before its start to get the value in effect there right, and what that value is when the
 * source has nothing left in the look-back.
 */
import type { FeatureDefinition } from './definitions.js';
import { lookbackMs } from './definitions.js';
import { applyTransforms, emptyWindowValue } from './transformers.js';

/**
 * - `window`: the definition ends with a window (only maps after it), so its value at t depends
 *   only on the rows in (t − lookbackMs, t]: once they are gone the window is empty and the value
 *   is `empty` (the empty aggregate through the maps after the window; not yet coerced).
 * - `unbounded`: no window (each value is a row's own: the value at t is the latest row before
 *   it, however old), or a filter after the last window (the latest window value that passed the
 *   filter, however old). `rowWise`: no window at all, so rows can be transformed one at a time.
 */
export type PastDependence =
  | { readonly kind: 'window'; readonly lookbackMs: number; readonly empty: unknown }
  | { readonly kind: 'unbounded'; readonly lookbackMs: number; readonly rowWise: boolean };

/** How `def`'s values depend on the past (see {@link PastDependence}). */
export function pastDependence(def: FeatureDefinition): PastDependence {
  const ts = def.transforms;
  const last = ts.findLastIndex((t) => Boolean(t.window));
  const window = ts[last]?.window;
  if (!window || ts.slice(last + 1).some((t) => !t.map)) return { kind: 'unbounded', lookbackMs: lookbackMs(def), rowWise: last < 0 };
  // The maps after the window are applied to the empty aggregate as to any value of the window.
  const [row] = applyTransforms([{ entity: '', ts: 0, cols: { [window.output]: emptyWindowValue(window.aggregation) }, at: 'an emptied window' }], ts.slice(last + 1));
  return { kind: 'window', lookbackMs: lookbackMs(def), empty: row?.cols[def.value_column] ?? null };
}
