/**
 * CSV (RFC 4180): writing fields (quoted when they hold a comma, quote, CR or LF) and parsing a
 * whole file into records with the line each starts on, so a caller can name the line of a bad
 * record. Quoted fields may span lines; `""` inside quotes is a quote. Lines end with LF or CRLF.
 */

/** Error in the CSV syntax itself (an unterminated quote, text after a closing quote). */
export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

/** One field, quoted when needed. */
export function csvField(v: string | number | boolean | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One record, CRLF-terminated as RFC 4180 says. */
export function csvLine(fields: ReadonlyArray<string | number | boolean | null | undefined>): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** A parsed record and the (1-based) line it starts on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * Parses a CSV text into records (a UTF-8 byte-order mark is dropped; blank lines are skipped).
 * @throws CsvSyntaxError naming the line of an unterminated quoted field or of text after a closing quote.
 */
export function parseCsv(text: string): CsvRecord[] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const out: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < src.length) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (src[i] === '"') {
        const quoteLine = line;
        i++;
        for (;;) {
          if (i >= src.length) throw new CsvSyntaxError('unterminated quoted field', quoteLine);
          const c = src[i] as string;
          if (c === '"') {
            if (src[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        if (i < src.length && src[i] !== ',' && src[i] !== '\n' && !(src[i] === '\r' && src[i + 1] === '\n')) throw new CsvSyntaxError('text after a closing quote', line);
      } else {
        while (i < src.length && src[i] !== ',' && src[i] !== '\n' && !(src[i] === '\r' && src[i + 1] === '\n')) field += src[i++];
      }
      fields.push(field);
      if (src[i] === ',') {
        i++;
        continue;
      }
      // End of record: CRLF, LF or the end of the text.
      if (src[i] === '\r') i++;
      if (src[i] === '\n') {
        i++;
        line++;
      }
      break;
    }
    if (!(fields.length === 1 && fields[0] === '')) out.push({ line: start, fields });
  }
  return out;
}
