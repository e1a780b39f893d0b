/**
 * The same data must give the same feature values on every host: two child processes under
 * different TZ (New York, with DST, and Kathmandu, +05:45) materialize the same sources and must
 * store the same values at the same UTC event times. Date-times without an offset are UTC,
 * PostgreSQL `timestamp`/`date` columns are read as UTC, and a date-time that is not ISO 8601 is
 * refused naming its line (it used to be read in the host's zone).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import pg from 'pg';
import { runNode } from '../helpers/process.js';

const PG_URL = process.env['MLMESH_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

test('time zones - two hosts in different TZ store the same values at the same UTC times; non-ISO date-times are refused on both', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-tz-'));
  const table = `features_tz_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await writeFile(
      join(dir, 'local.csv'),
      [
        'user_id,ts,v',
        'u1,2026-01-03 17:16:33,1',
        'u1,2026-01-04T08:00,2',
        'u1,2026-01-05,3',
        'u1,2026-01-06T10:00:00+05:45,4',
        // 02:30 on 2026-03-08 does not exist in New York (the clocks jump from 02:00 to 03:00).
        'u1,2026-03-08 02:30:00.5,5',
        '',
      ].join('\n'),
    );
    await writeFile(join(dir, 'slashes.csv'), 'user_id,ts,v\nu1,2026-01-03T10:00:00Z,1\nu1,01/03/2026 10:00,2\n');
    await client.query(`CREATE TABLE ${table} (user_id text, ts timestamp without time zone, d date, v float8)`);
    await client.query(`INSERT INTO ${table} VALUES ('u1', '2026-01-03 17:16:33.25', '2026-01-03', 1), ('u1', '2026-03-08 02:30:00', '2026-03-08', 2)`);
    const results = [];
    for (const TZ of ['America/New_York', 'Asia/Kathmandu']) {
      const child = runNode('test/features/tz-child.js', [dir, table], { TZ, LOG_LEVEL: 'error' });
      const code = await child.exited;
      t.is(code, 0, child.stderr.join('\n'));
      results.push(JSON.parse(child.stdout.at(-1) ?? '{}') as { offsetMinutes: number[]; values: Record<string, { eventMs: number; json: string }[]>; refused: Record<string, { code: number; details: string }> });
    }
    const [ny, ktm] = results as [(typeof results)[0], (typeof results)[0]];
    t.deepEqual(ny.offsetMinutes, [300, 240], 'the first child ran in New York time');
    t.deepEqual(ktm.offsetMinutes, [-345, -345], 'the second in Kathmandu time');
    t.deepEqual(ktm.values, ny.values, 'the same values at the same times');
    t.deepEqual(ktm.refused, ny.refused);
    const times = (name: string) => ny.values[name]?.map((v) => [v.eventMs, v.json]);
    t.deepEqual(times('local_csv'), [
      [Date.UTC(2026, 0, 3, 17, 16, 33), '1'],
      [Date.UTC(2026, 0, 4, 8), '2'],
      [Date.UTC(2026, 0, 5), '3'],
      [Date.UTC(2026, 0, 6, 4, 15), '4'],
      [Date.UTC(2026, 2, 8, 2, 30, 0, 500), '5'],
    ]);
    t.deepEqual(times('pg_timestamp'), [
      [Date.UTC(2026, 0, 3, 17, 16, 33, 250), '1'],
      [Date.UTC(2026, 2, 8, 2, 30), '2'],
    ]);
    t.deepEqual(times('pg_date'), [
      [Date.UTC(2026, 0, 3), '1'],
      [Date.UTC(2026, 2, 8), '2'],
    ]);
    t.is(ny.refused['slashes']?.code, 9, 'FAILED_PRECONDITION');
    t.regex(ny.refused['slashes']?.details ?? '', /materialize slashes@1: CSV file slashes\.csv: line 3: column ts: "01\/03\/2026 10:00" is not an ISO 8601 date or date-time/);
    t.is(ny.values['slashes'], undefined, 'nothing stored');
  } finally {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
    await rm(dir, { recursive: true, force: true });
  }
});
