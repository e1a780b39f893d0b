/**
 * Size and write cost of the monitor's feedback join (not part of the tests):
 *
 *   npm run build && node dist/bench/monitor-join.js [--retention 100000] [--rows-per-request 1] [--runs 3]
 *
 * Fills a fresh `feedback.sqlite` with twice `retention` prediction rows (UUID request ids,
 * batches of 256 requests, as the predictions consumer writes them; the bound prunes the older
 * half) and reports the file size per kept row and the median time of one batch's transaction
 * (synchronous=FULL, so it includes the fsync). Writes bench/results/<date>-monitor-join.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../shared/config/index.js';
import { JoinStore } from '../services/monitor/join-store.js';
import type { PredictionRow } from '../services/monitor/join-store.js';
import { benchOptions } from '../tools/cli/bench-specs.js';

const values = benchOptions('monitor-join');
const retention = Number(values.retention);
const perRequest = Number(values['rows-per-request']);
const runs = Number(values.runs);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function once(): { bytesPerRow: number; fileBytes: number; keptRows: number; batchMs: number } {
  const dir = mkdtempSync(join(tmpdir(), 'mlmesh-join-bench-'));
  try {
    const store = new JoinStore(join(dir, 'feedback.sqlite'));
    const batches = Math.ceil((2 * retention) / (256 * perRequest));
    const times: number[] = [];
    let seq = 0;
    for (let b = 0; b < batches; b++) {
      const rows: PredictionRow[] = [];
      for (let i = 0; i < 256; i++) {
        seq += 1;
        const requestId = randomUUID();
        // As the engine stores them: window position, confidence and a segment (a region parameter).
        for (let r = 0; r < perRequest; r++) rows.push({ model: 'digits_mlp', requestId, row: r, rows: perRequest, version: '1', windowIndex: Math.floor(seq / 500), label: seq % 10, seq, pos: seq % 500, confidence: 0.5 + (seq % 50) / 100, value: null, segment: ['north', 'south', 'east'][seq % 3] });
      }
      const t0 = performance.now();
      store.remember(rows, retention);
      times.push(performance.now() - t0);
    }
    const keptRows = store.countRows();
    store.close();
    const fileBytes = statSync(join(dir, 'feedback.sqlite')).size;
    return { bytesPerRow: fileBytes / keptRows, fileBytes, keptRows, batchMs: median(times) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = Array.from({ length: runs }, once);
const summary = {
  retention,
  rowsPerRequest: perRequest,
  runs,
  keptRows: median(results.map((r) => r.keptRows)),
  fileBytes: median(results.map((r) => r.fileBytes)),
  bytesPerRow: Number(median(results.map((r) => r.bytesPerRow)).toFixed(1)),
  batchOf256RequestsMs: Number(median(results.map((r) => r.batchMs)).toFixed(2)),
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
const out = join(projectRoot(), 'bench', 'results');
await mkdir(out, { recursive: true });
await writeFile(join(out, `${new Date().toISOString().slice(0, 10)}-monitor-join.json`), JSON.stringify({ ...summary, results }, null, 2));
