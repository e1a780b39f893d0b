/**
 * The durable feedback join (`<stateDir>/feedback.sqlite`, better-sqlite3, WAL, synchronous=FULL):
 *
 *   predictions   one row per prediction row: (model, request id, row) → the version and window
 *                 it went to, its predicted class, its stream sequence, whether it is labelled
 *   performance   per (model, version, window index): rows labelled, correct, labelled late
 *
 * Bound: the newest `retentionRows` prediction rows are kept (older predictions are dropped
 * whole, oldest first), so the file stays near retentionRows × ~110 bytes; performance holds
 * one small row per window. Every write is one transaction, so a crash leaves the join as it was
 * before the batch or after it. Calls are synchronous (microseconds each), like the features
 * service's SQLite store.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';

/** One row of a prediction, as remembered for the join. */
export interface PredictionRow {
  model: string;
  requestId: string;
  /** Row index within the prediction (0-based) and the prediction's row count. */
  row: number;
  rows: number;
  version: string;
  /** Index of the window this row was appended to. */
  windowIndex: number;
  /** Predicted class (argmax of the row's outputs). */
  label: number;
  /** MLMESH_PREDICTIONS sequence of the log. */
  seq: number;
}

/** A remembered row and whether it has received its label. */
export interface StoredPredictionRow extends PredictionRow {
  joined: boolean;
}

/** One label credited to the window of the prediction row it labels. */
export interface Credit {
  model: string;
  requestId: string;
  row: number;
  version: string;
  windowIndex: number;
  correct: boolean;
  /** The window's report was already published. */
  late: boolean;
}

/** Labels joined to one window. */
export interface WindowLabels {
  labelled: number;
  correct: number;
  late: number;
  updatedMs: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS predictions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  model TEXT NOT NULL, request_id TEXT NOT NULL, row INTEGER NOT NULL, rows INTEGER NOT NULL,
  version TEXT NOT NULL, window_index INTEGER NOT NULL, label INTEGER NOT NULL, seq INTEGER NOT NULL,
  joined INTEGER NOT NULL DEFAULT 0,
  UNIQUE (request_id, model, row)
);
CREATE TABLE IF NOT EXISTS performance (
  model TEXT NOT NULL, version TEXT NOT NULL, window_index INTEGER NOT NULL,
  labelled INTEGER NOT NULL, correct INTEGER NOT NULL, late INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
  PRIMARY KEY (model, version, window_index)
);`;

interface DbRow {
  model: string;
  request_id: string;
  row: number;
  rows: number;
  version: string;
  window_index: number;
  label: number;
  seq: number;
  joined: number;
}

/** The join's SQLite file. */
export class JoinStore {
  private readonly db: Db;
  private readonly dropOther: Statement<[string, string, number]>;
  private readonly upsert: Statement<[string, string, number, number, string, number, number, number]>;
  private readonly lookupStmt: Statement<[string, string], DbRow>;
  private readonly elsewhere: Statement<[string, string], { model: string }>;
  private readonly markJoined: Statement<[string, string, number]>;
  private readonly credit: Statement<[string, string, number, number, number, number]>;
  private readonly windowStmt: Statement<[string, string, number], { labelled: number; correct: number; late: number; updated_ms: number }>;
  private readonly versionStmt: Statement<[string, string], { labelled: number | null; correct: number | null }>;
  private readonly rememberTx: (rows: readonly PredictionRow[], retentionRows: number) => void;
  private readonly commitTx: (credits: readonly Credit[], nowMs: number) => void;

  /** Opens (creating if needed) the file. @throws the SQLite error when it cannot be opened. */
  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // The feedback consumer acks once a commit returns: it must survive a power cut, not only a crash.
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    // A new prediction with a request id seen before replaces the old one (every row of it); a
    // redelivered one (same sequence) keeps its rows and their joined flags.
    this.dropOther = this.db.prepare('DELETE FROM predictions WHERE request_id = ? AND model = ? AND seq <> ?');
    this.upsert = this.db.prepare(
      `INSERT INTO predictions (model, request_id, row, rows, version, window_index, label, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (request_id, model, row) DO UPDATE SET rows = excluded.rows, version = excluded.version, window_index = excluded.window_index, label = excluded.label`,
    );
    const beyondBound = this.db.prepare<[number], { model: string; request_id: string }>('SELECT model, request_id FROM predictions WHERE id <= ? ORDER BY id DESC LIMIT 1');
    const lastIdOf = this.db.prepare<[string, string], { id: number }>('SELECT max(id) AS id FROM predictions WHERE request_id = ? AND model = ?');
    const pruneDelete = this.db.prepare<[number]>('DELETE FROM predictions WHERE id <= ?');
    const maxId = this.db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM predictions');
    this.lookupStmt = this.db.prepare('SELECT * FROM predictions WHERE request_id = ? AND model = ? ORDER BY row');
    this.elsewhere = this.db.prepare('SELECT model FROM predictions WHERE request_id = ? AND model <> ? LIMIT 1');
    this.markJoined = this.db.prepare('UPDATE predictions SET joined = 1 WHERE request_id = ? AND model = ? AND row = ?');
    this.credit = this.db.prepare(
      `INSERT INTO performance (model, version, window_index, labelled, correct, late, updated_ms) VALUES (?, ?, ?, 1, ?, ?, ?)
       ON CONFLICT (model, version, window_index) DO UPDATE SET labelled = labelled + 1, correct = correct + excluded.correct,
         late = late + excluded.late, updated_ms = max(updated_ms, excluded.updated_ms)`,
    );
    this.windowStmt = this.db.prepare('SELECT labelled, correct, late, updated_ms FROM performance WHERE model = ? AND version = ? AND window_index = ?');
    this.versionStmt = this.db.prepare('SELECT sum(labelled) AS labelled, sum(correct) AS correct FROM performance WHERE model = ? AND version = ?');
    this.rememberTx = this.db.transaction((rows: readonly PredictionRow[], retentionRows: number) => {
      let last = '';
      for (const r of rows) {
        const k = `${r.model}\u0000${r.requestId}\u0000${r.seq}`;
        if (k !== last) this.dropOther.run(r.requestId, r.model, r.seq);
        last = k;
        this.upsert.run(r.model, r.requestId, r.row, r.rows, r.version, r.windowIndex, r.label, r.seq);
      }
      // Keep the newest retentionRows rows, dropping whole predictions: everything up to the last
      // row of the prediction just beyond the bound (rows are inserted in stream order, a
      // prediction's rows together).
      const top = maxId.get()?.id ?? 0;
      const beyond = beyondBound.get(top - retentionRows);
      if (beyond) pruneDelete.run(lastIdOf.get(beyond.request_id, beyond.model)?.id ?? top - retentionRows);
    });
    this.commitTx = this.db.transaction((credits: readonly Credit[], nowMs: number) => {
      for (const c of credits) {
        this.markJoined.run(c.requestId, c.model, c.row);
        this.credit.run(c.model, c.version, c.windowIndex, c.correct ? 1 : 0, c.late ? 1 : 0, nowMs);
      }
    });
  }

  /** Stores the rows of applied predictions (idempotent for a redelivered batch) and prunes to `retentionRows`. */
  remember(rows: readonly PredictionRow[], retentionRows: number): void {
    if (rows.length > 0) this.rememberTx(rows, retentionRows);
  }

  /** The remembered rows of a prediction, by row. */
  lookup(model: string, requestId: string): StoredPredictionRow[] {
    return this.lookupStmt.all(requestId, model).map((r) => ({
      model: r.model, requestId: r.request_id, row: r.row, rows: r.rows, version: r.version, windowIndex: r.window_index, label: r.label, seq: r.seq, joined: r.joined === 1,
    }));
  }

  /** Whether a prediction with this request id is remembered for another model. */
  knownForOtherModel(requestId: string, model: string): boolean {
    return this.elsewhere.get(requestId, model) !== undefined;
  }

  /** Marks the rows labelled and credits their windows, in one transaction. */
  commit(credits: readonly Credit[], nowMs: number): void {
    if (credits.length > 0) this.commitTx(credits, nowMs);
  }

  /** Labels joined to one window (zeros when none). */
  window(model: string, version: string, windowIndex: number): WindowLabels {
    const r = this.windowStmt.get(model, version, windowIndex);
    return r ? { labelled: r.labelled, correct: r.correct, late: r.late, updatedMs: r.updated_ms } : { labelled: 0, correct: 0, late: 0, updatedMs: 0 };
  }

  /** Labels joined to a version, all windows. */
  version(model: string, version: string): { labelled: number; correct: number } {
    const r = this.versionStmt.get(model, version);
    return { labelled: r?.labelled ?? 0, correct: r?.correct ?? 0 };
  }

  /** Remembered prediction rows (tests, bounds). */
  countRows(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM predictions').get() as { n: number }).n;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
