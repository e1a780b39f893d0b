/**
 * Table-driven command-line flags for the mesh entry points: each command declares its flags
 * once (type, placeholder, default, one line of doc); parsing (node's util.parseArgs, strict) and
 * the help text both come from the table, so the table can move into the CLI framework as is.
 */
import { parseArgs } from 'node:util';
import { MeshUsageError } from './errors.js';

/** One flag: `--name <value>` (string) or `--name` (boolean). */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** One-letter alias (`-h`). */
  readonly short?: string;
  /** Placeholder of the value in the help, e.g. `<file>`. */
  readonly value?: string;
  /** One line for the help: meaning and default. */
  readonly doc: string;
}

/** A command's flags, by long name. */
export type FlagTable = Readonly<Record<string, FlagSpec>>;

/** Parsed flags: strings for string flags, booleans for boolean flags, undefined when absent. */
export type FlagValues<T extends FlagTable> = {
  [K in keyof T]: (T[K]['type'] extends 'boolean' ? boolean : string) | undefined;
};

/**
 * Parses `argv` against `table` (no positionals).
 * @throws MeshUsageError naming the unknown flag or the missing value.
 */
export function parseFlags<T extends FlagTable>(table: T, argv: readonly string[]): FlagValues<T> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(table)) options[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    return values as FlagValues<T>;
  } catch (e: unknown) {
    throw new MeshUsageError(e instanceof Error ? e.message : String(e), { cause: e });
  }
}

/** The flags part of a help text, one aligned line per flag. */
export function flagsHelp(table: FlagTable): string {
  const rows = Object.entries(table).map(([name, s]) => [`${s.short ? `-${s.short}, ` : '    '}--${name}${s.value ? ` ${s.value}` : ''}`, s.doc] as const);
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, doc]) => `  ${left.padEnd(width)}  ${doc}`).join('\n');
}

/** Splits a comma-separated flag value into trimmed, non-empty items. */
export function listFlag(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
