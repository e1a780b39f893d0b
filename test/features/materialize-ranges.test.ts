/**
 * Materializing in consecutive ranges (daily incremental runs) must write exactly what one
 * materialization of the whole range writes: the same values at the same event times, and so the
 * same point-in-time reads. Property-style: seeded random rows (nulls, equal times, rows before
 * the first start and after the end), eleven definitions (window SUM/AVG/MIN/MAX/COUNT/LAST, a
 * filter before a window, a map, plain values, a window over a window), split points inside
 * windows, at exact row times, at window exits and a 1 ms piece, pieces run out of order; on
 * SQLite and on Redis. The whole run itself is checked against sums and counts made here.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import type { FeatureDefinition } from '../../shared/generated/mlmesh/features/v1/FeatureDefinition.js';
import type { GetHistoricalFeaturesResponse__Output } from '../../shared/generated/mlmesh/features/v1/GetHistoricalFeaturesResponse.js';
import { normalizeDefinition } from '../../services/features/index.js';
import { dumpValues, freshLocation, seededRandom, startFeatures } from '../helpers/features.js';
import type { Backend, FeaturesFixture } from '../helpers/features.js';
import { assertStatus, grpc } from '../helpers/grpc.js';
import { column } from './suite.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const END = T0 + 40 * DAY;
const ENTITIES = ['e0', 'e1', 'e2', 'e3'];

interface Row {
  entity: string;
  ts: number;
  v: number | null;
  kind: 'a' | 'b';
}

/** Rows from 10 days before T0 to 5 days after END, minute precision, some at equal times. */
function makeRows(seed: number): Row[] {
  const rand = seededRandom(seed);
  const rows: Row[] = [];
  for (let i = 0; i < 140; i++) {
    const prev = rows[rows.length - 1];
    const ts = i % 15 === 14 && prev ? prev.ts : T0 - 10 * DAY + Math.floor((rand() * 55 * DAY) / 60_000) * 60_000;
    const entity = prev && i % 15 === 14 ? prev.entity : (ENTITIES[Math.floor(rand() * rand() * ENTITIES.length)] as string);
    rows.push({ entity, ts, v: rand() < 0.1 ? null : Math.round((rand() * 100 - 40) * 100) / 100, kind: rand() < 0.5 ? 'a' : 'b' });
  }
  return rows;
}

function csv(rows: readonly Row[]): string {
  return 'user_id,ts,v,kind\n' + rows.map((r) => `${r.entity},${new Date(r.ts).toISOString()},${r.v ?? ''},${r.kind}`).join('\n') + '\n';
}

const win = (column: string, aggregation: string, days: number, output = 'value') => ({ window: { column, aggregation, window_ms: Math.round(days * DAY), output } });

/** The definitions under test: name → [value type, transforms, value column]. */
const VARIANTS: Record<string, [FeatureDefinition['value_type'], unknown[], string?]> = {
  sum7: ['FLOAT', [win('v', 'SUM', 7)]],
  avg7: ['FLOAT', [win('v', 'AVG', 7)]],
  min5: ['FLOAT', [win('v', 'MIN', 5)]],
  max3: ['FLOAT', [win('v', 'MAX', 3 + 1 / 24)]],
  count7: ['INT64', [win('v', 'COUNT', 7)]],
  last4: ['FLOAT', [win('v', 'LAST', 4)]],
  pos_sum7: ['FLOAT', [{ filter: { column: 'v', op: 'GT', value: 0 } }, win('v', 'SUM', 7)]],
  kind_a_avg2: ['FLOAT', [{ filter: { column: 'kind', op: 'EQ', value: 'a' } }, { map: { column: 'v', op: 'MULTIPLY', operand: 2, output: 'v2' } }, win('v2', 'AVG', 2)]],
  plain: ['FLOAT', [{ filter: { column: 'v', op: 'NOT_NULL' } }], 'v'],
  plain_rounded: ['FLOAT', [{ map: { column: 'v', op: 'ROUND', operand: 0, output: 'value' } }]],
  max_of_avg: ['FLOAT', [win('v', 'AVG', 2, 'm'), win('m', 'MAX', 5)]],
};

function definition(name: string): FeatureDefinition {
  const [value_type, transforms, value_column] = VARIANTS[name] as [FeatureDefinition['value_type'], unknown[], string?];
  // Normalized as the CLI does it: plain filter literals become proto values.
  return normalizeDefinition({
    name,
    version: 1,
    entity: 'user',
    value_type,
    source: { entity_column: 'user_id', timestamp_column: 'ts', file: { path: 'rows.csv' } },
    transforms: transforms as FeatureDefinition['transforms'],
    ...(value_column ? { value_column } : {}),
  });
}

/** Split points: inside windows, at row times, at a window exit, a 1 ms piece, every 5 days. */
function splitPoints(rows: readonly Row[]): number[] {
  const at = (i: number): number => (rows[i] as Row).ts;
  const points = [T0 + 3.3 * DAY, T0 + 12.7 * DAY, at(10), at(40), at(41) + 1, at(20) + 7 * DAY, at(30), at(30) + 1, at(14), ...[1, 2, 3, 4, 5, 6, 7].map((k) => T0 + 5 * k * DAY)];
  return [...new Set(points.map(Math.round))].filter((p) => p > T0 && p < END).sort((a, b) => a - b);
}

async function historical(f: FeaturesFixture, refs: string[], rows: { entity_id: string; time_ms: number }[]): Promise<GetHistoricalFeaturesResponse__Output['rows']> {
  const out: GetHistoricalFeaturesResponse__Output['rows'] = [];
  for await (const m of f.client.historical({ features: { refs }, rows, chunk_rows: 5000 }, { deadlineMs: 60_000 })) out.push(...m.rows);
  return out;
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
      // Plain values: the latest row at or before the read time (of rows at one time, the last written).
      const plain = rows.filter((x) => x.entity === e && x.ts >= T0 && x.ts <= at && x.v !== null).sort((x, y) => x.ts - y.ts).at(-1);
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
      t.regex(empty.warnings.join(), /none of the 1 rows of CSV file rows\.csv has an event time in \[2026-01-01T00:00:00\.000Z, 2026-01-11T00:00:00\.000Z\): its times run from 2026-01-21/);
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
