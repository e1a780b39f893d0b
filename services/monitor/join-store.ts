/**
 * The durable feedback join (`<stateDir>/feedback.sqlite`, better-sqlite3, WAL, synchronous=FULL):
 *
 *   predictions   one row per prediction row: (model, request id, row) → the version and window
 *                 it went to, its predicted class, its stream sequence, whether it is labelled
 *   performance   per (model, version, window index): rows labelled, correct, labelled late
 *
 * Bound: the newest `retentionRows` prediction rows are kept (older predictions are dropped
 * whole, oldest first), so the file stays near retentionRows × ~190 bytes (measured: docs/monitor.md); performance holds
 * one small row per window. Every write is one transaction, so a crash leaves the join as it was
 * before the batch or after it. Calls are synchronous (microseconds each), like the features
 * service's SQLite store.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { LabelQueueStore } from './label-queue.js';
import { QualityStore } from './quality.js';
import { SegmentStore } from './segments.js';

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
  /** Position of the row in its window (0-based; -1, the default, for rows stored before positions were kept). */
  pos?: number;
  /** Largest output probability of the row (null, the default, without class outputs). */
  confidence?: number | null;
  /** Predicted value of a one-column output (a regressor), else null (the default). */
  value?: number | null;
  /** The row's segment (monitoring `segment_parameter` / `segment_feature`), null (the default) when none. */
  segment?: string | null;
}

/** A remembered row and whether it has received its label. */
export interface StoredPredictionRow extends PredictionRow {
  joined: boolean;
  pos: number;
  confidence: number | null;
  value: number | null;
  segment: string | null;
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
  /** Numeric feedback on a regressor: |target − predicted value| (undefined for class labels). */
  absError?: number;
}

/** Labels joined to one window. */
export interface WindowLabels {
  labelled: number;
  correct: number;
  late: number;
  updatedMs: number;
  /** Numeric feedback (regressors): rows, Σ|error| and Σerror². */
  numeric: number;
  absErrorSum: number;
  sqErrorSum: number;
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

/**
 * Columns added after the first schema (issue 19): `ALTER TABLE … ADD COLUMN` on a file that
 * lacks them, so an existing feedback.sqlite keeps its rows.
 */
const ADDED_COLUMNS: ReadonlyArray<[table: string, column: string, decl: string]> = [
  ['predictions', 'pos', 'INTEGER NOT NULL DEFAULT -1'],
  ['predictions', 'confidence', 'REAL'],
  ['predictions', 'value', 'REAL'],
  ['predictions', 'segment', 'TEXT'],
  // Set when the row is labelled: 1/0 for a class label, and |error| for a numeric target.
  ['predictions', 'correct', 'INTEGER'],
  ['predictions', 'abs_err', 'REAL'],
  ['performance', 'numeric', 'INTEGER NOT NULL DEFAULT 0'],
  ['performance', 'abs_err_sum', 'REAL NOT NULL DEFAULT 0'],
  ['performance', 'sq_err_sum', 'REAL NOT NULL DEFAULT 0'],
];

function migrate(db: Db): void {
  for (const [table, column, decl] of ADDED_COLUMNS) {
    const cols = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>;
    if (!cols.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${decl}`);
  }
  db.exec('CREATE INDEX IF NOT EXISTS predictions_window ON predictions (model, version, window_index)');
}

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
  pos: number;
  confidence: number | null;
  value: number | null;
  segment: string | null;
}

/** The join's SQLite file. */
export class JoinStore {
  /** The database (the folder's other stores share it: label-queue.ts, quality.ts). */
  readonly db: Db;
  /** The labelling queue, quality and segment queries: tables of the same file. */
  readonly queue: LabelQueueStore;
  readonly quality: QualityStore;
  readonly segments: SegmentStore;
  private readonly dropOther: Statement<[string, string, number]>;
  private readonly upsert: Statement<[string, string, number, number, string, number, number, number, number, number | null, number | null, string | null]>;
  private readonly lookupStmt: Statement<[string, string], DbRow>;
  private readonly elsewhere: Statement<[string, string], { model: string }>;
  private readonly markJoined: Statement<[number | null, number | null, string, string, number]>;
  private readonly credit: Statement<[string, string, number, number, number, number, number, number, number, number]>;
  private readonly windowStmt: Statement<[string, string, number], { labelled: number; correct: number; late: number; updated_ms: number; numeric: number; abs_err_sum: number; sq_err_sum: number }>;
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
    migrate(this.db);
    this.queue = new LabelQueueStore(this.db);
    this.quality = new QualityStore(this.db);
    this.segments = new SegmentStore(this.db);
    // A new prediction with a request id seen before replaces the old one (every row of it); a
    // redelivered one (same sequence) keeps its rows and their joined flags.
    this.dropOther = this.db.prepare('DELETE FROM predictions WHERE request_id = ? AND model = ? AND seq <> ?');
    this.upsert = this.db.prepare(
      `INSERT INTO predictions (model, request_id, row, rows, version, window_index, label, seq, pos, confidence, value, segment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (request_id, model, row) DO UPDATE SET rows = excluded.rows, version = excluded.version, window_index = excluded.window_index, label = excluded.label,
         pos = excluded.pos, confidence = excluded.confidence, value = excluded.value, segment = excluded.segment`,
    );
    const beyondBound = this.db.prepare<[number], { model: string; request_id: string }>('SELECT model, request_id FROM predictions WHERE id <= ? ORDER BY id DESC LIMIT 1');
    const lastIdOf = this.db.prepare<[string, string], { id: number }>('SELECT max(id) AS id FROM predictions WHERE request_id = ? AND model = ?');
    const pruneDelete = this.db.prepare<[number]>('DELETE FROM predictions WHERE id <= ?');
    const maxId = this.db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM predictions');
    this.lookupStmt = this.db.prepare('SELECT * FROM predictions WHERE request_id = ? AND model = ? ORDER BY row');
    this.elsewhere = this.db.prepare('SELECT model FROM predictions WHERE request_id = ? AND model <> ? LIMIT 1');
    this.markJoined = this.db.prepare('UPDATE predictions SET joined = 1, correct = ?, abs_err = ? WHERE request_id = ? AND model = ? AND row = ?');
    this.credit = this.db.prepare(
      `INSERT INTO performance (model, version, window_index, labelled, correct, late, updated_ms, numeric, abs_err_sum, sq_err_sum) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (model, version, window_index) DO UPDATE SET labelled = labelled + excluded.labelled, correct = correct + excluded.correct,
         late = late + excluded.late, updated_ms = max(updated_ms, excluded.updated_ms), numeric = numeric + excluded.numeric,
         abs_err_sum = abs_err_sum + excluded.abs_err_sum, sq_err_sum = sq_err_sum + excluded.sq_err_sum`,
    );
    this.windowStmt = this.db.prepare('SELECT labelled, correct, late, updated_ms, numeric, abs_err_sum, sq_err_sum FROM performance WHERE model = ? AND version = ? AND window_index = ?');
    this.versionStmt = this.db.prepare('SELECT sum(labelled) AS labelled, sum(correct) AS correct FROM performance WHERE model = ? AND version = ?');
    this.rememberTx = this.db.transaction((rows: readonly PredictionRow[], retentionRows: number) => {
      let last = '';
      for (const r of rows) {
        const k = `${r.model}\u0000${r.requestId}\u0000${r.seq}`;
        if (k !== last) this.dropOther.run(r.requestId, r.model, r.seq);
        last = k;
        this.upsert.run(r.model, r.requestId, r.row, r.rows, r.version, r.windowIndex, r.label, r.seq, r.pos ?? -1, r.confidence ?? null, r.value ?? null, r.segment ?? null);
      }
      // Keep the newest retentionRows rows, dropping whole predictions: everything up to the last
      // row of the prediction just beyond the bound (rows are inserted in stream order, a
      // prediction's rows together).
      const top = maxId.get()?.id ?? 0;
      const beyond = beyondBound.get(top - retentionRows);
      if (beyond) {
        pruneDelete.run(lastIdOf.get(beyond.request_id, beyond.model)?.id ?? top - retentionRows);
        this.queue.pruneUnjoinable();
      }
    });
    this.commitTx = this.db.transaction((credits: readonly Credit[], nowMs: number) => {
      for (const c of credits) {
        const numeric = c.absError !== undefined;
        // A class label counts in labelled/correct; a numeric target in numeric and the error sums.
        this.markJoined.run(numeric ? null : c.correct ? 1 : 0, numeric ? (c.absError as number) : null, c.requestId, c.model, c.row);
        const e = c.absError ?? 0;
        this.credit.run(c.model, c.version, c.windowIndex, numeric ? 0 : 1, !numeric && c.correct ? 1 : 0, c.late ? 1 : 0, nowMs, numeric ? 1 : 0, e, e * e);
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
      pos: r.pos, confidence: r.confidence, value: r.value, segment: r.segment,
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
    return r
      ? { labelled: r.labelled, correct: r.correct, late: r.late, updatedMs: r.updated_ms, numeric: r.numeric, absErrorSum: r.abs_err_sum, sqErrorSum: r.sq_err_sum }
      : { labelled: 0, correct: 0, late: 0, updatedMs: 0, numeric: 0, absErrorSum: 0, sqErrorSum: 0 };
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
