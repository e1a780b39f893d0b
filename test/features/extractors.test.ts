/**
 * Materialize from every kind of source: the same transactions as CSV, NDJSON, a SQLite table and
 * a PostgreSQL table (127.0.0.1:5432, database `test`, or MLMESH_TEST_POSTGRES_URL) give the same
 * feature values; bad sources fail with FAILED_PRECONDITION naming the row, writing nothing.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import Database from 'better-sqlite3';
import pg from 'pg';
import { projectRoot } from '../../shared/config/index.js';
import type { FeatureDefinition } from '../../shared/generated/mlmesh/features/v1/FeatureDefinition.js';
import { assertStatus, grpc } from '../helpers/grpc.js';
import { DAYS_30, freshLocation, startFeatures, transactions } from '../helpers/features.js';
import type { FeaturesFixture, StoreLocation } from '../helpers/features.js';
import { T0, column } from './suite.js';

const PG_URL = process.env['MLMESH_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const table = `features_tx_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const END = Date.UTC(2026, 5, 1);

let dir: string;
let loc: StoreLocation;
let f: FeaturesFixture;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlmesh-sources-'));
  const tx = transactions();
  await copyFile(join(projectRoot(), 'test/fixtures/features/transactions.csv'), join(dir, 'tx.csv'));
  // NDJSON with epoch-ms times and numeric balances.
  await writeFile(join(dir, 'tx.ndjson'), tx.map((r) => JSON.stringify({ user_id: r.user, ts: r.ts, balance: r.balance })).join('\n') + '\n');
  await writeFile(join(dir, 'bad.ndjson'), '{"user_id":"u1","ts":1767225600000,"balance":1}\n{"user_id":"u2","ts":"yesterday","balance":2}\n');
  const db = new Database(join(dir, 'tx.sqlite'));
  db.exec('CREATE TABLE tx (user_id TEXT, ts INTEGER, balance REAL)');
  const ins = db.prepare('INSERT INTO tx VALUES (?, ?, ?)');
  db.transaction(() => tx.forEach((r) => ins.run(r.user, r.ts, r.balance)))();
  db.close();
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`CREATE TABLE ${table} (user_id text, ts timestamptz, balance numeric(12,2))`);
    for (const r of tx) await client.query(`INSERT INTO ${table} VALUES ($1, to_timestamp($2 / 1000.0), $3)`, [r.user, r.ts, r.balance]);
  } finally {
    await client.end();
  }
  loc = await freshLocation('sqlite');
  f = await startFeatures(loc, { overrides: { dataDir: dir } });
});

test.after.always(async () => {
  await f?.stop();
  await loc?.cleanup();
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.end();
  await rm(dir, { recursive: true, force: true });
});

const AVG_30D = [{ window: { column: 'balance', aggregation: 'AVG' as const, window_ms: DAYS_30, output: 'value' } }];

function def(name: string, source: FeatureDefinition['source'], transforms = AVG_30D, value_type: FeatureDefinition['value_type'] = 'FLOAT'): FeatureDefinition {
  return { name, version: 1, entity: 'user', value_type, source: { entity_column: 'user_id', timestamp_column: 'ts', ...source }, transforms };
}

test('extractors - CSV, NDJSON, SQLite and PostgreSQL sources of the same data give the same values', async (t) => {
  await f.client.register(def('avg_csv', { file: { path: 'tx.csv' } }));
  await f.client.register(def('avg_ndjson', { file: { path: 'tx.ndjson' }, timestamp_format: 'EPOCH_MILLIS' }));
  await f.client.register(def('avg_sqlite', { sql: { engine: 'SQLITE', connection: 'tx.sqlite', query: 'SELECT user_id, ts, balance FROM tx WHERE ts >= :start_ms AND ts < :end_ms' }, timestamp_format: 'EPOCH_MILLIS' }));
  await f.client.register(
    def('avg_pg', { sql: { engine: 'POSTGRES', connection: PG_URL, query: `SELECT user_id, ts, balance FROM ${table} WHERE ts >= to_timestamp($1 / 1000.0) AND ts < to_timestamp($2 / 1000.0)` } }),
  );
  const refs = ['avg_csv@1', 'avg_ndjson@1', 'avg_sqlite@1', 'avg_pg@1'];
  const results = [];
  for (const r of refs) results.push(await f.client.materialize(r, T0, END));
  for (const r of results) t.is(Number(r.rows_read), transactions().length);
  const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8', 'u9'];
  for (const asOf of [Date.UTC(2026, 1, 1), Date.UTC(2026, 2, 15, 6)]) {
    const res = await f.client.online({ features: { refs }, entity_ids: users, as_of_ms: asOf });
    const csv = column(res, 0);
    t.true(csv.some(([, s]) => s === 'PRESENT'));
    for (let i = 1; i < refs.length; i++) {
      column(res, i).forEach(([v, s], j) => {
        t.is(s, csv[j]?.[1] ?? "missing", `${refs[i]} ${users[j]} status`);
        t.true(v === csv[j]?.[0] || Math.abs((v as number) - (csv[j]?.[0] as number)) < 1e-9, `${refs[i]} ${users[j]}: ${String(v)} vs ${String(csv[j]?.[0])}`);
      });
    }
  }
});

test('extractors - filter then COUNT over a window, from SQLite, matches a count made here', async (t) => {
  await f.client.register(
    def(
      'overdrafts_30d',
      { sql: { engine: 'SQLITE', connection: 'tx.sqlite', query: 'SELECT * FROM tx' }, timestamp_format: 'EPOCH_MILLIS' },
      [{ filter: { column: 'balance', op: 'LT', value: { float_value: 0 } } }, { window: { column: 'balance', aggregation: 'COUNT', window_ms: DAYS_30, output: 'value' } }] as never,
      'INT64',
    ),
  );
  await f.client.materialize('overdrafts_30d@1', T0, END);
  const tx = transactions();
  const asOf = Date.UTC(2026, 2, 1);
  const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8'];
  const res = await f.client.online({ features: { refs: ['overdrafts_30d@1'] }, entity_ids: users, as_of_ms: asOf });
  const got = column(res, 0);
  users.forEach((u, i) => {
    const expected = tx.filter((r) => r.user === u && r.balance < 0 && r.ts > asOf - DAYS_30 && r.ts <= asOf).length;
    const [v, status] = got[i] ?? [];
    // A user with no overdraft ever has no rows after the filter, hence no value at all.
    if (status === 'NOT_FOUND') t.is(expected, 0, u);
    else t.is(v, String(expected), u);
  });
});

test('extractors - a bad source row fails Materialize with FAILED_PRECONDITION naming it, and nothing is written', async (t) => {
  await f.client.register(def('bad_ndjson', { file: { path: 'bad.ndjson' }, timestamp_format: 'EPOCH_MILLIS' }));
  await assertStatus(t, f.client.materialize('bad_ndjson@1', T0, END), grpc.status.FAILED_PRECONDITION, /NDJSON file bad\.ndjson: line 2: column ts: "yesterday" is not a number of milliseconds since the epoch \(timestamp_format EPOCH_MILLIS\)/);
  const res = await f.client.online({ features: { refs: ['bad_ndjson@1'] }, entity_ids: ['u1'], as_of_ms: END });
  t.is(column(res, 0)[0]?.[1], 'NOT_FOUND');
  await f.client.register(def('outside', { file: { path: '../../etc/passwd.csv' } }));
  await assertStatus(t, f.client.materialize('outside@1', T0, END), grpc.status.FAILED_PRECONDITION, /outside the data folder/);
  await f.client.register(def('missing', { file: { path: 'nope.csv' } }));
  await assertStatus(t, f.client.materialize('missing@1', T0, END), grpc.status.FAILED_PRECONDITION, /CSV file nope\.csv: .*ENOENT/);
  await f.client.register(def('not_numbers', { file: { path: 'tx.csv' } }, [{ window: { column: 'user_id', aggregation: 'AVG' as const, window_ms: DAYS_30, output: 'value' } }]));
  await assertStatus(t, f.client.materialize('not_numbers@1', T0, END), grpc.status.FAILED_PRECONDITION, /transforms\[0\] \(window\): line \d+: column user_id: "u\d" is not a number/);
  await f.client.register(def('wrong_column', { file: { path: 'tx.csv' } }, []));
  await assertStatus(t, f.client.materialize('wrong_column@1', T0, END), grpc.status.FAILED_PRECONDITION, /wrong_column@1: value_column: column "value" is not a column of CSV file tx\.csv \(its columns: user_id, ts, balance\)/);
});

test('extractors - materializing from inside a window writes the value in effect at the start', async (t) => {
  // u1: 100 at day 20, 200 at day 45; a 30-day average materialized from day 31 must read 100
  // on days 31–44 (the day-20 row is still in the window) — nothing was emitted in that range.
  const day = (d: number): number => Date.UTC(2026, 0, 1) + d * 86_400_000;
  await writeFile(join(dir, 'mid.ndjson'), [`{"user_id":"u1","ts":${day(20)},"balance":100}`, `{"user_id":"u1","ts":${day(45)},"balance":200}`].join('\n') + '\n');
  await f.client.register(def('avg_mid', { file: { path: 'mid.ndjson' }, timestamp_format: 'EPOCH_MILLIS' }));
  await f.client.materialize('avg_mid@1', day(31), day(120));
  for (const [d, expected] of [[31, 100], [44, 100], [46, 150], [60, 200]] as const) {
    const res = await f.client.online({ features: { refs: ['avg_mid@1'] }, entity_ids: ['u1'], as_of_ms: day(d) });
    t.deepEqual(column(res, 0)[0]?.slice(0, 2), [expected, 'PRESENT'], `day ${d}`);
  }
});

test('extractors - source entity ids that reads would refuse fail Materialize', async (t) => {
  await writeFile(join(dir, 'ids.ndjson'), `{"user_id":"${'x'.repeat(300)}","ts":1767225600000,"balance":1}\n`);
  await f.client.register(def('long_ids', { file: { path: 'ids.ndjson' }, timestamp_format: 'EPOCH_MILLIS' }, []));
  await assertStatus(t, f.client.materialize('long_ids@1', T0, END), grpc.status.FAILED_PRECONDITION, /line 1: column user_id: user_id: longer than \d+ characters/);
});

test('extractors - times: epoch seconds need their unit declared; impossible dates and non-ISO date-times are refused naming the row', async (t) => {
  // The review's case: epoch seconds read as milliseconds put every row in January 1970, so
  // nothing fell in the range and Materialize answered OK with 0 values.
  const tx = transactions();
  await writeFile(join(dir, 'secs.ndjson'), tx.map((r) => JSON.stringify({ user_id: r.user, ts: r.ts / 1000, balance: r.balance })).join('\n') + '\n');
  await f.client.register(def('secs_undeclared', { file: { path: 'secs.ndjson' } }));
  await assertStatus(t, f.client.materialize('secs_undeclared@1', T0, END), grpc.status.FAILED_PRECONDITION, /NDJSON file secs\.ndjson: line 1: column ts: 17\d{8} is a number, whose unit is not known: set source\.timestamp_format to EPOCH_SECONDS/);
  // Declared as the wrong unit, the rows land in 1970: nothing written, and the answer says why.
  await f.client.register(def('secs_as_millis', { file: { path: 'secs.ndjson' }, timestamp_format: 'EPOCH_MILLIS' }));
  const wrongUnit = await f.client.materialize('secs_as_millis@1', T0, END);
  t.is(wrongUnit.values_written, '0');
  t.regex(wrongUnit.warnings.join(), /none of the \d+ rows of NDJSON file secs\.ndjson has an event time in \[.*\): its times run from 1970-01-21T/);
  await f.client.register(def('secs_declared', { file: { path: 'secs.ndjson' }, timestamp_format: 'EPOCH_SECONDS' }));
  await f.client.register(def('secs_reference', { file: { path: 'tx.csv' } }));
  const m = await f.client.materialize('secs_declared@1', T0, END);
  t.is(Number(m.rows_read), tx.length);
  await f.client.materialize('secs_reference@1', T0, END);
  const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8', 'u9'];
  for (const asOf of [Date.UTC(2026, 1, 1), Date.UTC(2026, 2, 15, 6)]) {
    const res = await f.client.online({ features: { refs: ['secs_declared@1', 'secs_reference@1'] }, entity_ids: users, as_of_ms: asOf });
    t.deepEqual(column(res, 0), column(res, 1), `as of ${new Date(asOf).toISOString()}`);
  }
  // Microseconds declared as milliseconds land after the year 9999: refused, not silently wrong.
  await writeFile(join(dir, 'micros.ndjson'), `{"user_id":"u1","ts":${Date.UTC(2026, 0, 5) * 1000},"balance":1}\n`);
  await f.client.register(def('micros_as_millis', { file: { path: 'micros.ndjson' }, timestamp_format: 'EPOCH_MILLIS' }));
  await assertStatus(t, f.client.materialize('micros_as_millis@1', T0, END), grpc.status.FAILED_PRECONDITION, /line 1: column ts: 1767571200000000 is outside the years 0000-9999 as milliseconds since the epoch/);
  await f.client.register(def('micros', { file: { path: 'micros.ndjson' }, timestamp_format: 'EPOCH_MICROS' }));
  await f.client.materialize('micros@1', T0, END);
  t.deepEqual(column(await f.client.online({ features: { refs: ['micros@1'] }, entity_ids: ['u1'], as_of_ms: Date.UTC(2026, 0, 5) }), 0)[0], [1, 'PRESENT', Date.UTC(2026, 0, 5)]);
  // 2024-02-30 used to become 1 March.
  await writeFile(join(dir, 'feb30.csv'), 'user_id,ts,balance\nu1,2024-02-29T10:00:00Z,1\nu1,2024-02-30T10:00:00Z,2\n');
  await f.client.register(def('feb30', { file: { path: 'feb30.csv' } }));
  await assertStatus(t, f.client.materialize('feb30@1', 0, END), grpc.status.FAILED_PRECONDITION, /CSV file feb30\.csv: line 3: column ts: "2024-02-30T10:00:00Z" is not a valid date-time: February 2024 has 29 days/);
  // A date-time that is not ISO 8601 was read in the host's time zone.
  await writeFile(join(dir, 'slashes.csv'), 'user_id,ts,balance\nu1,2026-01-03T17:16:33Z,1\nu1,2026/01/03 17:16:33,2\n');
  await f.client.register(def('slashes', { file: { path: 'slashes.csv' } }));
  await assertStatus(t, f.client.materialize('slashes@1', T0, END), grpc.status.FAILED_PRECONDITION, /line 3: column ts: "2026\/01\/03 17:16:33" is not an ISO 8601 date or date-time/);
  for (const ref of ['secs_undeclared@1', 'micros_as_millis@1', 'feb30@1', 'slashes@1']) {
    t.is(column(await f.client.online({ features: { refs: [ref] }, entity_ids: ['u1'] }), 0)[0]?.[1], 'NOT_FOUND', `${ref}: nothing written`);
  }
});

test('extractors - a transform over a column the source does not have fails Materialize naming the column and the feature', async (t) => {
  const csv = { file: { path: 'tx.csv' } };
  const sqlite = { sql: { engine: 'SQLITE' as const, connection: 'tx.sqlite', query: 'SELECT user_id, ts FROM tx' }, timestamp_format: 'EPOCH_MILLIS' as const };
  await writeFile(join(dir, 'sparse.ndjson'), '{"user_id":"u1","ts":1767225600000,"balance":1}\n{"user_id":"u1","ts":1767312000000}\n{"user_id":"u2","ts":1767312000000,"bonus":3}\n');
  const ndjson = { file: { path: 'sparse.ndjson' }, timestamp_format: 'EPOCH_MILLIS' as const };
  const cases: [string, FeatureDefinition['source'], unknown[], RegExp, FeatureDefinition['value_type']?][] = [
    // Each used to answer OK: nulls, a plausible 0, or nothing at all.
    ['avg_typo', csv, [{ window: { column: 'balanse', aggregation: 'AVG', window_ms: DAYS_30, output: 'value' } }], /materialize avg_typo@1: transforms\[0\] \(window\): column "balanse" is not a column of CSV file tx\.csv \(its columns: user_id, ts, balance; did you mean "balance"\?\)/],
    ['count_typo', csv, [{ window: { column: 'Balance', aggregation: 'COUNT', window_ms: DAYS_30, output: 'value' } }], /materialize count_typo@1: transforms\[0\] \(window\): column "Balance" is not a column of CSV file tx\.csv/, 'INT64'],
    ['filter_typo', csv, [{ filter: { column: 'balnce', op: 'GT', value: { float_value: 0 } } }, { window: { column: 'balance', aggregation: 'SUM', window_ms: DAYS_30, output: 'value' } }], /materialize filter_typo@1: transforms\[0\] \(filter\): column "balnce" is not a column/],
    ['map_typo', csv, [{ map: { column: 'amount', op: 'ABS', output: 'value' } }], /materialize map_typo@1: transforms\[0\] \(map\): column "amount" is not a column of CSV file tx\.csv/],
    ['after_window', csv, [{ window: { column: 'balance', aggregation: 'AVG', window_ms: DAYS_30, output: 'avg' } }, { filter: { column: 'balance', op: 'GT', value: { float_value: 0 } } }], /materialize after_window@1: transforms\[1\] \(filter\): column "balance" is not a column of the rows of transforms\[0\] \(window\) \(its columns: avg\)/],
    ['value_typo', csv, [{ window: { column: 'balance', aggregation: 'AVG', window_ms: DAYS_30, output: 'avg' } }], /materialize value_typo@1: value_column: column "value" is not a column of the rows of transforms\[0\] \(window\) \(its columns: avg\)$/],
    ['sql_missing', sqlite, [{ window: { column: 'balance', aggregation: 'MAX', window_ms: DAYS_30, output: 'value' } }], /materialize sql_missing@1: transforms\[0\] \(window\): column "balance" is not a column of SQLITE query \(its columns: user_id, ts\)/],
    ['ndjson_missing', ndjson, [{ window: { column: 'balence', aggregation: 'SUM', window_ms: DAYS_30, output: 'value' } }], /materialize ndjson_missing@1: transforms\[0\] \(window\): column "balence" is not a column of NDJSON file sparse\.ndjson \(its columns: user_id, ts, balance, bonus; did you mean "balance"\?\)/],
  ];
  for (const [name, source, transforms, pattern, type] of cases) {
    await f.client.register(def(name, source, transforms as typeof AVG_30D, type));
    await assertStatus(t, f.client.materialize(`${name}@1`, T0, END), grpc.status.FAILED_PRECONDITION, pattern);
    t.is(column(await f.client.online({ features: { refs: [`${name}@1`] }, entity_ids: ['u1', 'u2'] }), 0).map((c) => c[1]).join(), 'NOT_FOUND,NOT_FOUND', `${name}: nothing written`);
  }
  await f.client.register({ ...def('ts_typo', csv), source: { entity_column: 'user_id', timestamp_column: 'time', ...csv } });
  await assertStatus(t, f.client.materialize('ts_typo@1', T0, END), grpc.status.FAILED_PRECONDITION, /materialize ts_typo@1: source\.timestamp_column: column "time" is not a column of CSV file tx\.csv/);
  // A column that only some NDJSON lines have is a column (absent = null).
  await f.client.register(def('sparse_ok', ndjson, [{ window: { column: 'bonus', aggregation: 'COUNT', window_ms: DAYS_30, output: 'value' } }] as never, 'INT64'));
  await f.client.materialize('sparse_ok@1', T0, END);
  t.deepEqual(column(await f.client.online({ features: { refs: ['sparse_ok@1'] }, entity_ids: ['u1', 'u2'], as_of_ms: Date.UTC(2026, 0, 2) }), 0).map((c) => c[0]), ['0', '1']);
});

test('extractors - a PostgreSQL source only reads: one statement, in a read-only transaction; no password in a definition', async (t) => {
  const victim = `${table}_victim`;
  await f.client.register(def('pg_two_statements', { sql: { engine: 'POSTGRES', connection: PG_URL, query: `CREATE TABLE ${victim} (x int); SELECT user_id, ts, balance FROM ${table}` } }, []));
  await assertStatus(t, f.client.materialize('pg_two_statements@1', T0, END), grpc.status.FAILED_PRECONDITION, /POSTGRES query: .*(multiple commands|cannot insert multiple)/);
  await f.client.register(def('pg_write', { sql: { engine: 'POSTGRES', connection: PG_URL, query: `DELETE FROM ${table} WHERE user_id = 'u1' RETURNING user_id, ts, balance` } }, []));
  await assertStatus(t, f.client.materialize('pg_write@1', T0, END), grpc.status.FAILED_PRECONDITION, /read-only transaction/);
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const exists = await client.query(`SELECT to_regclass('${victim}') AS t`);
    t.is((exists.rows[0] as { t: string | null }).t, null, 'the second statement did not run');
    const kept = await client.query(`SELECT count(*)::int AS n FROM ${table} WHERE user_id = 'u1'`);
    t.true((kept.rows[0] as { n: number }).n > 0, 'nothing was deleted');
  } finally {
    await client.end();
  }
  await assertStatus(
    t,
    f.client.register(def('pg_secret', { sql: { engine: 'POSTGRES', connection: 'postgres://me:hunter2@127.0.0.1/test', query: 'SELECT 1' } }, [])),
    grpc.status.INVALID_ARGUMENT,
    /sql\.connection: must not hold a password/,
  );
});
