import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import type { CatalogEntry, CatalogKind, FeatureStore, ReadQuery, ReplaceRange, StartValues, StoredValue, WriteOptions, WriteRow } from './store.js';
import { distinctKeys } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS feature_values (
  feature  TEXT    NOT NULL,
  version  INTEGER NOT NULL,
  entity   TEXT    NOT NULL,
  event_ms INTEGER NOT NULL,
  value    TEXT,
  PRIMARY KEY (feature, version, entity, event_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS catalog (
  kind          TEXT    NOT NULL,
  key           TEXT    NOT NULL,
  hash          TEXT    NOT NULL,
  json          TEXT    NOT NULL,
  registered_ms INTEGER NOT NULL,
  PRIMARY KEY (kind, key)
) WITHOUT ROWID;
`;

interface Row {
  event_ms: number;
  value: string | null;
}

interface CatalogRow {
  key: string;
  hash: string;
  json: string;
  registered_ms: number;
}

/**
 * The embedded backend: one SQLite file (better-sqlite3, WAL). The primary key
 * (feature, version, entity, event_ms) is the index that answers "latest value <= as_of" with
 * one descending seek. Calls are synchronous under the Promise API: a read of 2,000 keys takes
 * the event loop for a few ms.
 */
export class SqliteStore implements FeatureStore {
  readonly backend = 'sqlite' as const;
  private readonly db: Db;
  private readonly readStmt: Statement<[string, number, string, number], Row>;
  private readonly upsertStmt: Statement<[string, number, string, number, string | null]>;
  private readonly pruneStmt: Statement<[{ feature: string; version: number; entity: string; cutoff: number }]>;
  private readonly deleteRangeStmt: Statement<[string, number, number, number]>;
  private readonly deleteKeyRangeStmt: Statement<[string, number, string, number, number]>;
  private readonly entitiesStmt: Statement<[string, number], string>;
  private readonly writeTx: (rows: readonly WriteRow[], opts: WriteOptions) => void;
  private closed = false;

  /**
   * Opens (creating if needed) the database at `path` (`:memory:` for a private one).
   * @throws the SQLite error when the file cannot be opened.
   */
  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.readStmt = this.db.prepare(
      'SELECT event_ms, value FROM feature_values WHERE feature = ? AND version = ? AND entity = ? AND event_ms <= ? ORDER BY event_ms DESC LIMIT 1',
    );
    this.upsertStmt = this.db.prepare('INSERT OR REPLACE INTO feature_values (feature, version, entity, event_ms, value) VALUES (?, ?, ?, ?, ?)');
    // Keeps the newest value at or before the cutoff (it answers reads as of the cutoff) and drops older ones.
    this.pruneStmt = this.db.prepare(
      `DELETE FROM feature_values WHERE feature = @feature AND version = @version AND entity = @entity AND event_ms < (
         SELECT max(event_ms) FROM feature_values WHERE feature = @feature AND version = @version AND entity = @entity AND event_ms <= @cutoff)`,
    );
    // Scans the feature version's rows (the key's prefix), not the whole table.
    this.deleteRangeStmt = this.db.prepare('DELETE FROM feature_values WHERE feature = ? AND version = ? AND event_ms >= ? AND event_ms < ?');
    this.deleteKeyRangeStmt = this.db.prepare('DELETE FROM feature_values WHERE feature = ? AND version = ? AND entity = ? AND event_ms >= ? AND event_ms < ?');
    this.entitiesStmt = this.db.prepare<[string, number], string>('SELECT DISTINCT entity FROM feature_values WHERE feature = ? AND version = ?').pluck();
    this.writeTx = this.db.transaction((rows: readonly WriteRow[], opts: WriteOptions) => {
      const r0 = opts.replace;
      if (r0) {
        this.deleteRangeStmt.run(r0.feature, r0.version, r0.fromMs, r0.toMs);
        if (r0.atStart) this.settleStart(r0, r0.atStart);
      }
      for (const r of rows) this.upsertStmt.run(r.feature, r.version, r.entity, r.eventMs, r.json);
      const cutoff = opts.pruneBeforeMs;
      if (cutoff === undefined) return;
      for (const k of distinctKeys(rows)) this.pruneStmt.run({ feature: k.feature, version: k.version, entity: k.entity, cutoff });
    });
  }

  /** Applies {@link StartValues} (inside the write transaction, after the range was cleared). */
  private settleStart(r: ReplaceRange, s: StartValues): void {
    const { feature, version, fromMs } = r;
    // Event times are integers: (t, fromMs) is [t + 1, fromMs). No stored time is below this bound.
    const clearFrom = Number.isFinite(s.clearFromMs) ? s.clearFromMs : Number.MIN_SAFE_INTEGER;
    for (const [entity, t] of s.carried) this.deleteKeyRangeStmt.run(feature, version, entity, t + 1, fromMs);
    // .all(): better-sqlite3 allows no other statement while an iterator is open.
    for (const entity of this.entitiesStmt.all(feature, version)) {
      if (s.carried.has(entity)) continue;
      this.deleteKeyRangeStmt.run(feature, version, entity, clearFrom, fromMs);
      if (!s.empty) continue;
      const last = this.readStmt.get(feature, version, entity, fromMs - 1);
      if (last && last.value !== s.empty.json) this.upsertStmt.run(feature, version, entity, clearFrom, s.empty.json);
    }
  }

  async read(queries: readonly ReadQuery[]): Promise<(StoredValue | undefined)[]> {
    const out = new Array<StoredValue | undefined>(queries.length);
    for (let i = 0; i < queries.length; i++) {
      const q = queries[i] as ReadQuery;
      const row = this.readStmt.get(q.feature, q.version, q.entity, q.asOfMs);
      out[i] = row ? { eventMs: row.event_ms, json: row.value } : undefined;
    }
    return out;
  }

  async write(rows: readonly WriteRow[], opts: WriteOptions = {}): Promise<void> {
    this.writeTx(rows, opts);
  }

  async putCatalog(kind: CatalogKind, e: CatalogEntry): Promise<{ stored: CatalogEntry; created: boolean }> {
    const { changes } = this.db.prepare('INSERT OR IGNORE INTO catalog (kind, key, hash, json, registered_ms) VALUES (?, ?, ?, ?, ?)').run(kind, e.key, e.hash, e.json, e.registeredAtMs);
    return { stored: (await this.getCatalog(kind, e.key)) as CatalogEntry, created: changes === 1 };
  }

  async getCatalog(kind: CatalogKind, key: string): Promise<CatalogEntry | undefined> {
    const row = this.db.prepare<[string, string], CatalogRow>('SELECT key, hash, json, registered_ms FROM catalog WHERE kind = ? AND key = ?').get(kind, key);
    return row ? { key: row.key, hash: row.hash, json: row.json, registeredAtMs: row.registered_ms } : undefined;
  }

  async listCatalog(kind: CatalogKind): Promise<CatalogEntry[]> {
    const rows = this.db.prepare<[string], CatalogRow>('SELECT key, hash, json, registered_ms FROM catalog WHERE kind = ?').all(kind);
    return rows.map((row) => ({ key: row.key, hash: row.hash, json: row.json, registeredAtMs: row.registered_ms }));
  }

  async ping(): Promise<void> {
    // An embedded file has no connection to lose: this only fails once closed.
    this.db.prepare('SELECT 1').get();
  }

  /** Number of stored values (all features, all history), for tests and metrics. */
  countValues(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM feature_values').get() as { n: number }).n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
