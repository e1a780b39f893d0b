/**
 * Labelled CSV → Feedback events, for `mlmesh feedback import`. The file is the labelling queue's
 * export (`mlmesh feedback export`) with its `label` column filled in, or any CSV with a header
 * naming at least `request_id` and `label` (class labels) or `value` (numeric targets):
 *
 *   request_id  required, the prediction's request id
 *   row         optional, the row of a multi-row prediction (0-based); absent: a one-row prediction
 *   model       optional when --model is given (and then equal to it)
 *   label       a class label as the model's classes are written (the export's `prediction` column)
 *   value       a numeric target (regressors), instead of label
 *
 * Other columns are ignored. A row with neither label nor value is not labelled yet: skipped. Any
 * bad row refuses the whole file, every problem named by line and column, before anything is sent.
 */
import { CsvSyntaxError, parseCsv } from '../../shared/csv/index.js';
import type { Feedback } from '../../shared/events/index.js';

/** Problems found in a CSV, each naming its line and column. */
export class LabelCsvError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`the CSV was refused (nothing was sent): ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n  ${problems.slice(0, 50).join('\n  ')}${problems.length > 50 ? `\n  … and ${problems.length - 50} more` : ''}`);
    this.name = 'LabelCsvError';
  }
}

/** One Feedback to publish, with its Nats-Msg-Id and the CSV line it came from. */
export interface ImportedLabel {
  line: number;
  msgId: string;
  feedback: Feedback;
}

/** What a CSV gives. */
export interface ImportedLabels {
  labels: ImportedLabel[];
  /** Rows with no label yet, and rows repeating an earlier row's label exactly. */
  unlabelled: number;
  repeated: number;
}

/**
 * Parses and checks a labelled CSV.
 * @throws LabelCsvError listing every bad row (line and column) and header problem.
 */
export function labelsFromCsv(text: string, opts: { model?: string; nowMs?: number } = {}): ImportedLabels {
  let records;
  try {
    records = parseCsv(text);
  } catch (e: unknown) {
    if (e instanceof CsvSyntaxError) throw new LabelCsvError([e.message]);
    throw e;
  }
  const header = records[0];
  if (!header) throw new LabelCsvError(['line 1: the file is empty (a header line naming request_id and label or value is needed)']);
  const col = new Map<string, number>();
  const problems: string[] = [];
  header.fields.forEach((name, i) => {
    const n = name.trim();
    if (col.has(n)) problems.push(`line ${header.line}, column ${i + 1}: column '${n}' appears twice`);
    col.set(n, i);
  });
  if (!col.has('request_id')) problems.push(`line ${header.line}: no request_id column`);
  if (!col.has('label') && !col.has('value')) problems.push(`line ${header.line}: no label or value column`);
  if (!col.has('model') && opts.model === undefined) problems.push(`line ${header.line}: no model column; give --model`);
  if (problems.length > 0) throw new LabelCsvError(problems);
  const get = (fields: string[], name: string): string | undefined => {
    const i = col.get(name);
    return i === undefined ? undefined : (fields[i] ?? '').trim();
  };
  const labels: ImportedLabel[] = [];
  const seen = new Map<string, { line: number; answer: string }>();
  let unlabelled = 0;
  let repeated = 0;
  for (const r of records.slice(1)) {
    const at = (c: string): string => `line ${r.line}, column ${c}`;
    if (r.fields.length !== header.fields.length) {
      problems.push(`line ${r.line}: ${r.fields.length} fields, the header has ${header.fields.length}`);
      continue;
    }
    const requestId = get(r.fields, 'request_id') as string;
    const label = get(r.fields, 'label') ?? '';
    const value = get(r.fields, 'value') ?? '';
    const rowText = get(r.fields, 'row');
    const model = get(r.fields, 'model') || opts.model;
    const before = problems.length;
    if (requestId === '') problems.push(`${at('request_id')}: empty`);
    let row: number | undefined;
    if (rowText !== undefined && rowText !== '') {
      if (!/^\d+$/.test(rowText) || !Number.isSafeInteger(Number(rowText)) || Number(rowText) > 2 ** 31 - 1) problems.push(`${at('row')}: '${rowText}' is not a row index (a non-negative integer)`);
      else row = Number(rowText);
    }
    if (model === undefined || model === '') problems.push(`${at('model')}: empty, and no --model given`);
    else if (opts.model !== undefined && model !== opts.model) problems.push(`${at('model')}: '${model}' is not the --model given ('${opts.model}')`);
    if (label !== '' && value !== '') problems.push(`${at('value')}: give label or value, not both`);
    let numeric: number | undefined;
    if (value !== '') {
      numeric = Number(value);
      if (!Number.isFinite(numeric)) problems.push(`${at('value')}: '${value}' is not a finite number`);
    }
    if (problems.length > before) continue;
    if (label === '' && value === '') {
      unlabelled++;
      continue;
    }
    const key = `${model as string}\u0000${requestId}\u0000${row ?? ''}`;
    const answer = label !== '' ? `label:${label}` : `value:${numeric as number}`;
    const first = seen.get(key);
    if (first) {
      if (first.answer !== answer) problems.push(`${at(label !== '' ? 'label' : 'value')}: request '${requestId}'${row === undefined ? '' : ` row ${row}`} is labelled differently on line ${first.line}`);
      else repeated++;
      continue;
    }
    seen.set(key, { line: r.line, answer });
    const feedback: Feedback = {
      meta: { event_id: `csv-${requestId}-${row ?? ''}`, time_unix_ms: String(opts.nowMs ?? Date.now()), source: 'mlmesh feedback import' },
      request_id: requestId,
      model: model,
      ...(label !== '' ? { label } : { numeric: numeric }),
      ...(row !== undefined ? { row } : {}),
    };
    // One id per (request, row): a second import of the file within the stream's duplicate
    // window is stored once; after it, the monitor counts the label once per row anyway.
    labels.push({ line: r.line, msgId: row === undefined ? `feedback-${requestId}` : `feedback-${requestId}/${row}`, feedback });
  }
  if (problems.length > 0) throw new LabelCsvError(problems);
  return { labels, unlabelled, repeated };
}
