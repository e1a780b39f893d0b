/**
 * Joins Feedback to logged predictions by request id, with the monitor's reading of a Feedback
 * (services/monitor/feedback.ts): `label` labels a one-row prediction, `label` + `row` one row
 * of a multi-row one, `labels` every row in order; `numeric` is a regressor's target. Two
 * differences, both because a dataset wants the truth as finally known rather than a first
 * credit: a later Feedback for the same (request id, row) replaces an earlier one (last wins,
 * in stream order), and a label is mapped to a class index here (so a label outside `classes`
 * makes its whole message unmatched).
 */
import type { Feedback__Output } from '../../shared/events/index.js';

/** How labels become targets. */
export interface LabelMapping {
  task: 'classification' | 'regression';
  /**
   * Class labels in index order; null: labels must be the integers 0, 1, … as strings and are
   * their own index (classes are then derived from what is seen).
   */
  classes: string[] | null;
}

/** A decimal integer label as the integers-as-classes mapping accepts it. */
const INTEGER_LABEL = /^(0|[1-9][0-9]{0,8})$/;

/** The target of one label under `mapping`, or undefined when it is not one. */
export function targetOf(label: string | number, mapping: LabelMapping): number | undefined {
  if (mapping.task === 'regression') return typeof label === 'number' && Number.isFinite(label) ? label : undefined;
  if (typeof label !== 'string') return undefined;
  if (mapping.classes !== null) {
    const i = mapping.classes.indexOf(label);
    return i >= 0 ? i : undefined;
  }
  return INTEGER_LABEL.test(label) ? Number(label) : undefined;
}

/**
 * The (row, target) pairs a Feedback gives for a prediction of `rows` rows, or undefined when it
 * gives none (wrong kind for the task, rows that do not fit, a label that is not a class).
 */
export function feedbackTargets(fb: Feedback__Output, rows: number, mapping: LabelMapping): Array<[row: number, target: number]> | undefined {
  let pairs: Array<[number, string | number]>;
  if (fb.value === 'numeric' && fb.labels.length === 0) {
    if (typeof fb.numeric !== 'number') return undefined;
    pairs = [[fb.row ?? (rows === 1 ? 0 : -1), fb.numeric]];
  } else if (fb.labels.length > 0) {
    if (fb.value !== undefined || fb.row !== undefined || fb.labels.length !== rows) return undefined;
    pairs = fb.labels.map((l, i) => [i, l]);
  } else if (fb.value === 'label' && typeof fb.label === 'string') {
    pairs = [[fb.row ?? (rows === 1 ? 0 : -1), fb.label]];
  } else return undefined;
  const out: Array<[number, number]> = [];
  for (const [row, label] of pairs) {
    if (!(row >= 0 && row < rows)) return undefined;
    const t = targetOf(label, mapping);
    if (t === undefined) return undefined;
    out.push([row, t]);
  }
  return out;
}

/** Feedback messages of one model, grouped by request id in stream order. */
export class FeedbackIndex {
  /** Messages read for the model (decodable, naming it). */
  messages = 0;
  /** Messages that label nothing whatever the predictions: undecodable, or with no request id. */
  unusable = 0;
  /** Messages on the subject naming another model (subject tokens collide): not counted. */
  otherModel = 0;
  private readonly byRequest = new Map<string, Feedback__Output[]>();

  /** Adds one decoded message (in stream order). */
  add(fb: Feedback__Output, model: string): void {
    if (fb.model !== model) {
      this.otherModel++;
      return;
    }
    this.messages++;
    if (fb.request_id === '') {
      this.unusable++;
      return;
    }
    const list = this.byRequest.get(fb.request_id);
    if (list) list.push(fb);
    else this.byRequest.set(fb.request_id, [fb]);
  }

  /** Counts one message that could not be decoded (it is on the model's subject). */
  addUndecodable(): void {
    this.messages++;
    this.unusable++;
  }

  /** Whether some message names this request id. */
  has(requestId: string): boolean {
    return this.byRequest.has(requestId);
  }

  /**
   * Joins to the predictions: `rowsOf(requestId)` is the row count of the newest logged
   * prediction with that id (undefined when none was read). Returns the targets per request id
   * (row → target, last message wins) and the messages that matched no row.
   */
  join(rowsOf: (requestId: string) => number | undefined, mapping: LabelMapping): { targets: Map<string, Map<number, number>>; unmatched: number } {
    const targets = new Map<string, Map<number, number>>();
    let unmatched = this.unusable;
    for (const [id, list] of this.byRequest) {
      const rows = rowsOf(id);
      if (rows === undefined) {
        unmatched += list.length;
        continue;
      }
      for (const fb of list) {
        const pairs = feedbackTargets(fb, rows, mapping);
        if (!pairs) {
          unmatched++;
          continue;
        }
        let m = targets.get(id);
        if (!m) targets.set(id, (m = new Map<number, number>()));
        for (const [row, t] of pairs) m.set(row, t);
      }
    }
    return { targets, unmatched };
  }
}
