/** Plain-text tables for the terminal: left-aligned columns, two spaces apart, a header line. */

/** Renders `rows` under `headers`; `null`/`undefined` cells print as `-`. */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>): string {
  const cells = rows.map((r) => headers.map((_, i) => (r[i] === null || r[i] === undefined || r[i] === '' ? '-' : String(r[i]))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (r: readonly string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ').trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}
