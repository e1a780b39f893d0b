import test from 'ava';
import { InvalidArgumentError } from '../../shared/errors/index.js';
import { LruTtlCache, applyTransforms, collectDefinitions, contentHash, diffPaths, makePlan, planSummary, normalizeDefinition, parseCsv, parseIsoDateTime, parseRef, coerceValue, readTimestamp } from '../../services/features/index.js';
import type { SourceRow } from '../../services/features/index.js';

test('features refs - name@version parses; anything else is refused naming the field', (t) => {
  t.deepEqual(parseRef('avg_balance_30d@2', 'f'), { name: 'avg_balance_30d', version: 2, ref: 'avg_balance_30d@2' });
  for (const bad of ['avg', 'avg@', '@1', 'avg@0', 'avg@01', 'Avg@1', 'avg@1.5', 'a b@1', 'avg@-1', 'avg@1@2']) {
    const e = t.throws(() => parseRef(bad, 'features.refs[3]'), { instanceOf: InvalidArgumentError });
    t.regex(e?.message ?? '', /^features\.refs\[3\]: /, bad);
  }
});

test('features definitions - a file-style and a proto-style definition normalize to the same content hash', (t) => {
  const fromFile = {
    name: 'avg_balance_30d',
    version: 1,
    entity: 'user',
    value_type: 'float',
    source: { entity_column: 'user_id', file: { path: 'data/tx.csv' } },
    transforms: [{ filter: { column: 'balance', op: 'ge', value: 0 } }, { window: { column: 'balance', aggregation: 'AVG', window_ms: 86_400_000 } }],
  };
  // As proto-loader hands a request over: every field present, oneof names set, int64 as strings.
  const fromGrpc = {
    name: 'avg_balance_30d',
    version: 1,
    entity: 'user',
    value_type: 'FLOAT',
    description: '',
    owner: '',
    max_age_ms: '0',
    value_column: '',
    source: { entity_column: 'user_id', timestamp_column: '', file: { path: 'data/tx.csv', format: 'FILE_FORMAT_UNSPECIFIED' }, kind: 'file' },
    transforms: [
      { filter: { column: 'balance', op: 'GE', value: { float_value: 0, kind: 'float_value' } }, kind: 'filter' },
      { window: { column: 'balance', aggregation: 'AVG', window_ms: '86400000', output: '' }, kind: 'window' },
    ],
  };
  const a = normalizeDefinition(fromFile);
  const b = normalizeDefinition(fromGrpc);
  t.is(contentHash(a), contentHash(b));
  t.is(a.source?.file?.format, 'CSV');
  t.is(a.source?.timestamp_column, 'ts');
  t.is(a.value_column, 'value');
  t.not(contentHash(a), contentHash(normalizeDefinition({ ...fromFile, description: 'x' })));
  t.is(contentHash(normalizeDefinition(JSON.parse(JSON.stringify(a)))), contentHash(a), 'normalizing twice changes nothing');
});

test('features definitions - malformed definitions are refused naming the field', (t) => {
  const base = { name: 'x', version: 1, entity: 'user', value_type: 'FLOAT', source: { push: {} } };
  const cases: [unknown, RegExp][] = [
    [{ ...base, verison: 2 }, /definition\.verison: unknown field/],
    [{ ...base, version: 0 }, /definition\.version: must be >= 1/],
    [{ ...base, value_type: 'DOUBLE' }, /definition\.value_type: must be one of FLOAT, INT64/],
    [{ ...base, source: { push: {}, file: { path: 'a.csv' } } }, /definition\.source: set only one of/],
    [{ ...base, source: { file: { path: 'a.txt' } } }, /definition\.source\.file\.format: must be one of CSV, NDJSON/],
    [{ ...base, source: { sql: { engine: 'POSTGRES', connection: 'mysql://x', query: 'select 1' } } }, /definition\.source\.sql\.connection: must be a postgres:\/\/ URL/],
    [{ ...base, transforms: [{ map: { column: 'a', op: 'ADD' } }] }, /definition\.transforms: must be empty for a push source/],
    [{ ...base, source: { file: { path: 'a.csv' } }, transforms: [{ filter: { column: 'a', op: 'GT' } }] }, /definition\.transforms\[0\]\.filter\.value: is required for GT/],
    [{ ...base, source: { file: { path: 'a.csv' } }, transforms: [{ map: { column: 'a', op: 'DIVIDE', operand: 0 } }] }, /transforms\[0\]\.map\.operand: must not be 0/],
    [{ ...base, source: { file: { path: 'a.csv' } }, transforms: [{ window: { column: 'a', aggregation: 'AVG', window_ms: 0 } }] }, /transforms\[0\]\.window\.window_ms: must be >= 1/],
  ];
  for (const [raw, pattern] of cases) {
    const e = t.throws(() => normalizeDefinition(raw), { instanceOf: InvalidArgumentError });
    t.regex(e?.message ?? '', pattern);
  }
});

async function records(text: string, chunk = 3): Promise<string[][]> {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += chunk) parts.push(text.slice(i, i + chunk));
  const out: string[][] = [];
  for await (const r of parseCsv(parts)) out.push(r.fields);
  return out;
}

test('features csv - quotes, doubled quotes, line breaks inside quotes, CRLF and empty fields, across chunk borders', async (t) => {
  t.deepEqual(await records('a,b,c\r\n1,"x, ""y""",\r\n\r\n"multi\nline",2,3\n'), [
    ['a', 'b', 'c'],
    ['1', 'x, "y"', ''],
    ['multi\nline', '2', '3'],
  ]);
  t.deepEqual(await records('a,b\n1,2'), [['a', 'b'], ['1', '2']]);
  await t.throwsAsync(records('a\n"open\n'), { message: /line 2: unterminated quoted field/ });
  await t.throwsAsync(records('a\nx"y\n'), { message: /line 2: a quote inside an unquoted field/ });
});

test('features transforms - a window emits when rows enter and when they leave, so any read time sees its exact window', (t) => {
  const rows: SourceRow[] = [
    { entity: 'a', ts: 10, cols: { v: '2' }, at: 'line 2' },
    { entity: 'a', ts: 20, cols: { v: '4' }, at: 'line 3' },
    { entity: 'a', ts: 25, cols: { v: '' }, at: 'line 4' },
    { entity: 'b', ts: 12, cols: { v: '10' }, at: 'line 5' },
  ];
  const out = (aggregation: string) =>
    applyTransforms(rows, [{ window: { column: 'v', aggregation: aggregation as 'AVG', window_ms: '15', output: 'value' }, kind: 'window' }]).map((r) => [r.entity, r.ts, r.cols['value']]);
  // Window (t - 15, t]: a's rows enter at 10, 20, 25 (null) and leave at 25, 35, 40.
  t.deepEqual(out('AVG'), [['a', 10, 2], ['a', 20, 3], ['a', 25, 4], ['a', 35, null], ['a', 40, null], ['b', 12, 10], ['b', 27, null]]);
  t.deepEqual(out('COUNT'), [['a', 10, 1], ['a', 20, 2], ['a', 25, 1], ['a', 35, 0], ['a', 40, 0], ['b', 12, 1], ['b', 27, 0]]);
  t.deepEqual(out('LAST').slice(0, 3), [['a', 10, '2'], ['a', 20, '4'], ['a', 25, '4']]);
  t.deepEqual(out('MAX').slice(0, 3), [['a', 10, 2], ['a', 20, 4], ['a', 25, 4]]);
  const mapped = applyTransforms(rows.slice(0, 2), [
    { filter: { column: 'v', op: 'GT', value: { float_value: 2, kind: 'float_value' } }, kind: 'filter' },
    { map: { column: 'v', op: 'LOG1P', operand: 0, output: 'lv' }, kind: 'map' },
  ]);
  t.deepEqual(mapped.map((r) => r.cols['lv']), [Math.log1p(4)]);
  t.throws(() => applyTransforms([{ entity: 'a', ts: 1, cols: { v: 'abc' }, at: 'line 9' }], [{ map: { column: 'v', op: 'ABS', operand: 0, output: 'v' }, kind: 'map' }]), {
    message: 'transforms[0] (map): line 9: column v: "abc" is not a number',
  });
});

test('features values - source values coerce to the feature type or fail with the reason', (t) => {
  t.is(coerceValue(' 12.5', 'FLOAT'), 12.5);
  t.is(coerceValue('', 'FLOAT'), null);
  t.is(coerceValue('9223372036854775807', 'INT64'), '9223372036854775807');
  t.throws(() => coerceValue('9223372036854775808', 'INT64'), { message: /outside the int64 range/ });
  t.throws(() => coerceValue(1.5, 'INT64'), { message: /not an integer/ });
  t.is(coerceValue('TRUE', 'BOOL'), true);
  t.deepEqual(coerceValue('[0.1, 2]', 'FLOAT_VECTOR'), [Math.fround(0.1), 2]);
  t.is(coerceValue('', 'STRING'), '');
});

test('features cache - LRU eviction, TTL expiry, invalidation, and no stale fill after a write', (t) => {
  let now = 1000;
  const c = new LruTtlCache<number>({ maxEntries: 2, ttlMs: 100, now: () => now });
  const g = c.writeGeneration;
  c.set('a', 1, g);
  c.set('b', 2, g);
  t.is(c.get('a'), 1); // a is now the most recent
  c.set('c', 3, g); // evicts b
  t.is(c.get('b'), undefined);
  t.is(c.get('a'), 1);
  now += 100;
  t.is(c.get('a'), undefined, 'expired at the TTL');
  const before = c.writeGeneration;
  c.invalidate(['c']);
  t.is(c.get('c'), undefined);
  c.set('d', 4, before);
  t.is(c.get('d'), undefined, 'a value read before a write is not cached after it');
  t.like(c.stats(), { evictions: 1 });
  const off = new LruTtlCache<number>({ maxEntries: 0, ttlMs: 100 });
  off.set('a', 1, off.writeGeneration);
  t.is(off.get('a'), undefined);
});

test('features times - ISO 8601 date-times are read as UTC unless they give an offset; anything else is refused saying why', (t) => {
  const ok: [string, number][] = [
    ['2026-01-03', Date.UTC(2026, 0, 3)],
    ['2026-01-03T17:16', Date.UTC(2026, 0, 3, 17, 16)],
    ['2026-01-03T17:16:33', Date.UTC(2026, 0, 3, 17, 16, 33)],
    ['2026-01-03 17:16:33.5', Date.UTC(2026, 0, 3, 17, 16, 33, 500)],
    ['2026-01-03t17:16:33.123456789Z', Date.UTC(2026, 0, 3, 17, 16, 33, 123)],
    ['2026-01-03T17:16:33,25z', Date.UTC(2026, 0, 3, 17, 16, 33, 250)],
    ['2026-01-03T17:16:33+01:00', Date.UTC(2026, 0, 3, 16, 16, 33)],
    ['2026-01-03T17:16:33-0530', Date.UTC(2026, 0, 3, 22, 46, 33)],
    ['2026-01-03T17:16:33+05', Date.UTC(2026, 0, 3, 12, 16, 33)],
    ['2024-02-29T23:59:59.999Z', Date.UTC(2024, 1, 29, 23, 59, 59, 999)],
    ['2000-02-29', Date.UTC(2000, 1, 29)],
    ['0050-06-01', -60576249600000],
  ];
  for (const [s, ms] of ok) t.is(parseIsoDateTime(s), ms, s);
  const bad: [string, RegExp][] = [
    ['2024-02-30', /"2024-02-30" is not a valid date-time: February 2024 has 29 days/],
    ['2023-02-29', /February 2023 has 28 days/],
    ['1900-02-29', /February 1900 has 28 days/],
    ['2026-04-31', /April 2026 has 30 days/],
    ['2026-13-01', /month 13 is not 01-12/],
    ['2026-00-10', /month 00 is not 01-12/],
    ['2026-01-03T24:00', /hour 24 is not 00-23/],
    ['2026-01-03T23:60', /minute 60/],
    ['2026-12-31T23:59:60Z', /leap seconds are not supported/],
    ['2026-01-03T10:00+24:00', /offset \+24:00 is not a valid offset/],
    ['2026/01/03 17:16:33', /is not an ISO 8601 date or date-time/],
    ['Jan 3 2026 17:16', /is not an ISO 8601/],
    ['03/01/2026', /is not an ISO 8601/],
    ['2026-1-3', /is not an ISO 8601/],
    ['20260103T171633Z', /is not an ISO 8601/],
    ['2026-01-03Z', /is not an ISO 8601/],
    ['2026-01-03T17Z', /is not an ISO 8601/],
  ];
  for (const [s, pattern] of bad) t.throws(() => parseIsoDateTime(s), { message: pattern }, s);
});

test('features times - epoch numbers are read in the declared unit only; numbers without one are refused', (t) => {
  const s = 1767225600; // 2026-01-01T00:00:00Z
  t.is(readTimestamp(s, 'EPOCH_SECONDS'), s * 1000);
  t.is(readTimestamp('1767225600.123', 'EPOCH_SECONDS'), s * 1000 + 123);
  t.is(readTimestamp(1767225600.123, 'EPOCH_SECONDS'), s * 1000 + 123, 'a float keeps its shortest decimal meaning, not 122.99…');
  t.is(readTimestamp('-1.5', 'EPOCH_SECONDS'), -1500);
  t.is(readTimestamp(-0.0005, 'EPOCH_SECONDS'), -1, 'floor, before 1970 too');
  t.is(readTimestamp(s * 1000, 'EPOCH_MILLIS'), s * 1000);
  t.is(readTimestamp(' 1767225600000 ', 'EPOCH_MILLIS'), s * 1000);
  t.is(readTimestamp(1767225600000.9, 'EPOCH_MILLIS'), s * 1000);
  t.is(readTimestamp(BigInt(s) * 1_000_000n + 123_999n, 'EPOCH_MICROS'), s * 1000 + 123);
  t.is(readTimestamp('1767225600123999', 'EPOCH_MICROS'), s * 1000 + 123);
  t.is(readTimestamp(new Date(Date.UTC(2026, 0, 3)), 'EPOCH_SECONDS'), Date.UTC(2026, 0, 3), 'a SQL timestamp carries its own instant');
  t.is(readTimestamp('2026-01-03T00:00:00Z', 'ISO_8601'), Date.UTC(2026, 0, 3));
  t.throws(() => readTimestamp(s, 'ISO_8601'), { message: /1767225600 is a number, whose unit is not known: set source\.timestamp_format/ });
  t.throws(() => readTimestamp('1767225600', 'ISO_8601'), { message: /"1767225600" is a number, whose unit is not known/ });
  t.throws(() => readTimestamp('2026-01-03', 'EPOCH_SECONDS'), { message: /"2026-01-03" is not a number of seconds since the epoch \(timestamp_format EPOCH_SECONDS\)/ });
  t.throws(() => readTimestamp(s * 1_000_000, 'EPOCH_MILLIS'), { message: /outside the years 0000-9999 as milliseconds/ });
  t.throws(() => readTimestamp(Infinity, 'EPOCH_MILLIS'), { message: /Infinity is not a time/ });
  t.throws(() => readTimestamp('', 'ISO_8601'), { message: /the time is missing/ });
  t.throws(() => readTimestamp(new Date(NaN), 'ISO_8601'), { message: /an invalid SQL timestamp/ });
});

test('features definitions - timestamp_format: ISO_8601 is the default and hashes as if unset; an unknown format is refused', (t) => {
  const base = { name: 'x', version: 1, entity: 'user', value_type: 'FLOAT', source: { file: { path: 'a.csv' } } };
  const unset = normalizeDefinition(base);
  t.is(contentHash(normalizeDefinition({ ...base, source: { ...base.source, timestamp_format: 'ISO_8601' } })), contentHash(unset));
  t.is(contentHash(normalizeDefinition({ ...base, source: { ...base.source, timestamp_format: 'TIMESTAMP_FORMAT_UNSPECIFIED' } })), contentHash(unset));
  // The hash of a definition written before the field existed (recorded from the previous release).
  t.is(contentHash(unset), '45bdeb4a073d78dfa476ac033834aaa7a3d9d6613f2ed980b99cde7005f86db6');
  const secs = normalizeDefinition({ ...base, source: { ...base.source, timestamp_format: 'epoch_seconds' } });
  t.is(secs.source?.timestamp_format, 'EPOCH_SECONDS');
  t.not(contentHash(secs), contentHash(unset));
  t.throws(() => normalizeDefinition({ ...base, source: { ...base.source, timestamp_format: 'EPOCH_DAYS' } }), { message: /definition\.source\.timestamp_format: must be one of ISO_8601, EPOCH_MILLIS, EPOCH_SECONDS, EPOCH_MICROS/ });
  t.throws(() => normalizeDefinition({ ...base, source: { push: {}, timestamp_format: 'EPOCH_SECONDS' } }), { message: /timestamp_format: is not used by a push source/ });
});

test('features plan - adds, unchanged, changes with the fields that differ, removals; a service mixing entity types is an error', (t) => {
  const def = (name: string, version: number, entity = 'user', owner = '') => ({ name, version, entity, value_type: 'FLOAT', owner, source: { push: {} } });
  const registered = [def('a', 1), def('b', 1, 'user', 'old-team')].map((d) => {
    const n = normalizeDefinition(d);
    return { definition: n, content_hash: contentHash(n) };
  });
  const local = collectDefinitions([
    { path: 'x.yaml', content: { features: [def('a', 1), def('b', 1, 'user', 'new-team'), def('m', 1, 'merchant')], services: [{ name: 's', features: ['a@1', 'm@1'] }] } },
  ]);
  const plan = makePlan(local, { features: registered, services: [] });
  t.deepEqual(plan.items.map((i) => [i.action, i.feature ?? i.service]), [['unchanged', 'a@1'], ['change', 'b@1'], ['add', 'm@1'], ['add', 's']]);
  t.deepEqual(plan.items[1]?.differs, ['owner']);
  t.regex(plan.errors.join('\n'), /register it as b@2/);
  t.regex(plan.errors.join('\n'), /feature service s: its features are keyed by several entity types \(user, merchant\)/);
  t.deepEqual(planSummary(makePlan(collectDefinitions([]), { features: registered, services: [] }).items), { add: 0, unchanged: 0, change: 0, remove: 2 });
  t.deepEqual(diffPaths({ a: [1, { b: 2 }], k: 1 }, { a: [1, { b: 3 }], k: 1 }), ['a[1].b']);
});
