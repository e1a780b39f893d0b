/**
 * Data and helpers of test/features/materialize-ranges.test.ts: seeded random source rows, the
 * definitions under test, corrections of a source, read times, and reads compared between stores.
 */
import type { FeatureDefinition } from '../../shared/generated/mlmesh/features/v1/FeatureDefinition.js';
import type { GetHistoricalFeaturesResponse__Output } from '../../shared/generated/mlmesh/features/v1/GetHistoricalFeaturesResponse.js';
import { normalizeDefinition } from '../../services/features/index.js';
import { seededRandom } from '../helpers/features.js';
import type { FeaturesFixture } from '../helpers/features.js';
import { column } from './suite.js';

/** One day in ms; the range materialized whole is [T0, END); the entities of the random rows. */
export const DAY = 86_400_000;
export const T0 = Date.UTC(2026, 0, 1);
export const END = T0 + 40 * DAY;
export const ENTITIES = ['e0', 'e1', 'e2', 'e3'];

/** A source row: user_id, ts, v (null: an empty cell), kind. */
export interface Row {
  entity: string;
  ts: number;
  v: number | null;
  kind: 'a' | 'b';
}

/** Rows from 10 days before T0 to 5 days after END, minute precision, some at equal times. */
export function makeRows(seed: number): Row[] {
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

/** The rows as the CSV source. */
export function csv(rows: readonly Row[]): string {
  return 'user_id,ts,v,kind\n' + rows.map((r) => `${r.entity},${new Date(r.ts).toISOString()},${r.v ?? ''},${r.kind}`).join('\n') + '\n';
}

/** A window transform over `days` days. */
export const win = (column: string, aggregation: string, days: number, output = 'value') => ({ window: { column, aggregation, window_ms: Math.round(days * DAY), output } });

/** The definitions under test: name → [value type, transforms, value column]. */
export const VARIANTS: Record<string, [FeatureDefinition['value_type'], unknown[], string?]> = {
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
  // A map after the window: an emptied window reads 1.
  sum7_plus1: ['FLOAT', [win('v', 'SUM', 7), { map: { column: 'value', op: 'ADD', operand: 1, output: 'value' } }]],
  // A filter after the window: the latest positive sum stays, however old.
  last_pos_sum3: ['FLOAT', [win('v', 'SUM', 3), { filter: { column: 'value', op: 'GT', value: 0 } }]],
};

/** The normalized definition of a variant (its source is rows.csv). */
export function definition(name: string): FeatureDefinition {
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

/** GetHistoricalFeatures rows of `refs` at `rows`. */
export async function historical(f: FeaturesFixture, refs: string[], rows: { entity_id: string; time_ms: number }[]): Promise<GetHistoricalFeaturesResponse__Output['rows']> {
  const out: GetHistoricalFeaturesResponse__Output['rows'] = [];
  for await (const m of f.client.historical({ features: { refs }, rows, chunk_rows: 5000 }, { deadlineMs: 60_000 })) out.push(...m.rows);
  return out;
}

/** Value an emptied window reads as, per variant (undefined: a plain value, no window to empty). */
export const EMPTY: Record<string, unknown> = { sum7: 0, pos_sum7: 0, count7: '0', avg7: null, min5: null, max3: null, last4: null, kind_a_avg2: null, max_of_avg: null, sum7_plus1: 1 };

/**
 * One read, comparable between stores: NOT_FOUND and an emptied window read alike (a fresh store
 * may hold the window's exit from before its own look-back, or nothing); everything else by
 * status, value and the value's event time.
 */
export function readKey(v: GetHistoricalFeaturesResponse__Output['rows'][number]['values'][number] | undefined, name: string): string {
  const kind = v?.value?.kind;
  const value = kind ? (v?.value as Record<string, unknown>)[kind] : null;
  if (name in EMPTY) {
    const empty = EMPTY[name];
    if (v?.status === 'NOT_FOUND' || (v?.status === 'NULL_VALUE' && empty === null) || (v?.status === 'PRESENT' && value === empty)) return 'empty';
  }
  return JSON.stringify([v?.status, value, String(v?.event_time_ms)]);
}

/**
 * A corrected copy of `rows`: every row of `gone` deleted; near `start` (the 16 days before it,
 * so inside every variant's look-back and the rows read for it, and 3 days after) a quarter of
 * the rows deleted, a fifth edited (new value or null) and a fifth moved by up to 10 days either
 * way (out of the look-back, into it, across `start`); elsewhere fewer; a few new rows.
 */
export function correct(rows: readonly Row[], seed: number, start: number, gone: string): Row[] {
  const rand = seededRandom(seed);
  const out: Row[] = [];
  for (const r of rows) {
    if (r.entity === gone) continue;
    const near = r.ts >= start - 16 * DAY && r.ts < start + 3 * DAY;
    const p = rand();
    const [del, edit, move] = near ? [0.25, 0.45, 0.65] : [0.08, 0.14, 0.2];
    if (p < del) continue;
    if (p < edit) out.push({ ...r, v: rand() < 0.2 ? null : Math.round((rand() * 100 - 40) * 100) / 100 });
    else if (p < move) out.push({ ...r, ts: r.ts + Math.round(((rand() * 20 - 10) * DAY) / 60_000) * 60_000 });
    else out.push(r);
  }
  for (let i = 0; i < 6; i++) {
    const entity = ENTITIES.filter((e) => e !== gone)[Math.floor(rand() * (ENTITIES.length - 1))] as string;
    out.push({ entity, ts: start - 15 * DAY + Math.floor((rand() * 20 * DAY) / 60_000) * 60_000, v: Math.round(rand() * 5000) / 100, kind: rand() < 0.5 ? 'a' : 'b' });
  }
  return out;
}

/** Times to read at in [from, to): every row time, window exit and the ends, 1 ms either side, and every 4 h. */
export function readTimes(rowSets: readonly (readonly Row[])[], from: number, to: number): number[] {
  const times = new Set<number>([from, from + 1, to - 1]);
  const spans = [2, 3 + 1 / 24, 4, 5, 7].map((d) => Math.round(d * DAY));
  for (const rows of rowSets) for (const r of rows) for (const at of [r.ts, ...spans.map((s) => r.ts + s), ...spans.map((s) => r.ts + s + 2 * DAY)]) for (const x of [at - 1, at, at + 1]) times.add(x);
  for (let x = from; x < to; x += DAY / 6) times.add(x);
  return [...times].filter((x) => x >= from && x < to).sort((a, b) => a - b);
}

/** T0 + `d` days; a CSV of [user, day, value] rows; a few definitions; read times every 4 h. */
export const at = (d: number): number => T0 + Math.round(d * DAY);
export const lines = (rows: [string, number, number | string][]): string => 'user_id,ts,v\n' + rows.map(([e, d, v]) => `${e},${new Date(at(d)).toISOString()},${v}`).join('\n') + '\n';
/** sum7, count7, avg7 and last4 windows and a plain value, over user_id, ts, v. */
export const smallDefs = (): FeatureDefinition[] => ['sum7', 'count7', 'avg7', 'last4', 'plain'].map((n) => definition(n));
export const grid = (from: number, to: number): number[] => readTimes([], from, to);

/** The value of `ref` for `entity` as of `time`: [value, status, event time]. */
export async function asOf(f: FeaturesFixture, ref: string, entity: string, time: number): Promise<[unknown, string, number] | undefined> {
  return column(await f.client.online({ features: { refs: [ref] }, entity_ids: [entity], as_of_ms: time }), 0)[0];
}
