/**
 * CSV reading and writing (RFC 4180: comma separator, `"` quoting with `""` for a quote, CRLF or
 * LF line ends, quoted fields may span lines). The reader is streaming.
 */
import { createReadStream } from 'node:fs';
import { CsvError } from './errors.js';

/** A CSV record: its fields and the line it starts on (1-based). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * Reads CSV records from chunks of text, in order. Empty lines are skipped.
 * @throws CsvError for a quote in the middle of an unquoted field or an unterminated quote.
 */
export async function* parseCsv(chunks: AsyncIterable<string> | Iterable<string>): AsyncGenerator<CsvRecord> {
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let afterQuote = false; // just read the closing quote of a field (or the first of `""`)
  let fieldStarted = false;
  let line = 1;
  let recordLine = 1;
  const endRecord = (): CsvRecord | undefined => {
    fields.push(field);
    const rec = fields.length === 1 && fields[0] === '' && !fieldStarted ? undefined : { fields, line: recordLine };
    fields = [];
    field = '';
    fieldStarted = false;
    return rec;
  };
  for await (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] as string;
      if (quoted) {
        if (afterQuote) {
          if (c === '"') {
            field += '"';
            afterQuote = false;
            continue;
          }
          quoted = false;
          afterQuote = false;
          // fall through: c ends the field
        } else {
          if (c === '"') afterQuote = true;
          else {
            if (c === '\n') line++;
            field += c;
          }
          continue;
        }
      }
      if (c === ',') {
        fields.push(field);
        field = '';
        fieldStarted = true;
      } else if (c === '\n') {
        if (field.endsWith('\r')) field = field.slice(0, -1);
        const rec = endRecord();
        line++;
        recordLine = line;
        if (rec) yield rec;
      } else if (c === '"') {
        if (field !== '' && field !== '\r') throw new CsvError(`line ${line}: a quote inside an unquoted field (quote the whole field and double the quote)`);
        quoted = true;
        fieldStarted = true;
      } else if (c === '\r') {
        field += c;
      } else {
        field += c;
        fieldStarted = true;
      }
    }
  }
  if (quoted && !afterQuote) throw new CsvError(`line ${recordLine}: unterminated quoted field`);
  if (field.endsWith('\r')) field = field.slice(0, -1);
  const rec = endRecord();
  if (rec) yield rec;
}

/**
 * Reads a CSV file whose first record names the columns; yields one object per later record.
 * `onHeader` is called with the column names once they are read (even when no record follows).
 * @throws CsvError when a record has a different number of fields than the header.
 */
export async function* readCsvObjects(path: string, onHeader?: (columns: readonly string[]) => void): AsyncGenerator<{ row: Record<string, string>; line: number }> {
  let header: string[] | undefined;
  for await (const rec of parseCsv(createReadStream(path, { encoding: 'utf8' }))) {
    if (!header) {
      header = rec.fields.map((f) => f.trim());
      onHeader?.(header);
      continue;
    }
    if (rec.fields.length !== header.length) throw new CsvError(`line ${rec.line}: ${rec.fields.length} fields, the header has ${header.length}`);
    const row: Record<string, string> = {};
    header.forEach((h, i) => (row[h] = rec.fields[i] as string));
    yield { row, line: rec.line };
  }
}

/** One CSV field, quoted when it holds a comma, quote or line break. */
export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One CSV line (with its LF). */
export function csvLine(fields: readonly string[]): string {
  return fields.map(csvField).join(',') + '\n';
}
