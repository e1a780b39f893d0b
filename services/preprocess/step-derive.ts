/**
 * `derive`: a new numeric column from two numeric columns (`left`, `right`) — `difference`
 * (left − right, e.g. years between two dates), `sum`, `product` or `ratio` (left / right) —
 * appended at the end of the table. A ratio by zero is not finite: NOT_FINITE in serving (the
 * output check), a fit error in training.
 */
import { FitError } from './errors.js';
import { checkKeys, enumParam, refuseMissing, requireColumns, stringParam } from './step-kind.js';
import type { Fitter, StepKind } from './step-kind.js';
import type { Table } from './table.js';

type Op = 'difference' | 'sum' | 'product' | 'ratio';

/** A derive step (its spec is its fitted form: nothing is learnt). */
export interface DeriveParams {
  readonly type: 'derive';
  readonly name: string;
  readonly op: Op;
  readonly left: string;
  readonly right: string;
}

const OPS: Record<Op, (a: number, b: number) => number> = {
  difference: (a, b) => a - b,
  sum: (a, b) => a + b,
  product: (a, b) => a * b,
  ratio: (a, b) => a / b,
};

function compute(p: DeriveParams, t: Table): Float64Array {
  const f = OPS[p.op];
  const a = t.num(p.left);
  const b = t.num(p.right);
  const out = new Float64Array(t.rows);
  for (let i = 0; i < out.length; i++) out[i] = f(a[i] as number, b[i] as number);
  return out;
}

/** The `derive` step kind. */
export const DERIVE: StepKind<DeriveParams, DeriveParams> = {
  type: 'derive',
  nulls: 'rejects',
  parse(raw, at) {
    checkKeys(raw, at, ['name', 'op', 'left', 'right']);
    return {
      type: 'derive',
      name: stringParam(raw['name'], `${at}.name`),
      op: enumParam(raw['op'], `${at}.op`, ['difference', 'sum', 'product', 'ratio']),
      left: stringParam(raw['left'], `${at}.left`),
      right: stringParam(raw['right'], `${at}.right`),
    };
  },
  reads: (s) => [s.left, s.right],
  writes: (s) => [s.name],
  begin(s, layout, at): Fitter<DeriveParams> {
    requireColumns(layout, [s.left, s.right], at, 'num');
    if (layout.some((l) => l.name === s.name)) throw new FitError(at, s.name, 'exists already: derive makes a new column (drop the old one first)');
    return {
      // Nothing to learn; the pass checks that the training data gives finite values.
      needsData: true,
      update(t, first) {
        refuseMissing(t, [s.left, s.right], first, at);
        compute(s, t).forEach((v, i) => {
          if (!Number.isFinite(v)) throw new FitError(at, s.name, `is not finite (${v}) at data row ${first + i}`);
        });
      },
      finish: () => s,
    };
  },
  layout: (p, before) => [...before, { name: p.name, kind: 'num' }],
  apply(p, table) {
    table.set(p.name, { kind: 'num', values: compute(p, table) });
  },
};
