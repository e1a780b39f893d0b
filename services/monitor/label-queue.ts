/**
 * The labelling queue: when a window closes, a sample of its rows is set aside for people to
 * label ("every once in a while grab a sample of the new data and manually validate the model").
 * Labels come back as ordinary Feedback (by request id and row, `mlmesh feedback import`), so they
 * join like any other label and count once per row.
 *
 * Strategies (`labelQueueStrategy`, per model `label_queue_strategy`):
 *   stratified_uncertainty (default)  the ⌊n·share⌋ least-confident rows (uncertainty sampling),
 *                                     then the rest stratified by predicted class
 *   stratified                        stratified by predicted class only
 *   uncertainty                       the n least-confident rows
 *   random                            a simple random sample
 *
 * Stratified: proportional allocation by the largest-remainder rule, every predicted class in the
 * window getting at least one row when n allows (taken from the largest allocations), then a
 * seeded random sample without replacement inside each class. A regressor (one output column)
 * has no classes or confidence: its strata are the quintiles of the predicted value, and the
 * uncertainty part is empty. Everything is seeded by the report id, so a window re-closed after
 * a crash gets the same sample.
 *
 * Stored in `feedback.sqlite` (table `label_queue`), written before the window's report (so a
 * crash after the report finds it), and pruned, when the join drops old predictions, to rows
 * whose prediction the join still holds (a label for any other could not be joined).
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import type { Matrix } from './matrix.js';
import { seededRandom, seedOf } from './stats/index.js';

/** Sampling strategies of the labelling queue. */
export const LABEL_QUEUE_STRATEGIES = ['stratified_uncertainty', 'stratified', 'uncertainty', 'random'] as const;
/** A sampling strategy. */
export type LabelQueueStrategy = (typeof LABEL_QUEUE_STRATEGIES)[number];

/** Input values stored per queued row at most (wider rows are queued without their inputs). */
export const QUEUE_MAX_INPUT_COLUMNS = 1024;

/** One window row that can be queued (it has a request id to join its label back). */
export interface Candidate {
  /** Position in the window (0-based). */
  pos: number;
  requestId: string;
  /** Row within the prediction. */
  row: number;
  /** Predicted class (classifier) or null. */
  predicted: number | null;
  /** Largest probability (classifier) or null. */
  confidence: number | null;
  /** Predicted value (regressor) or null. */
  value: number | null;
}

/** A queued row, as chosen. */
export interface QueuePick extends Candidate {
  /** Rank in the sample (0-based: uncertainty picks first, by rank, then strata). */
  rank: number;
  /** Why it was chosen: `uncertain`, `class:<k>`, `value_q<1-5>` or `random`. */
  stratum: string;
  /** 1 = the least confident eligible row of the window (0: no confidence, e.g. a regressor). */
  uncertaintyRank: number;
}

/** How to sample. */
export interface QueueSettings {
  rows: number;
  strategy: LabelQueueStrategy;
  /** Share of the sample given to the least-confident rows in stratified_uncertainty. */
  uncertainShare: number;
  seed: string;
}

/** Shuffles a copy with a seeded Fisher–Yates (the first k are a uniform sample). */
function shuffled<T>(xs: readonly T[], rand: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

/**
 * Rows per stratum for a sample of n from strata of these sizes: proportional (largest
 * remainder, ties to the earlier stratum), then every non-empty stratum at least one when n
 * allows, taken from the largest allocations; never more than a stratum holds.
 */
export function allocate(sizes: readonly number[], n: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const k = Math.min(n, total);
  if (k === 0) return sizes.map(() => 0);
  const quota = sizes.map((s) => (s * k) / total);
  const out = quota.map(Math.floor);
  let left = k - out.reduce((a, b) => a + b, 0);
  const order = sizes.map((_, i) => i).sort((a, b) => (quota[b] as number) - (out[b] as number) - ((quota[a] as number) - (out[a] as number)) || a - b);
  for (const i of order) {
    if (left === 0) break;
    if ((out[i] as number) < (sizes[i] as number)) {
      out[i] = (out[i] as number) + 1;
      left--;
    }
  }
  const nonEmpty = sizes.filter((s) => s > 0).length;
  if (k >= nonEmpty) {
    for (let i = 0; i < sizes.length; i++) {
      if ((sizes[i] as number) === 0 || (out[i] as number) > 0) continue;
      // Take one from the stratum with the largest allocation above one.
      let donor = -1;
      for (let j = 0; j < sizes.length; j++) if ((out[j] as number) > 1 && (donor < 0 || (out[j] as number) > (out[donor] as number))) donor = j;
      if (donor < 0) break;
      out[donor] = (out[donor] as number) - 1;
      out[i] = 1;
    }
  }
  return out;
}

/** The stratum key of a candidate, with the value quintile edges of a regressor's window. */
function strataOf(cands: readonly Candidate[]): Map<string, Candidate[]> {
  const groups = new Map<string, Candidate[]>();
  const add = (k: string, c: Candidate): void => {
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(c);
  };
  const values = cands.filter((c) => c.predicted === null && c.value !== null).map((c) => c.value as number).sort((a, b) => a - b);
  const edges = [1, 2, 3, 4].map((q) => values[Math.floor((q * values.length) / 5)] ?? Infinity);
  for (const c of cands) {
    if (c.predicted !== null) add(`class:${c.predicted}`, c);
    else if (c.value !== null) add(`value_q${1 + edges.filter((e) => (c.value as number) >= e).length}`, c);
    else add('random', c);
  }
  return new Map([...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

/**
 * Chooses the rows of a window to label.
 * @param candidates the window's rows that carry a request id
 */
export function sampleForLabelling(candidates: readonly Candidate[], s: QueueSettings): QueuePick[] {
  const n = Math.min(s.rows, candidates.length);
  if (n === 0) return [];
  const rand = seededRandom(seedOf(`${s.seed}/label-queue`));
  // Uncertainty ranks over every candidate with a confidence: 1 = least confident (ties by position).
  const byConfidence = candidates.filter((c) => c.confidence !== null).sort((a, b) => (a.confidence as number) - (b.confidence as number) || a.pos - b.pos);
  const rankOf = new Map(byConfidence.map((c, i) => [c.pos, i + 1]));
  const picks: QueuePick[] = [];
  const take = (c: Candidate, stratum: string): void => void picks.push({ ...c, rank: picks.length, stratum, uncertaintyRank: rankOf.get(c.pos) ?? 0 });
  let uncertain = 0;
  if (s.strategy === 'uncertainty') uncertain = n;
  else if (s.strategy === 'stratified_uncertainty') uncertain = Math.floor(n * s.uncertainShare);
  uncertain = Math.min(uncertain, byConfidence.length);
  for (const c of byConfidence.slice(0, uncertain)) take(c, 'uncertain');
  const taken = new Set(picks.map((p) => p.pos));
  const rest = candidates.filter((c) => !taken.has(c.pos));
  const remaining = n - picks.length;
  if (remaining === 0) return picks;
  if (s.strategy === 'random' || s.strategy === 'uncertainty') {
    for (const c of shuffled(rest, rand).slice(0, remaining).sort((a, b) => a.pos - b.pos)) take(c, 'random');
    return picks;
  }
  const groups = [...strataOf(rest).entries()];
  const counts = allocate(groups.map(([, g]) => g.length), remaining);
  groups.forEach(([name, g], i) => {
    for (const c of shuffled(g, rand).slice(0, counts[i]).sort((a, b) => a.pos - b.pos)) take(c, name);
  });
  return picks;
}

/** A queued row as stored and exported. */
export interface QueueItem extends QueuePick {
  model: string;
  version: string;
  windowIndex: number;
  /** The row's input values (empty when wider than QUEUE_MAX_INPUT_COLUMNS or not logged). */
  inputs: number[];
  createdMs: number;
  /** Whether a label has been joined to the row since. */
  labelled: boolean;
}

interface QueueDbRow {
  model: string;
  version: string;
  window_index: number;
  rank: number;
  request_id: string;
  row: number;
  pos: number;
  stratum: string;
  predicted: number | null;
  confidence: number | null;
  value: number | null;
  uncertainty_rank: number;
  inputs: string;
  created_ms: number;
  labelled: number | null;
}

const QUEUE_SCHEMA = `
CREATE TABLE IF NOT EXISTS label_queue (
  model TEXT NOT NULL, version TEXT NOT NULL, window_index INTEGER NOT NULL, rank INTEGER NOT NULL,
  request_id TEXT NOT NULL, row INTEGER NOT NULL, pos INTEGER NOT NULL, stratum TEXT NOT NULL,
  predicted INTEGER, confidence REAL, value REAL, uncertainty_rank INTEGER NOT NULL,
  inputs TEXT NOT NULL, created_ms INTEGER NOT NULL,
  PRIMARY KEY (model, version, window_index, rank)
);`;

/** Which queued rows to list. */
export interface QueueQuery {
  model: string;
  /** Empty: every version. */
  version: string;
  /** Empty: every window. */
  windows: readonly number[];
  unlabelledOnly: boolean;
  limit: number;
}

/** The queue's table in the join's database. */
export class LabelQueueStore {
  private readonly candidatesStmt: Statement<[string, string, number], { request_id: string; row: number; pos: number }>;
  private readonly replaceTx: (model: string, version: string, windowIndex: number, items: readonly QueueItem[]) => void;
  private readonly prune: Statement<[]>;

  constructor(private readonly db: Db) {
    db.exec(QUEUE_SCHEMA);
    this.candidatesStmt = db.prepare('SELECT request_id, row, pos FROM predictions WHERE model = ? AND version = ? AND window_index = ? AND pos >= 0');
    const del = db.prepare<[string, string, number]>('DELETE FROM label_queue WHERE model = ? AND version = ? AND window_index = ?');
    const ins = db.prepare<[string, string, number, number, string, number, number, string, number | null, number | null, number | null, number, string, number]>(
      'INSERT INTO label_queue (model, version, window_index, rank, request_id, row, pos, stratum, predicted, confidence, value, uncertainty_rank, inputs, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.replaceTx = db.transaction((model: string, version: string, windowIndex: number, items: readonly QueueItem[]) => {
      del.run(model, version, windowIndex);
      for (const q of items) ins.run(model, version, windowIndex, q.rank, q.requestId, q.row, q.pos, q.stratum, q.predicted, q.confidence, q.value, q.uncertaintyRank, JSON.stringify(q.inputs), q.createdMs);
    });
    this.prune = db.prepare('DELETE FROM label_queue WHERE NOT EXISTS (SELECT 1 FROM predictions p WHERE p.request_id = label_queue.request_id AND p.model = label_queue.model AND p.row = label_queue.row)');
  }

  /** Request id and row of each stored row of a window, by window position. */
  storedPositions(model: string, version: string, windowIndex: number): Map<number, { requestId: string; row: number }> {
    return new Map(this.candidatesStmt.all(model, version, windowIndex).map((r) => [r.pos, { requestId: r.request_id, row: r.row }]));
  }

  /** Drops queued rows whose prediction the join no longer holds (called when the join prunes). */
  pruneUnjoinable(): void {
    this.prune.run();
  }

  /** Stores a window's sample (replacing one stored before: a close redone after a crash). */
  replace(model: string, version: string, windowIndex: number, items: readonly QueueItem[]): void {
    this.replaceTx(model, version, windowIndex, items);
  }

  /** Queued rows, oldest window first, by rank. */
  list(q: QueueQuery): QueueItem[] {
    const where = ['q.model = ?'];
    const args: Array<string | number> = [q.model];
    if (q.version !== '') {
      where.push('q.version = ?');
      args.push(q.version);
    }
    if (q.windows.length > 0) {
      where.push(`q.window_index IN (${q.windows.map(() => '?').join(', ')})`);
      args.push(...q.windows);
    }
    if (q.unlabelledOnly) where.push('coalesce(p.joined, 0) = 0');
    const sql = `SELECT q.*, p.joined AS labelled FROM label_queue q LEFT JOIN predictions p ON p.request_id = q.request_id AND p.model = q.model AND p.row = q.row
      WHERE ${where.join(' AND ')} ORDER BY CAST(q.version AS INTEGER), q.version, q.window_index, q.rank LIMIT ?`;
    args.push(q.limit);
    return (this.db.prepare(sql).all(...args) as QueueDbRow[]).map((r) => ({
      model: r.model, version: r.version, windowIndex: r.window_index, rank: r.rank, requestId: r.request_id, row: r.row, pos: r.pos, stratum: r.stratum,
      predicted: r.predicted, confidence: r.confidence, value: r.value, uncertaintyRank: r.uncertainty_rank, inputs: JSON.parse(r.inputs) as number[],
      createdMs: r.created_ms, labelled: r.labelled === 1,
    }));
  }
}

/**
 * The sample of a closing window, as stored: candidates are the window positions with a request
 * id (`positions`), their prediction, confidence and inputs read from the window's matrices.
 */
export function queueItems(a: {
  model: string;
  version: string;
  windowIndex: number;
  inputs: Matrix | undefined;
  outputs: Matrix | undefined;
  positions: ReadonlyMap<number, { requestId: string; row: number }>;
  settings: QueueSettings;
  nowMs: number;
}): QueueItem[] {
  const out = a.outputs;
  const cands: Candidate[] = [];
  for (const [pos, id] of a.positions) {
    let predicted: number | null = null;
    let confidence: number | null = null;
    let value: number | null = null;
    if (out && pos < out.rows) {
      if (out.cols === 1) value = out.data[pos] as number;
      else {
        let best = 0;
        let bv = -Infinity;
        for (let j = 0; j < out.cols; j++) {
          const v = out.data[pos * out.cols + j] as number;
          if (v > bv) [bv, best] = [v, j];
        }
        predicted = best;
        confidence = bv;
      }
    }
    cands.push({ pos, requestId: id.requestId, row: id.row, predicted, confidence, value });
  }
  cands.sort((x, y) => x.pos - y.pos);
  const inp = a.inputs;
  return sampleForLabelling(cands, a.settings).map((p) => ({
    ...p,
    model: a.model,
    version: a.version,
    windowIndex: a.windowIndex,
    inputs: inp && p.pos < inp.rows && inp.cols <= QUEUE_MAX_INPUT_COLUMNS ? Array.from(inp.data.subarray(p.pos * inp.cols, (p.pos + 1) * inp.cols)) : [],
    createdMs: a.nowMs,
    labelled: false,
  }));
}
