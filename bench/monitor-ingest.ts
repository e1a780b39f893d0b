/**
 * How many prediction logs one (active) monitor applies per second (not part of the tests):
 *
 *   npm run build && node dist/bench/monitor-ingest.js [--logs 20000] [--runs 3] [--window-rows 500]
 *
 * The monitor's engine in-process on a fresh state folder (real StateStore: window segments,
 * headers, applied.json and the feedback join, fsynced as in the service) and a private copy of
 * digits_mlp (its held-out reference), fed `logs` single-row digits prediction logs in batches of
 * 256 (the consumer's batch), with no NATS (reports are handed to a no-op publisher):
 *
 * - `apply_logs_s`: windows never close (window_rows above `logs`): decode, append rows, store the
 *   join rows, write the window files and applied.json per batch;
 * - `with_tests_logs_s`: windows of `window-rows` rows close as they fill and run every default
 *   detector in one detector worker (the default `detectorWorkers: 1`), as the service does.
 *
 * Prints medians and writes bench/results/<date>-monitor-ingest.json. This bounds a single
 * monitor's rate: the monitor is one active replica (docs/kubernetes.md, Scaling).
 */
import { randomUUID } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../shared/config/index.js';
import { encodePredictionLog } from '../shared/events/index.js';
import { createLogger } from '../shared/logging/index.js';
import { createRegistry } from '../shared/metrics/index.js';
import { DetectorPool } from '../services/monitor/detector-pool.js';
import { resolveMonitorConfig } from '../services/monitor/config.js';
import { MonitorEngine } from '../services/monitor/engine.js';
import type { StreamMessage } from '../services/monitor/engine.js';
import { MonitorMetrics } from '../services/monitor/metrics.js';
import { StateStore } from '../services/monitor/state-store.js';
import { seededRandom } from '../services/monitor/stats/index.js';
import { benchOptions } from '../tools/cli/bench-specs.js';
import { median } from './common.js';

const values = benchOptions('monitor-ingest');
const logs = Number(values.logs);
const runs = Number(values.runs);
const windowRows = Number(values['window-rows']);
const BATCH = 256;

/** Single-row digits_mlp prediction logs: pixel values 0–16, a softmax-like output. */
function makeLogs(n: number): StreamMessage[] {
  const rand = seededRandom(7);
  const base = Date.now();
  return Array.from({ length: n }, (_, i) => {
    const x = Float32Array.from({ length: 64 }, () => Math.floor(rand() * 17));
    const p = Float32Array.from({ length: 10 }, (_, k) => (k === i % 10 ? 0.91 : 0.01));
    const id = randomUUID();
    return {
      seq: i + 1,
      timeMs: base + i,
      data: encodePredictionLog({
        meta: { event_id: id, time_unix_ms: String(base + i) },
        request_id: id,
        model: 'digits_mlp',
        version: '1',
        inputs: [{ name: 'input', datatype: 'FP32', shape: ['1', '64'], raw: Buffer.from(x.buffer) }],
        outputs: [{ name: 'probabilities', datatype: 'FP32', shape: ['1', '10'], raw: Buffer.from(p.buffer) }],
      }),
    };
  });
}

async function once(msgs: readonly StreamMessage[], rowsPerWindow: number): Promise<{ logsPerS: number; reports: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-ingest-bench-'));
  const pool = new DetectorPool(1);
  try {
    const repo = join(dir, 'models');
    await cp(join(projectRoot(), 'examples/models/digits_mlp'), join(repo, 'digits_mlp'), { recursive: true });
    const cfgFile = join(repo, 'digits_mlp', 'config.json');
    const cfg = JSON.parse(await readFile(cfgFile, 'utf8')) as { monitoring?: Record<string, unknown> };
    cfg.monitoring = { ...cfg.monitoring, window_rows: rowsPerWindow, window_seconds: 0 };
    await writeFile(cfgFile, JSON.stringify(cfg));
    const config = { ...resolveMonitorConfig({ env: {} }), modelRepository: repo, stateDir: join(dir, 'state') };
    let reports = 0;
    const engine = new MonitorEngine(
      config,
      new StateStore(config.stateDir),
      async (subject) => {
        if (subject.includes('.drift.')) reports++;
      },
      (r, w, s) => pool.run(r, w, s),
      createLogger({ service: 'bench', level: 'silent' }),
      new MonitorMetrics(createRegistry({ service: 'bench', processMetrics: false })),
    );
    await engine.load();
    const t0 = performance.now();
    for (let i = 0; i < msgs.length; i += BATCH) await engine.applyPredictions(msgs.slice(i, i + BATCH), { pending: Math.max(0, msgs.length - i - BATCH) });
    const s = (performance.now() - t0) / 1000;
    engine.close();
    return { logsPerS: msgs.length / s, reports };
  } finally {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const msgs = makeLogs(logs);
const apply: number[] = [];
const withTests: number[] = [];
let reports = 0;
for (let r = 0; r < runs; r++) {
  apply.push((await once(msgs, logs + 1)).logsPerS);
  const t = await once(msgs, windowRows);
  withTests.push(t.logsPerS);
  reports = t.reports;
}
const summary = {
  logs,
  runs,
  windowRows,
  apply_logs_s: Math.round(median(apply)),
  with_tests_logs_s: Math.round(median(withTests)),
  windows_tested_per_run: reports,
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
const out = join(projectRoot(), 'bench', 'results');
await mkdir(out, { recursive: true });
await writeFile(join(out, `${new Date().toISOString().slice(0, 10)}-monitor-ingest.json`), JSON.stringify({ ...summary, apply, withTests }, null, 2));
