/**
 * What commands print. Data goes to stdout: text for people by default, one JSON object per
 * line with `--json` (for scripts and `jq`). Progress and notes go to stderr, so stdout stays
 * data only.
 */

/** How a command prints. */
export interface Printer {
  /** One record: JSON with --json, else `text(record)` or `key=value` pairs. */
  record(obj: Record<string, unknown>, text?: (obj: Record<string, unknown>) => string): void;
  /** A note for the person at the terminal (stderr), never data. */
  note(line: string): void;
}

/** A value as a person reads it in `key=value` form. */
function plain(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** `key=value key=value …` of an object (nested values as JSON). */
export function keyValues(obj: Record<string, unknown>): string {
  return Object.entries(obj)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${plain(v)}`)
    .join(' ');
}

/** A printer on the process's stdout and stderr. */
export function printer(json: boolean | undefined, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Printer {
  return {
    record(obj, text) {
      out.write(`${json ? JSON.stringify(obj) : (text ?? keyValues)(obj)}\n`);
    },
    note(line) {
      err.write(`${line}\n`);
    },
  };
}
