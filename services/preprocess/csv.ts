/**
 * A streaming CSV reader (RFC 4180: comma separated, fields quoted with `"` and `""` inside
 * quotes, CRLF or LF line ends, an optional UTF-8 BOM). It yields batches of rows as the bytes
 * arrive, so a file of any size is read in constant memory. The first row is the header.
 */
import { createReadStream } from 'node:fs';
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
  readonly rows: readonly (readonly string[])[];
  readonly firstRow: number;
}

/**
 * Reads `source` and yields its data rows in batches of up to `batchRows`.
 * @throws CsvError for an empty file, an unterminated quote, a duplicate or empty header name,
 *   or a row whose field count differs from the header's (naming the row).
 */
export async function* csvBatches(source: CsvSource, batchRows = 4096, signal?: AbortSignal): AsyncGenerator<CsvBatch> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let header: string[] | undefined;
  let rows: string[][] = [];
  let firstRow = 0;
  let dataRows = 0;
  let field = '';
  let record: string[] = [];
  let inQuotes = false;
  let quoteSeen = false; // the previous char closed a quote (or was the first of a "")
  let afterCr = false;
  let lineStart = true;

  const endRecord = (): void => {
    record.push(field);
    field = '';
    if (!header) {
      header = record;
      const seen = new Set<string>();
      header.forEach((h, i) => {
        if (h === '') throw new CsvError(`header column ${i + 1} has no name`);
        if (seen.has(h)) throw new CsvError(`header names column '${h}' twice`);
        seen.add(h);
      });
    } else {
      if (record.length !== header.length) throw new CsvError(`data row ${dataRows} has ${record.length} fields, the header has ${header.length}`);
      rows.push(record);
      dataRows++;
    }
    record = [];
    lineStart = true;
  };

  /** Parses `text` from `start`; stops after a row that fills the batch. Returns where it stopped. */
  const feed = (text: string, start: number): number => {
    for (let i = start; i < text.length; i++) {
      const ch = text[i] as string;
      if (afterCr) {
        afterCr = false;
        if (ch === '\n') continue;
      }
      if (inQuotes) {
        if (ch === '"') {
          inQuotes = false;
          quoteSeen = true;
        } else field += ch;
        continue;
      }
      if (ch === '"') {
        // `""` inside a quoted field: the quote closed, and opens again with a literal quote.
        if (quoteSeen) field += '"';
        inQuotes = true;
        quoteSeen = false;
        lineStart = false;
        continue;
      }
      quoteSeen = false;
      if (ch === ',') {
        record.push(field);
        field = '';
        lineStart = false;
      } else if (ch === '\n' || ch === '\r') {
        afterCr = ch === '\r';
        // A blank line (nothing on it) is skipped rather than read as a row of one empty field.
        if (lineStart && record.length === 0 && field === '') continue;
        endRecord();
        if (rows.length >= batchRows) return i + 1;
      } else {
        field += ch;
        lineStart = false;
      }
    }
    return text.length;
  };

  try {
    for await (const chunk of source.open()) {
      signal?.throwIfAborted();
      const text = decoder.decode(chunk, { stream: true });
      for (let pos = 0; pos < text.length; ) {
        pos = feed(text, pos);
        if (rows.length >= batchRows && header) {
          yield { header, rows, firstRow };
          firstRow += rows.length;
          rows = [];
        }
      }
    }
    const tail = decoder.decode();
    for (let pos = 0; pos < tail.length; ) {
      pos = feed(tail, pos);
      if (rows.length >= batchRows && header) {
        yield { header, rows, firstRow };
        firstRow += rows.length;
        rows = [];
      }
    }
  } catch (e: unknown) {
    if (e instanceof TypeError && /encoded data was not valid/i.test(e.message)) throw new CsvError(`${source.description} is not valid UTF-8`, { cause: e });
    throw e;
  }
  if (inQuotes) throw new CsvError(`${source.description}: a quoted field is not closed at the end of the file`);
  if (!lineStart || record.length > 0 || field !== '') endRecord();
  if (!header) throw new CsvError(`${source.description} is empty (no header row)`);
  if (rows.length > 0) yield { header, rows, firstRow };
}
