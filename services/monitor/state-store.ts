/**
 * The monitor's durable state on disk (`stateDir`):
 *
 *   windows/<model>@<version>.win   one OpenWindow per version (rows + sequences + streak), names percent-encoded
 *   applied.json                    last MLMESH_PREDICTIONS sequence whose batch is stored (resume point)
 *   models.json                     per model: time and id of the last RetrainRequest (cooldown)
 *   reports/<model>.ndjson          every closed window's DriftReport (JSON of the protobuf message)
 *   feedback.sqlite                 the feedback join and each window's labels (join-store.ts)
 *
 * Why disk and not a NATS KV bucket: a window holds up to windowRows × features doubles
 * (500 × 64 × 8 = 256 KB for digits), rewritten after every batch; KV values are capped by the
 * server's max payload (1 MB by default) and each write would be a replicated stream message.
 * A local file written with write-temp + fsync + rename is atomic and cheap, and JetStream keeps
 * the consumer position. The price: one monitor per state folder (it is not shared by replicas).
 */
import { mkdirSync } from 'node:fs';
import { appendFile, open, readFile, readdir } from 'node:fs/promises';
import { writeAtomic } from './files.js';
import { join } from 'node:path';
import { JoinStore } from './join-store.js';
import type { Credit, PredictionRow } from './join-store.js';
import { OpenWindow } from './window.js';

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

  /** One file per version; names are percent-encoded so distinct models never share a file. */
  private windowPath(model: string, version: string): string {
    return join(this.windowsDir, `${fileToken(model)}@${fileToken(version)}.win`);
  }

  /** Every stored window. @throws Error when a file is corrupt (the monitor refuses to start on it). */
  async loadWindows(): Promise<OpenWindow[]> {
    const out: OpenWindow[] = [];
    for (const f of await readdir(this.windowsDir)) {
      if (!f.endsWith('.win')) continue;
      out.push(OpenWindow.deserialize(await readFile(join(this.windowsDir, f)), f));
    }
    return out;
  }

  /** Saves one window atomically. */
  async saveWindow(w: OpenWindow): Promise<void> {
    await writeAtomic(this.windowPath(w.header.model, w.header.version), w.serialize());
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
