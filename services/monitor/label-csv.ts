/**
 * The labelling queue as CSV (RFC 4180, shared/csv): one line per queued row, the `label` column
 * left empty for people to fill in; `mlmesh feedback import` sends the filled file back.
 *
 *   request_id,row,model,version,window_index,stratum,uncertainty_rank,prediction,confidence,label,<feature 0>,<feature 1>,…
 */
import { csvLine } from '../../shared/csv/index.js';
import type { QueueItem } from './label-queue.js';

/** The fixed columns, before one per input feature. */
export const QUEUE_CSV_COLUMNS = ['request_id', 'row', 'model', 'version', 'window_index', 'stratum', 'uncertainty_rank', 'prediction', 'confidence', 'label'] as const;

/** A queued row's prediction as written: the class index (as a label is compared) or the value. */
export function predictionText(q: Pick<QueueItem, 'predicted' | 'value'>): string {
  if (q.predicted !== null) return String(q.predicted);
  return q.value !== null ? String(q.value) : '';
}

/**
 * The CSV of queued rows. Feature columns are named by `featureNames` (f0, f1, … beyond them),
 * as many as the widest row has.
 */
export function queueCsv(items: readonly QueueItem[], featureNames: readonly string[] | undefined): string {
  const width = items.reduce((m, q) => Math.max(m, q.inputs.length), 0);
  const names = Array.from({ length: width }, (_, j) => featureNames?.[j] ?? `f${j}`);
  const lines = [csvLine([...QUEUE_CSV_COLUMNS, ...names])];
  for (const q of items) {
    lines.push(csvLine([q.requestId, q.row, q.model, q.version, q.windowIndex, q.stratum, q.uncertaintyRank, predictionText(q), q.confidence ?? '', '', ...q.inputs]));
  }
  return lines.join('');
}
