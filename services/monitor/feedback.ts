/**
 * Joins a batch of Feedback messages to the predictions they label: each label is credited to
 * the window (and version) its prediction row went to — the open window, or one already
 * reported (a late label) — never to whatever window is open when the label arrives.
 *
 * A Feedback names a request id and gives `label` (a single-row prediction, or row `row` of a
 * multi-row one) or `labels` (one per row of the prediction). A row's label counts once:
 * repeated feedback (a redelivery, a second send) is ignored.
 */
import { decodeFeedback } from '../../shared/events/index.js';
import type { Feedback__Output } from '../../shared/events/index.js';
import type { Credit, JoinStore, StoredPredictionRow } from './join-store.js';

/** How a Feedback message (or, for correct/wrong/duplicate, one labelled row) was handled. */
export type FeedbackOutcome = 'correct' | 'wrong' | 'numeric' | 'duplicate' | 'unjoined' | 'not_a_label' | 'wrong_model' | 'rows_mismatch' | 'undecodable';

/** What the matcher needs from the engine. */
export interface FeedbackContext {
  join: JoinStore;
  /** Whether the window's report is stored (published or about to be): its labels are late. */
  reported(model: string, version: string, windowIndex: number): boolean;
  /**
   * Stream time (ms) up to which prediction logs are known to be applied: feedback whose
   * prediction is not found is retried until this is `waitMs` past the feedback's own time.
   */
  predictionsAppliedThroughMs: number;
  waitMs: number;
}

/** One message of the batch. */
export interface FeedbackMessage {
  seq: number;
  data: Uint8Array;
  /** Stream time of the message, ms. */
  timeMs: number;
}

/**
 * The labels to credit, the sequences to retry later (their prediction may not be applied yet),
 * and the outcomes to count once the credits are stored.
 */
export interface FeedbackMatch {
  credits: Credit[];
  retry: number[];
  outcomes: Map<FeedbackOutcome, number>;
}

/**
 * The (row, label) pairs a Feedback gives, or why it gives none for this prediction. A numeric
 * target gives its value as a number (for a regressor: a prediction with a one-column output).
 */
function labelsFor(fb: Feedback__Output, rows: number): Array<[number, string | number]> | 'not_a_label' | 'rows_mismatch' {
  if (fb.value === 'numeric' && fb.labels.length === 0) {
    if (typeof fb.numeric !== 'number' || !Number.isFinite(fb.numeric)) return 'not_a_label';
    if (fb.row === undefined) return rows === 1 ? [[0, fb.numeric]] : 'rows_mismatch';
    return fb.row >= 0 && fb.row < rows ? [[fb.row, fb.numeric]] : 'rows_mismatch';
  }
  if (fb.labels.length > 0) {
    if (fb.value !== undefined || fb.row !== undefined) return 'not_a_label';
    if (fb.labels.length !== rows) return 'rows_mismatch';
    return fb.labels.map((l, i) => [i, l]);
  }
  if (fb.value !== 'label' || typeof fb.label !== 'string') return 'not_a_label';
  if (fb.row === undefined) return rows === 1 ? [[0, fb.label]] : 'rows_mismatch';
  return fb.row >= 0 && fb.row < rows ? [[fb.row, fb.label]] : 'rows_mismatch';
}

/** Matches a batch (nothing is written: the caller commits the credits, then acks). */
export function matchFeedback(batch: readonly FeedbackMessage[], ctx: FeedbackContext): FeedbackMatch {
  const credits: Credit[] = [];
  const retry: number[] = [];
  const outcomes = new Map<FeedbackOutcome, number>();
  const count = (o: FeedbackOutcome): void => void outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
  // Rows labelled earlier in this batch (not committed yet) count as joined.
  const taken = new Set<string>();
  for (const msg of batch) {
    let fb: Feedback__Output;
    try {
      fb = decodeFeedback(msg.data);
    } catch {
      count('undecodable');
      continue;
    }
    const rows: StoredPredictionRow[] = fb.request_id === '' ? [] : ctx.join.lookup(fb.model, fb.request_id);
    if (rows.length === 0) {
      if (fb.request_id !== '' && ctx.predictionsAppliedThroughMs - msg.timeMs < ctx.waitMs) retry.push(msg.seq);
      else if (fb.request_id !== '' && ctx.join.knownForOtherModel(fb.request_id, fb.model)) count('wrong_model');
      else count('unjoined');
      continue;
    }
    // Pruning drops whole predictions, so every row of a found prediction is there.
    const n = rows[0]?.rows ?? rows.length;
    const labels = labelsFor(fb, n);
    if (typeof labels === 'string') {
      count(labels);
      continue;
    }
    for (const [i, label] of labels) {
      const p = rows[i];
      const key = `${fb.model}\u0000${fb.request_id}\u0000${i}`;
      if (!p || p.row !== i) {
        count('rows_mismatch');
        continue;
      }
      if (p.joined || taken.has(key)) {
        count('duplicate');
        continue;
      }
      if (typeof label === 'number' && p.value === null) {
        // A numeric target for a classifier (or a row stored without its value): nothing to compare.
        count('not_a_label');
        continue;
      }
      taken.add(key);
      const late = ctx.reported(p.model, p.version, p.windowIndex);
      if (typeof label === 'number') {
        count('numeric');
        credits.push({ model: p.model, requestId: p.requestId, row: i, version: p.version, windowIndex: p.windowIndex, correct: false, late, absError: Math.abs(label - (p.value as number)) });
        continue;
      }
      const correct = String(p.label) === label;
      count(correct ? 'correct' : 'wrong');
      credits.push({ model: p.model, requestId: p.requestId, row: i, version: p.version, windowIndex: p.windowIndex, correct, late });
    }
  }
  return { credits, retry, outcomes };
}
