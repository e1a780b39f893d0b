/**
 * Extractors: read a definition's raw source — a CSV or NDJSON file, a SQL query on SQLite or
 * PostgreSQL — as rows of (entity, event time, columns) within a time range.
 */
import { createReadStream } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import pg from 'pg';
import { errorMessage } from '../../shared/errors/index.js';
import type { Source__Output } from '../../shared/generated/mlmesh/features/v1/Source.js';
import { readCsvObjects } from './csv.js';
import { ColumnsError, CsvError, ExtractError, TimeFormatError } from './errors.js';
import { checkEntityId } from './refs.js';
import { parseIsoDateTime, readTimestamp } from './times.js';
import type { TimestampFormatName } from './times.js';
import type { SourceRow } from './transformers.js';

/** What an extraction reads. */
export interface ExtractRange {
  /** Folder that file and SQLite sources are resolved in (they may not leave it). */
  dataDir: string;
  /** Rows with event time in [startMs, endMs) are kept. */
  startMs: number;
  endMs: number;
  /** Stops the extraction between rows. */
  signal?: AbortSignal;
  /** Filled with the source's columns and row count as the extraction runs. */
  stats?: ExtractStats;
  /**
   * Called once the source's columns are known, before the first row is read (for NDJSON, whose
   * lines may each have other keys, after the last); a ColumnsError it throws ends the
   * extraction as it is.
   */
  onColumns?: (columns: readonly string[], what: string) => void;
}

/**
 * What an extraction saw besides the rows it yields: the source's columns and every row's time,
 * in the range or not. Filled in as the extraction runs.
 */
export class ExtractStats {
  /** The source's column names, in order: the CSV header, the query's result columns, every key of any NDJSON line. */
  readonly columns = new Set<string>();
  /** False until the source has told its columns (an NDJSON file without lines never does). */
  columnsKnown = false;
  /** Rows read from the source, in the range or not. */
  seen = 0;
  /** Earliest and latest event time of those rows (epoch ms). */
  minMs = Infinity;
  maxMs = -Infinity;
  /** What the source is, for messages (`CSV file tx.csv`, `SQLITE query`). */
  what = '';

  /** Records column names. */
  addColumns(names: Iterable<string>): void {
    for (const n of names) this.columns.add(n);
    this.columnsKnown = true;
  }
}

/** How long to wait for PostgreSQL to accept the connection, in ms. */
const PG_CONNECT_TIMEOUT_MS = 5000;

/** A source path inside `dataDir`. @throws ExtractError when it would leave the folder. */
export function resolveInside(dataDir: string, path: string): string {
  const full = resolve(dataDir, path);
  const rel = relative(resolve(dataDir), full);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new ExtractError(`source path ${JSON.stringify(path)} is outside the data folder ${resolve(dataDir)}`);
  return full;
}

/** The source's timestamp format; unset is ISO_8601. */
function timestampFormat(src: Source__Output): TimestampFormatName {
  const f = src.timestamp_format as string | undefined;
  return f === undefined || f === '' || f === 'TIMESTAMP_FORMAT_UNSPECIFIED' ? 'ISO_8601' : (f as TimestampFormatName);
}

/**
 * pg's parser for `timestamp` (without time zone) and `date` reads them in the host's time zone;
 * these read them as UTC, so the data means the same on every host. Text that is not a date-time
 * (`infinity`) is passed on as text and refused, naming the row, when the row is read.
 */
const PG_UTC_TYPES = { TIMESTAMP: 1114, DATE: 1082 } as const;

function pgUtc(text: string): Date | string {
  try {
    return new Date(parseIsoDateTime(text));
  } catch {
    // Not a date-time: left as text for readTimestamp to refuse with the row's position.
    return text;
  }
}

const pgTypes = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === PG_UTC_TYPES.TIMESTAMP || oid === PG_UTC_TYPES.DATE ? pgUtc : (pg.types.getTypeParser(oid, format as 'text') as (text: string) => unknown)) as typeof pg.types.getTypeParser,
};

/** Builds a row from a raw record, checking its entity and time. */
function toRow(src: Source__Output, cols: Record<string, unknown>, at: string): SourceRow {
  const e = cols[src.entity_column];
  if (e === undefined || e === null || e === '') throw new ExtractError(`${at}: column ${src.entity_column} (the entity id) is missing or empty`);
  if (typeof e !== 'string' && typeof e !== 'number' && typeof e !== 'bigint') throw new ExtractError(`${at}: column ${src.entity_column} must be a string or a number`);
  // The same rule as reads: an id no GetOnlineFeatures could ask for must not be written.
  try {
    checkEntityId(String(e), src.entity_column);
  } catch (err: unknown) {
    throw new ExtractError(`${at}: column ${src.entity_column}: ${errorMessage(err)}`);
  }
  let ts: number;
  try {
    ts = readTimestamp(cols[src.timestamp_column], timestampFormat(src));
  } catch (err: unknown) {
    if (err instanceof TimeFormatError) throw new ExtractError(`${at}: column ${src.timestamp_column}: ${err.message}`, { cause: err });
    throw err;
  }
  return { entity: String(e), ts, cols, at };
}

async function* ndjsonRecords(path: string, stats?: ExtractStats): AsyncGenerator<{ cols: Record<string, unknown>; at: string }> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  try {
    yield* ndjsonLines(lines, () => ++n, stats);
  } finally {
    // readline does not close its input when the reader stops early (a bad line, an abort).
    input.destroy();
  }
}

async function* ndjsonLines(lines: AsyncIterable<string>, next: () => number, stats?: ExtractStats): AsyncGenerator<{ cols: Record<string, unknown>; at: string }> {
  for await (const line of lines) {
    const n = next();
    if (line.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e: unknown) {
      throw new ExtractError(`line ${n}: not JSON: ${errorMessage(e)}`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new ExtractError(`line ${n}: must be a JSON object`);
    // A key that only some lines have is still a column (absent = null).
    stats?.addColumns(Object.keys(obj));
    yield { cols: obj as Record<string, unknown>, at: `line ${n}` };
  }
}

async function* csvRecords(path: string, stats?: ExtractStats): AsyncGenerator<{ cols: Record<string, unknown>; at: string }> {
  try {
    for await (const { row, line } of readCsvObjects(path, (columns) => stats?.addColumns(columns))) yield { cols: row, at: `line ${line}` };
  } catch (e: unknown) {
    if (e instanceof CsvError) throw new ExtractError(e.message, { cause: e });
    throw e;
  }
}

function* sqliteRecords(path: string, query: string, r: ExtractRange): Generator<{ cols: Record<string, unknown>; at: string }> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const stmt = db.prepare(query);
    if (!stmt.reader) throw new ExtractError('the query returns no rows (it must be a SELECT)');
    r.stats?.addColumns(stmt.columns().map((c) => c.name));
    // Named parameters the query does not use are ignored by better-sqlite3.
    const params = { start_ms: r.startMs, end_ms: r.endMs };
    let n = 0;
    for (const row of stmt.iterate(params)) yield { cols: row as Record<string, unknown>, at: `row ${++n}` };
  } finally {
    db.close();
  }
}

async function* postgresRecords(url: string, query: string, r: ExtractRange): AsyncGenerator<{ cols: Record<string, unknown>; at: string }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS, types: pgTypes });
  await client.connect();
  try {
    // A source reads: the query runs in a READ ONLY transaction, and as one named prepared
    // statement (the extended protocol takes exactly one statement, so "…; DROP …" is refused).
    await client.query('BEGIN TRANSACTION READ ONLY');
    // PostgreSQL refuses parameters a statement does not use: pass only those it names.
    const values = /\$2\b/.test(query) ? [r.startMs, r.endMs] : /\$1\b/.test(query) ? [r.startMs] : [];
    const res = await client.query<Record<string, unknown>>({ name: 'mlmesh_feature_source', text: query, values });
    await client.query('ROLLBACK');
    if (!Array.isArray(res.rows) || res.fields === undefined || res.fields.length === 0) throw new ExtractError('the query returns no rows (it must be a SELECT)');
    r.stats?.addColumns(res.fields.map((fd) => fd.name));
    let n = 0;
    for (const row of res.rows) yield { cols: row, at: `row ${++n}` };
  } finally {
    await client.end();
  }
}

/**
 * The rows of `src` with event time in [startMs, endMs), in source order.
 * @throws ExtractError naming the source and the row when the source cannot be read or a row
 *   has no usable entity id or time; a push source has nothing to extract.
 */
export async function* extract(src: Source__Output, r: ExtractRange): AsyncGenerator<SourceRow> {
  let records: AsyncIterable<{ cols: Record<string, unknown>; at: string }> | Iterable<{ cols: Record<string, unknown>; at: string }>;
  let what: string;
  if (src.file) {
    const path = resolveInside(r.dataDir, src.file.path);
    what = `${src.file.format} file ${src.file.path}`;
    records = src.file.format === 'CSV' ? csvRecords(path, r.stats) : ndjsonRecords(path, r.stats);
  } else if (src.sql) {
    what = `${src.sql.engine} query`;
    records = src.sql.engine === 'SQLITE' ? sqliteRecords(resolveInside(r.dataDir, src.sql.connection), src.sql.query, r) : postgresRecords(src.sql.connection, src.sql.query, r);
  } else {
    throw new ExtractError('a push source has nothing to extract: its values come from WriteFeatures');
  }
  const stats = r.stats ?? new ExtractStats();
  stats.what = what;
  // CSV headers and SQL result columns are known before the first row; NDJSON only at the end.
  const upFront = src.file?.format !== 'NDJSON';
  let checked = false;
  const check = (): void => {
    checked = true;
    if (stats.columnsKnown) r.onColumns?.([...stats.columns], what);
  };
  try {
    for await (const rec of records) {
      r.signal?.throwIfAborted();
      if (!checked && upFront) check();
      const row = toRow(src, rec.cols, rec.at);
      stats.seen++;
      if (row.ts < stats.minMs) stats.minMs = row.ts;
      if (row.ts > stats.maxMs) stats.maxMs = row.ts;
      if (row.ts >= r.startMs && row.ts < r.endMs) yield row;
    }
    if (!checked) check();
  } catch (e: unknown) {
    if (r.signal?.aborted || e instanceof ColumnsError) throw e;
    throw new ExtractError(`${what}: ${errorMessage(e)}`, { cause: e });
  }
}
