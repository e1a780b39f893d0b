/**
 * The sliding window aggregate against a brute-force scan of every window, on random data with
 * nulls and ties, for every aggregation; and a dense entity (40,000 rows in one window), which a
 * rescan per emission made quadratic.
 */
import test from 'ava';
import { ExactSum, applyTransforms } from '../../services/features/transformers.js';
import type { SourceRow } from '../../services/features/transformers.js';
import { seededRandom } from '../../services/monitor/stats/index.js';

const AGGS = ['AVG', 'SUM', 'COUNT', 'MIN', 'MAX', 'LAST'] as const;

function brute(rows: SourceRow[], agg: (typeof AGGS)[number], t: number, span: number): unknown {
  const inWin = rows.filter((r) => r.ts > t - span && r.ts <= t).sort((a, b) => a.ts - b.ts);
  const vals = inWin.map((r) => r.cols['v']).filter((v) => v !== null) as number[];
  switch (agg) {
    case 'COUNT':
      return vals.length;
    case 'SUM':
      return vals.reduce((a, b) => a + b, 0);
    case 'AVG':
      return vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null;
    case 'MIN':
      return vals.length ? Math.min(...vals) : null;
    case 'MAX':
      return vals.length ? Math.max(...vals) : null;
    default: {
      const nonNull = inWin.filter((r) => r.cols['v'] !== null);
      return nonNull.length ? nonNull[nonNull.length - 1]?.cols['v'] : null;
    }
  }
}

test('window - the sliding aggregate equals a brute-force scan of every window (nulls, ties, two entities)', (t) => {
  const rand = seededRandom(99);
  const rows: SourceRow[] = [];
  for (let i = 0; i < 400; i++) {
    const ts = Math.floor(rand() * 200) * 1000; // many equal times
    rows.push({ entity: rand() < 0.5 ? 'a' : 'b', ts, cols: { v: rand() < 0.1 ? null : Math.round((rand() - 0.5) * 2000) / 10 }, at: `row ${i}` });
  }
  const span = 15_000;
  for (const agg of AGGS) {
    const out = applyTransforms(rows, [{ window: { column: 'v', aggregation: agg, window_ms: String(span), output: 'x' }, kind: 'window' }] as never);
    t.true(out.length > 0);
    for (const o of out) {
      const expected = brute(rows.filter((r) => r.entity === o.entity), agg, o.ts, span);
      const got = o.cols['x'];
      if (typeof expected === 'number' && typeof got === 'number') t.true(Math.abs(got - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${agg} ${o.entity}@${o.ts}: ${got} vs ${expected}`);
      else t.is(got, expected, `${agg} ${o.entity}@${o.ts}`);
    }
  }
});

test('window - 40,000 rows of one entity inside one window: every emission, the right average (a rescan per emission took 3.5 s here)', (t) => {
  const rows: SourceRow[] = Array.from({ length: 40_000 }, (_, i) => ({ entity: 'dense', ts: i, cols: { v: i % 7 }, at: `row ${i}` }));
  const out = applyTransforms(rows, [{ window: { column: 'v', aggregation: 'AVG', window_ms: String(90 * 86_400_000), output: 'x' }, kind: 'window' }] as never);
  // One emission per row entering and one per row leaving.
  t.is(out.length, 80_000);
  const lastIn = out.find((o) => o.ts === 39_999);
  const expected = rows.reduce((a, r) => a + (r.cols['v'] as number), 0) / rows.length;
  t.true(Math.abs((lastIn?.cols['x'] as number) - expected) < 1e-9);
});

test('window - the exact sum equals the correctly rounded sum of the values in the window, whatever entered and left before', (t) => {
  const rand = seededRandom(7);
  // Dyadic values of very different magnitudes (exact in binary), so the exact sum is known:
  // scaled by 2^40 every value is an integer.
  const SCALE = 40;
  const live: { x: number; big: bigint }[] = [];
  const sum = new ExactSum();
  let checked = 0;
  for (let step = 0; step < 3000; step++) {
    if (live.length > 0 && rand() < 0.45) {
      const [gone] = live.splice(Math.floor(rand() * live.length), 1);
      sum.add(-(gone as { x: number }).x);
    } else {
      const mantissa = Math.floor(rand() * 2 ** 40) * (rand() < 0.5 ? -1 : 1);
      const exp = Math.floor(rand() * 60) - 40; // 2^-40 .. 2^19
      const x = mantissa * 2 ** exp;
      live.push({ x, big: BigInt(mantissa) * 2n ** BigInt(exp + SCALE) });
      sum.add(x);
    }
    const exact = live.reduce((a, v) => a + v.big, 0n);
    const expected = Number(exact) / 2 ** SCALE;
    if (sum.value() !== expected) {
      t.fail(`step ${step}: ${sum.value()} vs ${expected}`);
      return;
    }
    checked++;
  }
  // The same live values added fresh give the same double.
  const fresh = new ExactSum();
  for (const v of live) fresh.add(v.x);
  t.is(fresh.value(), sum.value());
  t.is(checked, 3000);
});
