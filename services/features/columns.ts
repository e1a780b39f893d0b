/**
 * The columns a definition reads must exist: a window, count, filter or map over a misspelt column
 * would otherwise see nulls everywhere and write nulls, a plausible 0, or nothing.
 */
import type { FeatureDefinition } from './definitions.js';
import { ColumnsError } from './errors.js';

/** Edit distance (insertions, deletions, substitutions; case counts as a difference but cheaply). */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      const same = a[i - 1] === b[j - 1] ? 0 : a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0.5 : 1;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + same);
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** The closest name within two edits, if any. */
function closest(name: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 2.5;
  for (const n of names) {
    const d = distance(name, n);
    if (d < bestD) {
      best = n;
      bestD = d;
    }
  }
  return best;
}

/**
 * Checks every column `def` reads against what is there: the source's entity and timestamp
 * columns and the first transform's input against the source's columns, each later transform
 * against what the earlier ones leave (a map adds its output, a window keeps only its output),
 * and `value_column` against the end result.
 * @param sourceColumns the source's columns, in order
 * @param what the source, for the message (`CSV file tx.csv`)
 * @throws ColumnsError naming the field, the column, what it was looked for in, and a near name.
 */
export function checkColumns(def: FeatureDefinition, sourceColumns: readonly string[], what: string): void {
  let available = [...sourceColumns];
  let from = what;
  const need = (column: string, field: string): void => {
    if (available.includes(column)) return;
    const near = closest(column, available);
    const list = available.length > 0 ? available.join(', ') : 'none';
    throw new ColumnsError(`${field}: column ${JSON.stringify(column)} is not a column of ${from} (its columns: ${list}${near ? `; did you mean ${JSON.stringify(near)}?` : ''})`);
  };
  const src = def.source;
  if (src && src.kind !== 'push') {
    need(src.entity_column, 'source.entity_column');
    need(src.timestamp_column, 'source.timestamp_column');
  }
  def.transforms.forEach((t, i) => {
    const field = `transforms[${i}] (${t.kind})`;
    if (t.filter) need(t.filter.column, field);
    else if (t.map) {
      need(t.map.column, field);
      if (!available.includes(t.map.output)) available.push(t.map.output);
    } else if (t.window) {
      need(t.window.column, field);
      available = [t.window.output];
      from = `the rows of ${field}`;
    }
  });
  need(def.value_column, 'value_column');
}
