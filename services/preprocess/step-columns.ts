/** Column steps: select, drop, cast. Stateless. */
import { FitError } from './errors.js';
import { checkKeys, enumParam, requireColumns, staticFitter, stringList, withKinds } from './step-kind.js';
import type { StepKind } from './step-kind.js';
import { numColumn, strColumn } from './table.js';

/** `select`: keep these columns, in this order. */
export interface SelectParams {
  readonly type: 'select';
  readonly columns: readonly string[];
}

/** The `select` step kind. */
export const SELECT: StepKind<SelectParams, SelectParams> = {
  type: 'select',
  nulls: 'passes',
  parse(raw, at) {
    checkKeys(raw, at, ['columns']);
    return { type: 'select', columns: stringList(raw['columns'], `${at}.columns`) };
  },
  reads: (s) => s.columns,
  writes: () => [],
  begin(s, layout, at) {
    requireColumns(layout, s.columns, at);
    return staticFitter(s);
  },
  layout: (p, before) => p.columns.map((c) => before.find((l) => l.name === c) ?? { name: c, kind: 'num' }),
  apply(p, table) {
    table.select(p.columns);
  },
};

/** `drop`: remove these columns. */
export interface DropParams {
  readonly type: 'drop';
  readonly columns: readonly string[];
}

/** The `drop` step kind. */
export const DROP: StepKind<DropParams, DropParams> = {
  type: 'drop',
  nulls: 'passes',
  parse(raw, at) {
    checkKeys(raw, at, ['columns']);
    return { type: 'drop', columns: stringList(raw['columns'], `${at}.columns`) };
  },
  reads: () => [],
  writes: (s) => s.columns,
  begin(s, layout, at) {
    requireColumns(layout, s.columns, at);
    return staticFitter(s);
  },
  layout: (p, before) => before.filter((l) => !p.columns.includes(l.name)),
  apply(p, table) {
    table.drop(p.columns);
  },
};

/**
 * `cast`: change the kind of columns. To `number`: strings are parsed as decimal numbers (a
 * value that does not parse is WRONG_TYPE in serving, a fit error in training). To `string`:
 * numbers become their shortest decimal form (3, 2.5).
 */
export interface CastParams {
  readonly type: 'cast';
  readonly columns: readonly string[];
  readonly to: 'number' | 'string';
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INFINITY = /^([+-]?)(inf|infinity)$/i;

/**
 * The number a decimal literal holds (surrounding blanks ignored), ±Infinity for `inf` /
 * `Infinity`, NaN for anything else — '1,5', 'abc', and also the hex, octal and binary forms
 * JavaScript's Number() would accept ('0x10') but Python and numpy would not.
 */
export function parseDecimal(s: string): number {
  const t = s.trim();
  if (DECIMAL.test(t)) return Number(t);
  const inf = INFINITY.exec(t);
  return inf ? (inf[1] === '-' ? -Infinity : Infinity) : NaN;
}

/** The finite number a string holds, or NaN when it holds none (see {@link parseDecimal}). */
export function parseNumber(s: string): number {
  const n = parseDecimal(s);
  return Number.isFinite(n) ? n : NaN;
}

/** Training-time cast: a value that does not parse fails the fit. */
export function castFitter(p: CastParams, at: string): (table: Parameters<StepKind['apply']>[1], firstRow: number) => void {
  return (table, firstRow) => {
    if (p.to !== 'number') return;
    for (const c of p.columns) {
      const col = table.get(c);
      if (col.kind !== 'str') continue;
      col.values.forEach((v, i) => {
        if (v !== null && Number.isNaN(parseNumber(v))) throw new FitError(at, c, `value ${JSON.stringify(v)} at data row ${firstRow + i} is not a number`);
      });
    }
  };
}

/** The `cast` step kind. */
export const CAST: StepKind<CastParams, CastParams> = {
  type: 'cast',
  nulls: 'passes',
  parse(raw, at) {
    checkKeys(raw, at, ['columns', 'to']);
    return { type: 'cast', columns: stringList(raw['columns'], `${at}.columns`), to: enumParam(raw['to'], `${at}.to`, ['number', 'string']) };
  },
  reads: (s) => s.columns,
  writes: (s) => s.columns,
  begin(s, layout, at) {
    requireColumns(layout, s.columns, at);
    // Checking that every value parses needs the data, but the cast itself has no parameters.
    const check = castFitter(s, at);
    return { needsData: s.to === 'number', update: check, finish: () => s };
  },
  layout: (p, before) => withKinds(before, p.columns, p.to === 'number' ? 'num' : 'str'),
  apply(p, table, errors) {
    for (const c of p.columns) {
      const col = table.get(c);
      if (p.to === 'number' && col.kind === 'str') {
        const out = new Float64Array(table.rows);
        col.values.forEach((v, i) => {
          if (v === null) {
            out[i] = NaN;
            return;
          }
          const n = parseNumber(v);
          out[i] = n;
          if (Number.isNaN(n)) errors.step(i, c, 'WRONG_TYPE', `'${c}': ${JSON.stringify(v)} is not a number`);
        });
        table.set(c, numColumn(out));
      } else if (p.to === 'string' && col.kind === 'num') {
        table.set(c, strColumn(Array.from(col.values, (v) => (Number.isNaN(v) ? null : String(v)))));
      }
    }
  },
};
