/**
 * Transformers: the ordered chain a definition applies to extracted rows — filter, map and
 * windowed aggregations per entity. Pure functions over rows in memory.
 */
import type { FilterTransform__Output } from '../../shared/generated/mlmesh/features/v1/FilterTransform.js';
import type { MapTransform__Output } from '../../shared/generated/mlmesh/features/v1/MapTransform.js';
import type { Transform__Output } from '../../shared/generated/mlmesh/features/v1/Transform.js';
import type { WindowTransform__Output } from '../../shared/generated/mlmesh/features/v1/WindowTransform.js';
import { TransformError } from './errors.js';

/** One row from a source, or produced by a window: entity, event time (epoch ms) and columns. */
export interface SourceRow {
  entity: string;
  ts: number;
  cols: Record<string, unknown>;
  /** Where it came from, for error messages (`line 17`, `row 3`, `window avg(balance)`). */
  at: string;
}

function isNull(v: unknown): boolean {
  return v === null || v === undefined || v === '';
}

function num(v: unknown, row: SourceRow, column: string): number {
  const x = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (Number.isNaN(x)) throw new TransformError(`${row.at}: column ${column}: ${JSON.stringify(typeof v === 'bigint' ? String(v) : v)} is not a number`);
  // Infinities would poison a window's exact sum (inf - inf) and no feature type can hold them.
  if (!Number.isFinite(x)) throw new TransformError(`${row.at}: column ${column}: ${String(x)} is not a finite number`);
  return x;
}

function compare(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function filterRow(f: FilterTransform__Output, row: SourceRow): boolean {
  const v = row.cols[f.column];
  if (f.op === 'IS_NULL') return isNull(v);
  if (f.op === 'NOT_NULL') return !isNull(v);
  if (isNull(v)) return false;
  const lit = f.value;
  let c: number;
  switch (lit?.kind) {
    case 'string_value':
      c = compare(String(v), lit.string_value ?? '');
      break;
    case 'bool_value': {
      const s = String(v).trim().toLowerCase();
      const b = v === true || s === 'true' || s === '1';
      c = compare(Number(b), Number(lit.bool_value));
      break;
    }
    default:
      c = compare(num(v, row, f.column), Number(lit?.kind === 'int64_value' ? lit.int64_value : lit?.float_value));
  }
  switch (f.op) {
    case 'EQ':
      return c === 0;
    case 'NE':
      return c !== 0;
    case 'LT':
      return c < 0;
    case 'LE':
      return c <= 0;
    case 'GT':
      return c > 0;
    case 'GE':
      return c >= 0;
    default:
      return false;
  }
}

function mapValue(m: MapTransform__Output, row: SourceRow): unknown {
  const v = row.cols[m.column];
  if (isNull(v)) return null;
  const x = (): number => num(v, row, m.column);
  switch (m.op) {
    case 'ADD':
      return x() + m.operand;
    case 'SUBTRACT':
      return x() - m.operand;
    case 'MULTIPLY':
      return x() * m.operand;
    case 'DIVIDE':
      return x() / m.operand;
    case 'ABS':
      return Math.abs(x());
    case 'LOG1P': {
      const n = x();
      if (n <= -1) throw new TransformError(`${row.at}: column ${m.column}: LOG1P needs a value > -1, got ${n}`);
      return Math.log1p(n);
    }
    case 'CLIP_MIN':
      return Math.max(x(), m.operand);
    case 'CLIP_MAX':
      return Math.min(x(), m.operand);
    case 'ROUND': {
      const f = 10 ** m.operand;
      return Math.round(x() * f) / f;
    }
    case 'LOWER':
      return String(v).toLowerCase();
    case 'UPPER':
      return String(v).toUpperCase();
    case 'TO_FLOAT':
      return x();
    case 'TO_INT64':
      return Math.trunc(x());
    default:
      throw new TransformError(`map: unknown op ${m.op}`);
  }
}

/**
 * An exact running sum (Shewchuk's partials, as Python's `math.fsum`): the values added are kept
 * as non-overlapping partials whose sum is exact, and {@link ExactSum.value} rounds it correctly.
 * Removing a value adds its negation, which cancels it exactly, so the result depends only on the
 * values in the window and never on what entered and left before: a window's sum is the same
 * whichever rows a materialization started from (splitting a range cannot change a value).
 */
export class ExactSum {
  private partials: number[] = [];

  /** Adds `x` (finite). */
  add(x: number): void {
    const p = this.partials;
    let i = 0;
    for (let j = 0; j < p.length; j++) {
      let y = p[j] as number;
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) p[i++] = lo;
      x = hi;
    }
    p.length = i;
    if (x !== 0 || i === 0) p.push(x);
  }

  /** The exact sum of everything added, rounded to the nearest double (ties to even). */
  value(): number {
    const p = this.partials;
    let n = p.length;
    if (n === 0) return 0;
    let hi = p[--n] as number;
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n] as number;
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    // Round half to even across the remaining partials (math_fsum's final correction).
    if (n > 0 && ((lo < 0 && (p[n - 1] as number) < 0) || (lo > 0 && (p[n - 1] as number) > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }

  /** Back to 0. */
  clear(): void {
    this.partials = [];
  }
}

/**
 * What a window with no non-null value in it aggregates to: 0 for COUNT and SUM, null for AVG,
 * MIN, MAX and LAST (as the SQL aggregates).
 */
export function emptyWindowValue(aggregation: WindowTransform__Output['aggregation']): unknown {
  return aggregation === 'COUNT' || aggregation === 'SUM' ? 0 : null;
}

/**
 * The aggregate of the rows in a sliding window [lo, hi) of one entity's time-sorted rows,
 * updated as the window's ends move right: O(1) amortised per row entering or leaving.
 * `nums[k]` is NaN for a null value (ignored, as the SQL aggregates do). Sums are exact
 * ({@link ExactSum}), so a window's SUM and AVG do not depend on the rows that came before it;
 * MIN/MAX keep a monotonic deque of indices.
 */
class SlidingAggregate {
  private count = 0;
  private readonly sum = new ExactSum();
  private lastValid = -1;
  private readonly minQ: number[] = [];
  private readonly maxQ: number[] = [];
  private minHead = 0;
  private maxHead = 0;

  constructor(
    private readonly w: WindowTransform__Output,
    private readonly sorted: readonly SourceRow[],
    private readonly nums: Float64Array,
  ) {}

  /** Row k enters the window. */
  enter(k: number): void {
    const x = this.nums[k] as number;
    if (Number.isNaN(x)) return;
    this.count++;
    this.sum.add(x);
    this.lastValid = k;
    while (this.minQ.length > this.minHead && (this.nums[this.minQ[this.minQ.length - 1] as number] as number) >= x) this.minQ.pop();
    this.minQ.push(k);
    while (this.maxQ.length > this.maxHead && (this.nums[this.maxQ[this.maxQ.length - 1] as number] as number) <= x) this.maxQ.pop();
    this.maxQ.push(k);
  }

  /** Row k leaves the window (rows leave in order). */
  leave(k: number): void {
    const x = this.nums[k] as number;
    if (!Number.isNaN(x)) {
      this.count--;
      if (this.count === 0) this.sum.clear();
      else this.sum.add(-x);
    }
    while (this.minHead < this.minQ.length && (this.minQ[this.minHead] as number) <= k) this.minHead++;
    while (this.maxHead < this.maxQ.length && (this.maxQ[this.maxHead] as number) <= k) this.maxHead++;
  }

  /** The aggregate of the rows now in the window; `lo` is the window's first row. */
  value(lo: number): unknown {
    // No non-null value in the window (then LAST's last valid row is before `lo` too).
    if (this.count === 0) return emptyWindowValue(this.w.aggregation);
    switch (this.w.aggregation) {
      case 'COUNT':
        return this.count;
      case 'SUM':
        return this.sum.value();
      case 'AVG':
        return this.sum.value() / this.count;
      case 'MIN':
        return this.nums[this.minQ[this.minHead] as number];
      case 'MAX':
        return this.nums[this.maxQ[this.maxHead] as number];
      default:
        return this.lastValid < lo ? null : (this.sorted[this.lastValid] as SourceRow).cols[this.w.column];
    }
  }
}

/**
 * Per entity, the aggregate over (t - window_ms, t] at every t where a row enters or leaves the
 * window, so a read as of any time sees the aggregate of exactly the rows of its window. The
 * aggregate slides with the window (SlidingAggregate): O(rows) per entity, not O(rows × rows per
 * window).
 */
function windowRows(w: WindowTransform__Output, rows: readonly SourceRow[]): SourceRow[] {
  const span = Number(w.window_ms);
  const byEntity = new Map<string, SourceRow[]>();
  for (const r of rows) {
    const list = byEntity.get(r.entity);
    if (list) list.push(r);
    else byEntity.set(r.entity, [r]);
  }
  const out: SourceRow[] = [];
  const label = `window ${w.aggregation.toLowerCase()}(${w.column}) over ${span} ms`;
  const numeric = w.aggregation !== 'LAST' && w.aggregation !== 'COUNT';
  for (const [entity, list] of byEntity) {
    // Stable sort: rows with the same time keep their source order (LAST takes the later one).
    const sorted = [...list].sort((a, b) => a.ts - b.ts);
    // Each row's value once: NaN for null; numbers only where the aggregation needs them.
    const nums = new Float64Array(sorted.length);
    sorted.forEach((r, k) => {
      const v = r.cols[w.column];
      nums[k] = isNull(v) ? NaN : numeric ? num(v, r, w.column) : 0;
    });
    const times = [...new Set(sorted.flatMap((r) => [r.ts, r.ts + span]))].sort((a, b) => a - b);
    const agg = new SlidingAggregate(w, sorted, nums);
    let hi = 0; // rows [0, hi) have ts <= t
    let lo = 0; // rows [0, lo) have ts <= t - span: outside the window
    for (const t of times) {
      while (hi < sorted.length && (sorted[hi] as SourceRow).ts <= t) agg.enter(hi++);
      while (lo < hi && (sorted[lo] as SourceRow).ts <= t - span) agg.leave(lo++);
      out.push({ entity, ts: t, cols: { [w.output]: agg.value(lo) }, at: `${label} at ${new Date(t).toISOString()}` });
    }
  }
  return out;
}

/**
 * Applies the transforms in order.
 * @throws TransformError naming the transform and the row when a value cannot be transformed.
 */
export function applyTransforms(rows: readonly SourceRow[], transforms: readonly Transform__Output[]): SourceRow[] {
  let current: SourceRow[] = [...rows];
  transforms.forEach((t, i) => {
    try {
      if (t.filter) {
        const f = t.filter;
        current = current.filter((r) => filterRow(f, r));
      } else if (t.map) {
        const m = t.map;
        current = current.map((r) => ({ ...r, cols: { ...r.cols, [m.output]: mapValue(m, r) } }));
      } else if (t.window) {
        current = windowRows(t.window, current);
      }
    } catch (e: unknown) {
      if (e instanceof TransformError) throw new TransformError(`transforms[${i}] (${t.kind}): ${e.message}`);
      throw e;
    }
  });
  return current;
}
