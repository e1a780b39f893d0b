/**
 * Materializing in consecutive ranges (daily incremental runs) must write exactly what one
 * materialization of the whole range writes: the same values at the same event times, and so the
 * same point-in-time reads. Property-style: seeded random rows (nulls, equal times, rows before
 * the first start and after the end), thirteen definitions (window SUM/AVG/MIN/MAX/COUNT/LAST, a
 * filter before a window, a map, plain values, a window over a window, a map and a filter after a
 * window), split points inside windows, at exact row times, at window exits and a 1 ms piece,
 * pieces run out of order; on SQLite and on Redis. The whole run itself is checked against sums
 * and counts made here.
 *
 * Re-materializing [start, end) after the source was corrected — in the range or before it, in
 * the look-back — must read, at every time in [start, end), what a fresh materialization of the
 * corrected source reads: the reviewers' cases one by one, then random corrections.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import type { FeatureDefinition } from '../../shared/generated/mlmesh/features/v1/FeatureDefinition.js';
import { normalizeDefinition } from '../../services/features/index.js';
import { dumpValues, freshLocation, seededRandom, startFeatures } from '../helpers/features.js';
import type { Backend, FeaturesFixture, StoreLocation } from '../helpers/features.js';
import { assertStatus, grpc } from '../helpers/grpc.js';
import { DAY, END, ENTITIES, T0, VARIANTS, asOf, at, correct, csv, definition, grid, historical, lines, makeRows, readKey, readTimes, smallDefs, win } from './ranges-data.js';
import type { Row } from './ranges-data.js';
import { column } from './suite.js';

/** Split points: inside windows, at row times, at a window exit, a 1 ms piece, every 5 days. */
function splitPoints(rows: readonly Row[]): number[] {
  const at = (i: number): number => (rows[i] as Row).ts;
  const points = [T0 + 3.3 * DAY, T0 + 12.7 * DAY, at(10), at(40), at(41) + 1, at(20) + 7 * DAY, at(30), at(30) + 1, at(14), ...[1, 2, 3, 4, 5, 6, 7].map((k) => T0 + 5 * k * DAY)];
  return [...new Set(points.map(Math.round))].filter((p) => p > T0 && p < END).sort((a, b) => a - b);
}

/** Sum and count of the non-null values of `entity` in (t - span, t], and whether any row is there. */
function windowOf(rows: readonly Row[], entity: string, t: number, span: number, keep: (r: Row) => boolean = () => true): { sum: number; count: number } {
  const inWin = rows.filter((r) => r.entity === entity && r.ts > t - span && r.ts <= t && r.v !== null && keep(r));
  return { sum: inWin.reduce((s, r) => s + (r.v as number), 0), count: inWin.length };
}

function close(t: ExecutionContext, got: unknown, expected: number, what: string): void {
  t.true(typeof got === 'number' && Math.abs(got - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: got ${String(got)}, expected ${expected}`);
}

async function property(t: ExecutionContext, backend: Backend, seed: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-ranges-'));
  const rows = makeRows(seed);
  await writeFile(join(dir, 'rows.csv'), csv(rows));
  const wholeLoc = await freshLocation(backend);
  const splitLoc = await freshLocation(backend);
  const whole = await startFeatures(wholeLoc, { overrides: { dataDir: dir } });
  const split = await startFeatures(splitLoc, { overrides: { dataDir: dir } });
  try {
    const names = Object.keys(VARIANTS);
    for (const n of names) {
      await whole.client.register(definition(n));
      await split.client.register(definition(n));
    }
    const points = splitPoints(rows);
    const bounds = [T0, ...points, END];
    const pieces = bounds.slice(1).map((e, i) => [bounds[i] as number, e] as const);
    // Out of order: a later range first, then earlier ones.
    const rand = seededRandom(seed + 1);
    const order = pieces.map((p) => [rand(), p] as const).sort((a, b) => a[0] - b[0]).map(([, p]) => p);
    for (const n of names) {
      await whole.client.materialize(`${n}@1`, T0, END);
      for (const [s, e] of order) await split.client.materialize(`${n}@1`, s, e);
    }
    for (const n of names) {
      const a = await dumpValues(wholeLoc, n, 1);
      const b = await dumpValues(splitLoc, n, 1);
      t.true(a.length > 0, `${n}: the whole run wrote values`);
      t.deepEqual(b, a, `${n}: ${pieces.length} pieces store the same values as one run`);
    }
    // Point-in-time reads at every row time, 1 ms either side, at window exits and at the split points.
    const times = new Set<number>();
    for (const r of rows) for (const x of [r.ts - 1, r.ts, r.ts + 1, r.ts + 7 * DAY, r.ts + 7 * DAY - 1]) times.add(x);
    for (const p of points) for (const x of [p - 1, p, p + 1]) times.add(x);
    const readTimes = [...times].filter((x) => x >= T0 && x < END).sort((x, y) => x - y);
    const entityRows = readTimes.flatMap((time_ms) => ENTITIES.map((entity_id) => ({ entity_id, time_ms })));
    const refs = names.map((n) => `${n}@1`);
    const ra = await historical(whole, refs, entityRows);
    const rb = await historical(split, refs, entityRows);
    t.is(ra.length, entityRows.length);
    t.deepEqual(rb, ra, 'point-in-time reads agree');
    // The whole run is right: sums, counts and plain values computed here from the rows.
    const col = (name: string): number => refs.indexOf(`${name}@1`);
    let checked = 0;
    for (const r of ra) {
      const at = Number(r.time_ms);
      const e = r.entity_id;
      const value = (name: string): [unknown, string] => {
        const v = r.values[col(name)];
        const kind = v?.value?.kind;
        return [kind ? v.value?.[kind] : null, v?.status as string];
      };
      const w7 = windowOf(rows, e, at, 7 * DAY);
      const [sum, sumStatus] = value('sum7');
      const [count, countStatus] = value('count7');
      // An empty window may also be NOT_FOUND: its exit happened before the look-back of T0.
      if (w7.count > 0) {
        close(t, sum, w7.sum, `sum7 ${e} at ${at}`);
        t.is(count, String(w7.count), `count7 ${e} at ${at}`);
      } else {
        t.true(sumStatus === 'NOT_FOUND' || sum === 0, `sum7 ${e} at ${at}: ${sumStatus} ${String(sum)}`);
        t.true(countStatus === 'NOT_FOUND' || count === '0', `count7 ${e} at ${at}`);
      }
      const pos = windowOf(rows, e, at, 7 * DAY, (x) => (x.v as number) > 0);
      if (pos.count > 0) close(t, value('pos_sum7')[0], pos.sum, `pos_sum7 ${e} at ${at}`);
      // Plain values: the latest row at or before the read time, however old (one from before T0
      // too: the value in effect at T0); of rows at one time, the last written.
      const plain = rows.filter((x) => x.entity === e && x.ts <= at && x.v !== null).sort((x, y) => x.ts - y.ts).at(-1);
      if (plain) t.is(value('plain')[0], plain.v, `plain ${e} at ${at}`);
      else t.is(value('plain')[1], 'NOT_FOUND', `plain ${e} at ${at}`);
      checked++;
    }
    t.true(checked > 1000, `${checked} rows checked`);
  } finally {
    await whole.stop();
    await split.stop();
    await wholeLoc.cleanup();
    await splitLoc.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
}

for (const backend of ['sqlite', 'redis'] as const) {
  test(`${backend}: materialize ranges - one range whole and in pieces (inside windows, at row times, out of order) stores the same values and reads`, async (t) => {
    for (const seed of [7, 1234]) await property(t, backend, seed);
  });

  test(`${backend}: materialize ranges - the review's case: [0, 20 d) then [20 d, 40 d) keeps the 7-day sum as of day 15 at 15`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'mlmesh-ranges-'));
    await writeFile(join(dir, 'rows.csv'), `user_id,ts,v\nu1,${new Date(12.5 * DAY).toISOString()},10\nu1,${new Date(13.2 * DAY).toISOString()},5\n`);
    const loc = await freshLocation(backend);
    const f = await startFeatures(loc, { overrides: { dataDir: dir } });
    try {
      await f.client.register({ name: 'sum7', version: 1, entity: 'user', value_type: 'FLOAT', source: { entity_column: 'user_id', file: { path: 'rows.csv' } }, transforms: [win('v', 'SUM', 7)] as FeatureDefinition['transforms'] });
      const at = async (d: number) => column(await f.client.online({ features: { refs: ['sum7@1'] }, entity_ids: ['u1'], as_of_ms: Math.round(d * DAY) }), 0)[0]?.slice(0, 2);
      await f.client.materialize('sum7@1', 0, 20 * DAY);
      t.deepEqual(await at(15), [15, 'PRESENT']);
      await f.client.materialize('sum7@1', 20 * DAY, 40 * DAY);
      t.deepEqual(await at(15), [15, 'PRESENT'], 'the second range left the first one alone');
      t.deepEqual(await at(19.6), [5, 'PRESENT']);
      t.deepEqual(await at(20.3), [0, 'PRESENT']);
    } finally {
      await f.stop();
      await loc.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test(`${backend}: materialize ranges - re-materializing after the source was corrected replaces the range atomically: a deleted row's values are gone`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'mlmesh-ranges-'));
    const d = (x: number): string => new Date(T0 + x * DAY).toISOString();
    const source = (lines: string[]) => writeFile(join(dir, 'rows.csv'), 'user_id,ts,v\n' + lines.join('\n') + '\n');
    const loc = await freshLocation(backend);
    const fresh = await freshLocation(backend);
    const f = await startFeatures(loc, { overrides: { dataDir: dir } });
    let g: FeaturesFixture | undefined;
    try {
      const defs = [
        normalizeDefinition({ name: 'sum2', version: 1, entity: 'user', value_type: 'FLOAT', source: { entity_column: 'user_id', file: { path: 'rows.csv' } }, transforms: [win('v', 'SUM', 2)] }),
        normalizeDefinition({ name: 'plain', version: 1, entity: 'user', value_type: 'FLOAT', source: { entity_column: 'user_id', file: { path: 'rows.csv' } }, value_column: 'v' }),
      ];
      for (const def of defs) await f.client.register(def);
      await source([`u1,${d(1)},10`, `u1,${d(3)},20`, `u1,${d(5)},30`, `u2,${d(2)},7`]);
      for (const n of ['sum2', 'plain']) await f.client.materialize(`${n}@1`, T0, END);
      t.is(column(await f.client.online({ features: { refs: ['plain@1'] }, entity_ids: ['u2'] }), 0)[0]?.[1], 'PRESENT');
      // The correction: u1's day-3 row and u2's only row were wrong and are deleted; day 5 is 31.
      await source([`u1,${d(1)},10`, `u1,${d(5)},31`]);
      for (const n of ['sum2', 'plain']) await f.client.materialize(`${n}@1`, T0, END);
      g = await startFeatures(fresh, { overrides: { dataDir: dir } });
      for (const def of defs) await g.client.register(def);
      for (const n of ['sum2', 'plain']) {
        await g.client.materialize(`${n}@1`, T0, END);
        t.deepEqual(await dumpValues(loc, n, 1), await dumpValues(fresh, n, 1), `${n}: the same values as a first materialization of the corrected source`);
      }
      const read = async (ref: string, entity: string, asOf = 0) => column(await f.client.online({ features: { refs: [ref] }, entity_ids: [entity], as_of_ms: asOf }), 0)[0]?.slice(0, 2);
      t.deepEqual(await read('plain@1', 'u2'), [null, 'NOT_FOUND'], 'the latest value of an entity whose rows were deleted is gone');
      t.deepEqual(await read('sum2@1', 'u2', T0 + 2 * DAY), [null, 'NOT_FOUND']);
      t.deepEqual(await read('sum2@1', 'u1', T0 + 3.5 * DAY), [0, 'PRESENT'], 'the deleted row no longer counts');
      t.deepEqual(await read('plain@1', 'u1'), [31, 'PRESENT']);
      // A re-materialization that fails leaves the range as it was.
      const before = await dumpValues(loc, 'plain', 1);
      await source([`u1,${d(1)},10`, `u1,${d(5)},oops`]);
      await assertStatus(t, f.client.materialize('sum2@1', T0, END), grpc.status.FAILED_PRECONDITION, /line 3: column v: "oops" is not a number/);
      await assertStatus(t, f.client.materialize('plain@1', T0, END), grpc.status.FAILED_PRECONDITION, /line 3: column v: "oops" is not a finite number/);
      t.deepEqual(await dumpValues(loc, 'plain', 1), before);
      // A range with no rows left clears what it held.
      await source([`u1,${d(20)},1`]);
      const empty = await f.client.materialize('plain@1', T0, T0 + 10 * DAY);
      t.is(empty.values_written, '0');
      t.regex(empty.warnings.join(), /^none of the 1 rows of CSV file rows\.csv has an event time in \[2026-01-01T00:00:00\.000Z, 2026-01-11T00:00:00\.000Z\): its times run from 2026-01-21[^;]*$/);
      t.deepEqual(await dumpValues(loc, 'plain', 1), [], 'nothing is left in [T0, T0 + 10 d)');
    } finally {
      await f.stop();
      await g?.stop();
      await loc.cleanup();
      await fresh.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });
}

// ---- corrections before the range: the value in effect at `start` ----

interface Correction {
  /** Definitions (normalized), each materialized in both stores. */
  defs: FeatureDefinition[];
  before: string;
  after: string;
  start: number;
  end: number;
  /** Read times (in [start, end)) and entities compared. */
  times: number[];
  entities: string[];
  /** More checks on the corrected store. */
  check?: (f: FeaturesFixture, loc: StoreLocation) => Promise<void>;
}

/**
 * Materializes [T0, END) on `before`, replaces the source with `after` and re-materializes
 * [start, end); a second store materializes [T0, END) on `after` from scratch. Every read in
 * [start, end) must agree (see readKey).
 */
async function corrected(t: ExecutionContext, backend: Backend, c: Correction): Promise<void> {
  const dirB = await mkdtemp(join(tmpdir(), 'mlmesh-ranges-'));
  const dirA = await mkdtemp(join(tmpdir(), 'mlmesh-ranges-'));
  await writeFile(join(dirB, 'rows.csv'), c.before);
  await writeFile(join(dirA, 'rows.csv'), c.after);
  const locB = await freshLocation(backend);
  const locA = await freshLocation(backend);
  const b = await startFeatures(locB, { overrides: { dataDir: dirB } });
  const a = await startFeatures(locA, { overrides: { dataDir: dirA } });
  try {
    const refs = c.defs.map((d) => `${d.name}@${d.version}`);
    for (const d of c.defs) {
      await b.client.register(d);
      await a.client.register(d);
    }
    for (const r of refs) await b.client.materialize(r, T0, END);
    await writeFile(join(dirB, 'rows.csv'), c.after);
    for (const r of refs) await b.client.materialize(r, c.start, c.end);
    for (const r of refs) await a.client.materialize(r, T0, END);
    const rows = c.times.flatMap((time_ms) => c.entities.map((entity_id) => ({ entity_id, time_ms })));
    const rb = await historical(b, refs, rows);
    const ra = await historical(a, refs, rows);
    t.is(rb.length, rows.length);
    let differ = 0;
    c.defs.forEach((d, i) => {
      const name = d.name as string;
      for (let k = 0; k < rows.length; k++) {
        const got = readKey(rb[k]?.values[i], name);
        const want = readKey(ra[k]?.values[i], name);
        if (got !== want && differ++ < 8) t.fail(`${name} ${rows[k]?.entity_id} as of ${new Date(rows[k]?.time_ms ?? 0).toISOString()}: re-materialized ${got}, fresh ${want}`);
      }
    });
    t.is(differ, 0, `${differ} reads in [start, end) differ from a fresh materialization of the corrected source`);
    // The Redis latest hash still matches each entity's history (dumpValues checks it).
    for (const d of c.defs) await dumpValues(locB, d.name as string, Number(d.version));
    await c.check?.(b, locB);
  } finally {
    await b.stop();
    await a.stop();
    await locB.cleanup();
    await locA.cleanup();
    await rm(dirB, { recursive: true, force: true });
    await rm(dirA, { recursive: true, force: true });
  }
}

for (const backend of ['sqlite', 'redis'] as const) {
  test(`${backend}: materialize ranges - the reviewer's case: u1's only row (day 18) deleted, [20 d, 40 d) re-materialized: as of day 30 the 7-day sum is not the deleted 10`, async (t) => {
    await corrected(t, backend, {
      defs: smallDefs(),
      before: lines([['u1', 18, 10], ['u2', 5, 3]]),
      after: lines([['u2', 5, 3]]),
      start: at(20),
      end: at(40),
      times: grid(at(20), at(40)),
      entities: ['u1', 'u2'],
      async check(f) {
        const v = await asOf(f, 'sum7@1', 'u1', at(30));
        t.true(v?.[1] === 'NOT_FOUND' || (v?.[1] === 'PRESENT' && v[0] === 0), `sum7 u1 as of day 30: ${JSON.stringify(v)}`);
        t.is((await asOf(f, 'plain@1', 'u1', at(30)))?.[1], 'NOT_FOUND');
        t.deepEqual(await asOf(f, 'plain@1', 'u2', at(30)), [3, 'PRESENT', at(5)]);
      },
    });
  });

  test(`${backend}: materialize ranges - a row deleted in the look-back before start no longer counts from start on`, async (t) => {
    await corrected(t, backend, {
      defs: smallDefs(),
      before: lines([['u1', 15, 10], ['u1', 18, 5], ['u1', 23, 1]]),
      after: lines([['u1', 15, 10], ['u1', 23, 1]]),
      start: at(20),
      end: at(40),
      times: grid(at(20), at(40)),
      entities: ['u1'],
      async check(f) {
        // Fresh: 10 since day 15 (the day-18 row is gone), until day 22, then 0, 1 from day 23.
        t.deepEqual(await asOf(f, 'sum7@1', 'u1', at(20)), [10, 'PRESENT', at(15)]);
        t.deepEqual(await asOf(f, 'sum7@1', 'u1', at(21.9)), [10, 'PRESENT', at(15)]);
        t.deepEqual(await asOf(f, 'count7@1', 'u1', at(20.5)), ['1', 'PRESENT', at(15)]);
        t.deepEqual(await asOf(f, 'plain@1', 'u1', at(20)), [10, 'PRESENT', at(15)]);
      },
    });
  });

  test(`${backend}: materialize ranges - a row moved out of the look-back (day 18 to day 5) or inside it (day 18 to day 14) reads as a fresh materialization from start on`, async (t) => {
    await corrected(t, backend, {
      defs: smallDefs(),
      before: lines([['u1', 18, 10], ['u2', 18, 4], ['u3', 1, 2], ['u4', 10, 6]]),
      after: lines([['u1', 5, 10], ['u2', 14, 4], ['u3', 1, 2], ['u4', 4, 6]]),
      start: at(20),
      end: at(40),
      times: grid(at(20), at(40)),
      entities: ['u1', 'u2', 'u3', 'u4'],
      async check(f) {
        const v = await asOf(f, 'sum7@1', 'u1', at(30));
        t.true(v?.[1] === 'NOT_FOUND' || (v?.[1] === 'PRESENT' && v[0] === 0), `sum7 u1 as of day 30: ${JSON.stringify(v)}`);
        t.deepEqual(await asOf(f, 'plain@1', 'u1', at(30)), [10, 'PRESENT', at(5)]);
        // Moved inside the look-back: 4 from day 14 (its own event time) until day 21.
        t.deepEqual(await asOf(f, 'sum7@1', 'u2', at(20)), [4, 'PRESENT', at(14)]);
        t.deepEqual(await asOf(f, 'sum7@1', 'u2', at(21)), [0, 'PRESENT', at(21)]);
        t.deepEqual(await asOf(f, 'plain@1', 'u2', at(20)), [4, 'PRESENT', at(14)]);
        // An entity the correction did not touch keeps its stored values.
        t.deepEqual(await asOf(f, 'sum7@1', 'u3', at(30)), [0, 'PRESENT', at(8)]);
        // u4's row left the look-back [13 d, 20 d) (day 10 to day 4): its stored exit (day 17) is
        // gone with it and the value before (6 from day 10) is stale, so the emptied window is
        // written at start − L = day 13, the earliest time this run knows it empty.
        t.deepEqual(await asOf(f, 'sum7@1', 'u4', at(20)), [0, 'PRESENT', at(13)]);
        t.deepEqual(await asOf(f, 'avg7@1', 'u4', at(30)), [null, 'NULL_VALUE', at(13)]);
        t.deepEqual(await asOf(f, 'sum7@1', 'u4', at(12)), [6, 'PRESENT', at(10)], 'before start − L nothing changed');
      },
    });
  });

  test(`${backend}: materialize ranges - an entity whose every row was deleted reads nothing from start on, whichever its rows were (before, inside and after the look-back, in the range)`, async (t) => {
    await corrected(t, backend, {
      defs: smallDefs(),
      before: lines([['u3', 2, 7], ['u3', 16, 1], ['u3', 19, 2], ['u3', 25, 3], ['u3', 33, 4], ['u1', 19, 6]]),
      after: lines([['u1', 19, 6]]),
      start: at(20),
      end: at(40),
      times: grid(at(20), at(40)),
      entities: ['u1', 'u3'],
      async check(f) {
        for (const d of [20, 24, 30, 39.9]) {
          for (const ref of ['sum7@1', 'count7@1']) {
            const v = await asOf(f, ref, 'u3', at(d));
            t.true(v?.[1] === 'NOT_FOUND' || (v?.[1] === 'PRESENT' && (v[0] === 0 || v[0] === '0')), `${ref} u3 as of day ${d}: ${JSON.stringify(v)}`);
          }
          for (const ref of ['avg7@1', 'last4@1']) t.true(['NOT_FOUND', 'NULL_VALUE'].includes((await asOf(f, ref, 'u3', at(d)))?.[1] as string), `${ref} u3 as of day ${d}`);
          t.is((await asOf(f, 'plain@1', 'u3', at(d)))?.[1], 'NOT_FOUND', `plain u3 as of day ${d}`);
        }
        t.is(column(await f.client.online({ features: { refs: ['plain@1'] }, entity_ids: ['u3'] }), 0)[0]?.[1], 'NOT_FOUND', 'no latest value either');
        t.deepEqual(await asOf(f, 'sum7@1', 'u1', at(20)), [6, 'PRESENT', at(19)]);
      },
    });
  });

  test(`${backend}: materialize ranges - a plain value corrected long before start (edited on day 3, deleted on day 6) reads corrected from start on`, async (t) => {
    await corrected(t, backend, {
      defs: smallDefs(),
      before: lines([['u1', 3, 1], ['u2', 2, 5], ['u2', 6, 9]]),
      after: lines([['u1', 3, 2], ['u2', 2, 5]]),
      start: at(20),
      end: at(30),
      times: grid(at(20), at(30)),
      entities: ['u1', 'u2'],
      async check(f) {
        t.deepEqual(await asOf(f, 'plain@1', 'u1', at(25)), [2, 'PRESENT', at(3)]);
        t.deepEqual(await asOf(f, 'plain@1', 'u2', at(25)), [5, 'PRESENT', at(2)]);
      },
    });
  });

  test(`${backend}: materialize ranges - property: re-materializing [start, end) after random corrections (deletions, edits, moves in and out of the look-back, an entity deleted) reads as a fresh materialization of the corrected source`, async (t) => {
    for (const [seed, startDay, endDay, gone] of [[7, 17.3, 31, 'e1'], [1234, 12.7, 40, 'e2'], [99, 21, 26.5, 'e0']] as const) {
      const rows = makeRows(seed);
      // A start at a row's exact time for one of them.
      const start = seed === 99 ? (rows.map((r) => r.ts).filter((x) => x > at(19)).sort((x, y) => x - y)[0] as number) : at(startDay);
      const end = at(endDay);
      const after = correct(rows, seed + 5, start, gone);
      t.true(after.some((r) => r.ts < start && r.ts >= start - 14 * DAY) && after.length < rows.length, 'the correction has rows in the look-back');
      await corrected(t, backend, { defs: Object.keys(VARIANTS).map(definition), before: csv(rows), after: csv(after), start, end, times: readTimes([rows, after], start, end), entities: ENTITIES });
    }
  });
}

test('sqlite: materialize ranges - a plain value reads the row in effect at start however old (a SQL source gets :start_ms = 0000-01-01), and a range without rows of its own says so', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-ranges-'));
  const db = new Database(join(dir, 'rows.sqlite'));
  db.exec('CREATE TABLE r (user_id TEXT, ts INTEGER, v REAL)');
  const insert = db.prepare('INSERT INTO r VALUES (?, ?, ?)');
  for (const [e, d, v] of [['u1', 2, 5], ['u1', 25, 6], ['u2', 1, 7]] as const) insert.run(e, at(d), v);
  db.close();
  const loc = await freshLocation('sqlite');
  const f = await startFeatures(loc, { overrides: { dataDir: dir } });
  try {
    await f.client.register(
      normalizeDefinition({
        name: 'plain_sql',
        version: 1,
        entity: 'user',
        value_type: 'FLOAT',
        source: { entity_column: 'user_id', timestamp_column: 'ts', timestamp_format: 'EPOCH_MILLIS', sql: { engine: 'SQLITE', connection: 'rows.sqlite', query: 'SELECT user_id, ts, v FROM r WHERE ts >= :start_ms AND ts < :end_ms' } },
        value_column: 'v',
      }),
    );
    const res = await f.client.materialize('plain_sql@1', at(20), at(30));
    t.like(res, { rows_read: '3', values_written: '3', entities: 2, warnings: [] });
    t.deepEqual(await asOf(f, 'plain_sql@1', 'u1', at(21)), [5, 'PRESENT', at(2)], 'the day-2 row is the value in effect on day 21');
    t.deepEqual(await asOf(f, 'plain_sql@1', 'u2', at(29)), [7, 'PRESENT', at(1)]);
    t.deepEqual(await asOf(f, 'plain_sql@1', 'u1', at(26)), [6, 'PRESENT', at(25)]);
    t.deepEqual(await asOf(f, 'plain_sql@1', 'u1', at(1)), [null, 'NOT_FOUND', 0]);
    // Only older rows: the values in effect at the start are written, and the answer says so.
    const later = await f.client.materialize('plain_sql@1', at(40), at(50));
    t.is(later.values_written, '2');
    t.deepEqual(later.warnings, [
      'none of the 3 rows of SQLITE query has an event time in [2026-02-10T00:00:00.000Z, 2026-02-20T00:00:00.000Z): its times run from 2026-01-02T00:00:00.000Z to 2026-01-26T00:00:00.000Z; only the values in effect at 2026-02-10T00:00:00.000Z, from older rows, were written (2)',
    ]);
  } finally {
    await f.stop();
    await loc.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
});
