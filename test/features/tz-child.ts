/**
 * Child process of `time-zones.test.ts`: in whatever time zone TZ sets for it, materializes the
 * sources its parent wrote (a CSV of ISO 8601 times, a PostgreSQL table with `timestamp` and
 * `date` columns, a CSV with a non-ISO date-time) into a private SQLite store, and prints one JSON
 * line: this process's UTC offset, every stored value per feature, and what was refused.
 *
 *   node dist/test/features/tz-child.js <dataDir> <postgres table>
 */
import { normalizeDefinition } from '../../services/features/index.js';
import { dumpValues, freshLocation, startFeatures } from '../helpers/features.js';

const [dir, table] = process.argv.slice(2) as [string, string];
const PG_URL = process.env['MLMESH_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const loc = await freshLocation('sqlite');
const f = await startFeatures(loc, { overrides: { dataDir: dir } });
const def = (name: string, source: Record<string, unknown>) => normalizeDefinition({ name, version: 1, entity: 'user', value_type: 'FLOAT', source: { entity_column: 'user_id', ...source }, value_column: 'v' });
const out: { offsetMinutes: number[]; values: Record<string, unknown>; refused: Record<string, unknown> } = {
  offsetMinutes: [new Date(Date.UTC(2026, 0, 3)).getTimezoneOffset(), new Date(Date.UTC(2026, 6, 3)).getTimezoneOffset()],
  values: {},
  refused: {},
};
try {
  const defs = [
    def('local_csv', { file: { path: 'local.csv' } }),
    def('pg_timestamp', { sql: { engine: 'POSTGRES', connection: PG_URL, query: `SELECT user_id, ts, v FROM ${table}` } }),
    def('pg_date', { sql: { engine: 'POSTGRES', connection: PG_URL, query: `SELECT user_id, d AS ts, v FROM ${table}` } }),
    def('slashes', { file: { path: 'slashes.csv' } }),
  ];
  for (const d of defs) {
    await f.client.register(d);
    try {
      await f.client.materialize(`${d.name}@1`, 0, Date.UTC(2100, 0, 1));
      out.values[d.name] = await dumpValues(loc, d.name, 1);
    } catch (e: unknown) {
      const err = e as { code?: number; details?: string };
      out.refused[d.name] = { code: err.code, details: err.details };
    }
  }
} finally {
  await f.stop();
  await loc.cleanup();
}
process.stdout.write(JSON.stringify(out) + '\n');
