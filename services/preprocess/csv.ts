/**
 * Reading CSV (RFC 4180: comma separated, fields quoted with `"` and `""` inside quotes, CRLF,
 * LF or CR line ends, an optional UTF-8 BOM, blank lines skipped) with csv-parse, streamed:
 * batches of rows are yielded as the bytes arrive, so a file of any size is read in constant
 * memory. The first row is the header. Writing CSV (the CLI's output) is csv-stringify's.
 */
import { createReadStream } from 'node:fs';
import { CsvError as ParseError, Parser } from 'csv-parse';
import { CsvError } from './errors.js';

/** Bytes of a CSV, opened anew for each pass over it. */
export interface CsvSource {
  /** For messages: the path, or "inline CSV (N bytes)". */
  readonly description: string;
  open(): AsyncIterable<Uint8Array>;
}

/** A CSV file, read in 1 MiB chunks. */
export function fileSource(path: string): CsvSource {
  return { description: path, open: () => createReadStream(path, { highWaterMark: 1 << 20 }) };
}

/** CSV bytes held in memory (a Fit request's `csv`). */
export function bytesSource(bytes: Uint8Array): CsvSource {
  return {
    description: `inline CSV (${bytes.byteLength} bytes)`,
    async *open() {
      const step = 1 << 20;
      for (let o = 0; o < bytes.byteLength; o += step) yield bytes.subarray(o, Math.min(o + step, bytes.byteLength));
    },
  };
}

/** One batch of data rows, with the header and the index of its first data row. */
export interface CsvBatch {
  readonly header: readonly string[];
  /** The rows; with `ragged: 'keep'` a row may have more or fewer fields than the header. */
  readonly rows: readonly (readonly string[])[];
  readonly firstRow: number;
}

/** Options of {@link csvBatches}. */
export interface CsvReadOptions {
  /** Data rows per batch. @default 4096 */
  readonly batchRows?: number;
  /**
   * A row whose field count differs from the header's: `error` throws a CsvError naming the
   * source, the data row and the line (fitting: the data cannot be trusted); `keep` passes it
   * on in `rows` and lists it in `ragged` (transforming: a per-row error, the rest goes on).
   * @default 'error'
   */
  readonly ragged?: 'error' | 'keep';
  /** Aborts the read between chunks. */
  readonly signal?: AbortSignal;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The message of a csv-parse error, in this service's words, naming the source and the line. */
function parseErrorMessage(e: ParseError, source: string, headerLength: number | undefined): string {
  const line = typeof (e as { lines?: unknown }).lines === 'number' ? `line ${(e as unknown as { lines: number }).lines}: ` : '';
  switch (e.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return `${source}: a quoted field is not closed at the end of the file`;
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      // The header is csv-parse's first record: `records` counts it, not the failing row.
      const x = e as unknown as { records: number; lines: number; record: unknown[] };
      return `${source}: data row ${x.records - 1} (line ${x.lines}) has ${plural(x.record.length, 'field')}, the header has ${headerLength}`;
    }
    case 'INVALID_OPENING_QUOTE':
      return `${source}: ${line}a quote inside an unquoted field (quote the whole field and double the quote: "a ""b"" c")`;
    case 'CSV_INVALID_CLOSING_QUOTE':
      return `${source}: ${line}text after the closing quote of a field (quote the whole field and double the quote: "a ""b"" c")`;
    default:
      return `${source}: ${line}${e.message}`;
  }
}

/** Checks the header: every column named, no name twice. */
function checkHeader(header: readonly string[], source: string): void {
  const seen = new Set<string>();
  header.forEach((h, i) => {
    if (h === '') throw new CsvError(`${source}: header column ${i + 1} has no name`);
    if (seen.has(h)) throw new CsvError(`${source}: the header names column '${h}' twice`);
    seen.add(h);
  });
}

/**
 * Reads `source` and yields its data rows in batches of up to `batchRows`.
 * @throws CsvError naming the source for an empty file, bad quoting (with its line), a
 *   duplicate or empty header name, bytes that are not UTF-8, and (with `ragged: 'error'`) a
 *   row whose field count differs from the header's (naming the data row and its line).
 */
export async function* csvBatches(source: CsvSource, o: CsvReadOptions = {}): AsyncGenerator<CsvBatch> {
  const batchRows = o.batchRows ?? 4096;
  const where = source.description;
  const parser = new Parser({
    bom: true,
    record_delimiter: ['\r\n', '\n', '\r'],
    skip_empty_lines: true,
    // Kept ragged rows are the caller's to refuse; otherwise csv-parse refuses them (with the line).
    relax_column_count: o.ragged === 'keep',
  });
  // Errors also reach the write/end callbacks, which is where they are handled.
  parser.on('error', () => {});
  let header: string[] | undefined;
  let pending: string[][] = [];
  let firstRow = 0;

  /**
   * Parses one chunk (or, without one, the end) and moves its records to `pending`. The records
   * are read as soon as they are parsed: the parser holds back the write's callback while its
   * readable buffer is full, so reading them is what lets the write complete.
   */
  const feed = async (chunk: Uint8Array | undefined): Promise<void> => {
    const written = new Promise<void>((resolve, reject) => {
      const done = (e?: Error | null): void => (e ? reject(e) : resolve());
      if (chunk) parser.write(chunk, done);
      else parser.end(done);
    });
    for (let rec = parser.read() as string[] | null; rec !== null; rec = parser.read() as string[] | null) {
      if (header) pending.push(rec);
      else {
        checkHeader(rec, where);
        header = rec;
      }
    }
    await written;
  };
  /** The full batches collected so far (and with `final`, the rest). */
  function* batches(final: boolean): Generator<CsvBatch> {
    if (!header) return;
    let at = 0;
    while (pending.length - at >= batchRows || (final && at < pending.length)) {
      const rows = pending.slice(at, at + batchRows);
      yield { header, rows, firstRow };
      firstRow += rows.length;
      at += rows.length;
    }
    pending = pending.slice(at);
  }

  // csv-parse decodes with Buffer.toString, which replaces bad bytes silently: a fatal
  // TextDecoder checks them (streaming, so a character split across chunks is whole).
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const checkUtf8 = (chunk?: Uint8Array): void => {
    try {
      if (chunk) utf8.decode(chunk, { stream: true });
      else utf8.decode();
    } catch (e: unknown) {
      throw new CsvError(`${where} is not valid UTF-8`, { cause: e });
    }
  };
  try {
    for await (const chunk of source.open()) {
      o.signal?.throwIfAborted();
      checkUtf8(chunk);
      await feed(chunk);
      yield* batches(false);
    }
    checkUtf8();
    await feed(undefined);
  } catch (e: unknown) {
    if (e instanceof ParseError) throw new CsvError(parseErrorMessage(e, where, header?.length), { cause: e });
    throw e;
  } finally {
    parser.destroy();
  }
  if (!header) throw new CsvError(`${where} is empty (no header row)`);
  yield* batches(true);
}
