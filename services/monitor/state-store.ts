/**
 * The monitor's durable state on disk (`stateDir`):
 *
 *   windows/<model>@<version>.win   one OpenWindow header per version (sequences, streak, CUSUM, online detector, row count), names percent-encoded
 *   windows/<model>@<version>.<i>.f32  the open window i's rows: append-only float32 segment (window.ts)
 *   applied.json                    last MLMESH_PREDICTIONS sequence whose batch is stored (resume point)
 *   models.json                     per model: time and id of the last RetrainRequest (cooldown)
 *   reports/<model>.ndjson          every closed window's DriftReport (JSON of the protobuf message)
 *   feedback.sqlite                 the feedback join and each window's labels (join-store.ts)
 *
 * Why disk and not a NATS KV bucket: a window holds up to windowRows × features floats
 * (500 × 64 × 4 = 128 KB for digits), growing with every batch; KV values are capped by the
 * server's max payload (1 MB by default) and each write would be a replicated stream message.
 * A local file written with write-temp + fsync + rename is atomic and cheap, and JetStream keeps
 * the consumer position. The price: one active monitor per state folder (with the lease,
 * leaseBucket, standbys share it and take over; see docs/monitor.md).
 */
import { mkdirSync } from 'node:fs';
import { appendFile, open, readFile, readdir, rm } from 'node:fs/promises';
import { writeAtomic } from './files.js';
import { join } from 'node:path';
import { JoinStore } from './join-store.js';
import type { Credit, PredictionRow } from './join-store.js';
import { OpenWindow, WINDOW_FORMAT, rowBytesOf } from './window.js';

/** A name as a file-name token: injective (percent-encoding), no path separators. */
export function fileToken(name: string): string {
  return encodeURIComponent(name).replace(/\*/g, '%2A');
}

/** Per-model durable state. */
export interface ModelState {
  lastRetrainMs: number;
  retrainRequests: number;
  /** Id of the last RetrainRequest published (a close redone after a crash publishes it again, without a cooldown check). */
  lastRequestId?: string;
}

/** File-backed state of the monitor. */
export class StateStore {
  readonly windowsDir: string;
  readonly reportsDir: string;
  /** The feedback join (read it directly; writes go through the methods below). */
  readonly join: JoinStore;

  /** Opens the state folder, creating it. @throws Error when the join's SQLite file cannot be opened. */
  constructor(readonly dir: string) {
    this.windowsDir = join(dir, 'windows');
    this.reportsDir = join(dir, 'reports');
    mkdirSync(this.windowsDir, { recursive: true });
    mkdirSync(this.reportsDir, { recursive: true });
    this.join = new JoinStore(join(dir, 'feedback.sqlite'));
  }

  /** Stores the rows of applied predictions for the feedback join (one transaction), keeping the newest `retentionRows`. */
  async rememberPredictions(rows: readonly PredictionRow[], retentionRows: number): Promise<void> {
    this.join.remember(rows, retentionRows);
  }

  /** Stores a feedback batch's labels (one transaction): rows marked labelled, windows credited. */
  async commitFeedback(credits: readonly Credit[], nowMs: number): Promise<void> {
    this.join.commit(credits, nowMs);
  }

  /** Closes the join's database. */
  close(): void {
    this.join.close();
  }

  /** One header file per version; names are percent-encoded so distinct models never share a file. */
  private windowPath(model: string, version: string): string {
    return join(this.windowsDir, `${fileToken(model)}@${fileToken(version)}.win`);
  }

  /** The segment of window `index` of a version. */
  private segmentPath(model: string, version: string, index: number): string {
    return join(this.windowsDir, `${fileToken(model)}@${fileToken(version)}.${index}.f32`);
  }

  /**
   * Every stored window: each header with its segment's committed rows. Segment bytes past the
   * header's row count (a crash after an append, before the header) are cut off; segments of
   * windows already closed (a crash before their removal) are removed.
   * @throws Error when a file is corrupt or a segment holds fewer rows than its header says (the
   *   monitor refuses to start on it).
   */
  async loadWindows(): Promise<OpenWindow[]> {
    const out: OpenWindow[] = [];
    const files = await readdir(this.windowsDir);
    const keep = new Set<string>();
    for (const f of files) {
      if (!f.endsWith('.win')) continue;
      const head = await readFile(join(this.windowsDir, f));
      const { header: h, format, inlineRows } = OpenWindow.readHeader(head, f);
      let w: OpenWindow;
      if (format === WINDOW_FORMAT && !inlineRows) {
        const seg = this.segmentPath(h.model, h.version, h.windowIndex);
        const committed = h.rows * rowBytesOf(h);
        let bytes = Buffer.alloc(0);
        if (h.rows > 0) {
          try {
            bytes = await readFile(seg);
          } catch (e: unknown) {
            throw new Error(`${f}: its segment ${seg} cannot be read (${e instanceof Error ? e.message : String(e)}) though the header says ${h.rows} rows`);
          }
        }
        w = OpenWindow.deserialize(head, f, bytes);
        if (bytes.length > committed) {
          const fh = await open(seg, 'r+');
          try {
            await fh.truncate(committed);
            await fh.sync();
          } finally {
            await fh.close();
          }
        }
        w.persistedIndex = h.windowIndex;
        w.persistedRows = h.rows;
        keep.add(`${f.slice(0, -4)}.${h.windowIndex}.f32`);
      } else {
        // v2 / v1 (or a v3 snapshot with its rows inline): the next save writes a segment.
        w = OpenWindow.deserialize(head, f);
      }
      out.push(w);
    }
    for (const f of files) if (f.endsWith('.f32') && !keep.has(f)) await rm(join(this.windowsDir, f), { force: true });
    return out;
  }

  /**
   * Saves one window: appends its rows not yet in its segment (fsynced), then rewrites its
   * header atomically (the commit point), then removes the segment of a window that closed since
   * the last save. Bytes written per batch are the batch's rows, not the whole window.
   */
  async saveWindow(w: OpenWindow): Promise<void> {
    const h = w.header;
    const seg = this.segmentPath(h.model, h.version, h.windowIndex);
    const sameWindow = w.persistedIndex === h.windowIndex;
    const stored = sameWindow ? Math.min(w.persistedRows, h.rows) : 0;
    if (h.rows > stored || (!sameWindow && h.rows > 0)) {
      const fh = await open(seg, stored > 0 ? 'r+' : 'w');
      try {
        // Cut whatever a failed earlier append left past the stored rows, then append.
        const at = stored * rowBytesOf(h);
        if (stored > 0) await fh.truncate(at);
        await fh.write(w.segmentBytes(stored), 0, undefined, at);
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    await writeAtomic(this.windowPath(h.model, h.version), w.headerLine());
    if (w.persistedIndex >= 0 && !sameWindow) await rm(this.segmentPath(h.model, h.version, w.persistedIndex), { force: true });
    w.persistedIndex = h.windowIndex;
    w.persistedRows = h.rows;
  }

  /** The last prediction sequence whose batch is stored (0 at first start). */
  async loadAppliedSeq(): Promise<number> {
    try {
      return (JSON.parse(await readFile(join(this.dir, 'applied.json'), 'utf8')) as { predictions: number }).predictions;
    } catch {
      // First start.
      return 0;
    }
  }

  async saveAppliedSeq(seq: number): Promise<void> {
    await writeAtomic(join(this.dir, 'applied.json'), Buffer.from(JSON.stringify({ predictions: seq })));
  }

  async loadModels(): Promise<Record<string, ModelState>> {
    try {
      return JSON.parse(await readFile(join(this.dir, 'models.json'), 'utf8')) as Record<string, ModelState>;
    } catch {
      // First start: no models.json yet.
      return {};
    }
  }

  async saveModels(models: Record<string, ModelState>): Promise<void> {
    await writeAtomic(join(this.dir, 'models.json'), Buffer.from(JSON.stringify(models)));
  }

  /** Appends one report (JSON line) to its model's log, with fsync. */
  async appendReport(model: string, json: object): Promise<void> {
    const path = join(this.reportsDir, `${fileToken(model)}.ndjson`);
    await appendFile(path, JSON.stringify(json) + '\n');
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /** Every stored report, per model file; a torn last line (crash mid-append) is skipped. */
  async loadReports(): Promise<object[]> {
    const out: object[] = [];
    for (const f of await readdir(this.reportsDir)) {
      if (!f.endsWith('.ndjson')) continue;
      const text = await readFile(join(this.reportsDir, f), 'utf8');
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        try {
          out.push(JSON.parse(line) as object);
        } catch {
          // Only the last line can be torn (appends are sequential): skip it.
        }
      }
    }
    return out;
  }
}
