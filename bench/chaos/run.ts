/**
 * One chaos run (docs/security.md, "Fault injection"): the mesh up (bench/chaos/mesh.ts), the
 * steady load on (bench/chaos/load.ts), a steady period, then each fault in turn
 * (bench/chaos/faults.ts) with a quiet settle period after it, then the load off, the stream read
 * back (bench/chaos/stream.ts) and the figures per period (bench/chaos/accounting.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { account } from './accounting.js';
import type { Account, Period } from './accounting.js';
import { pickFaults } from './faults.js';
import type { FaultSettings, Injection } from './faults.js';
import { Load, applicationRows } from './load.js';
import { startChaosMesh } from './mesh.js';
import { readStream } from './stream.js';

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  /** Comma-separated fault names; all when unset. */
  faults?: string | undefined;
  /** Requests per second through the gateway. @default 20 (quick 10) */
  rate?: number | undefined;
  /** NATS down time of nats-down, in ms. @default 30000 (quick 5000) */
  natsDownMs?: number | undefined;
  /** Quiet time after each fault (and the steady period at the start), in ms. @default 15000 (quick 5000) */
  settleMs?: number | undefined;
  /** Shorter everything. */
  quick?: boolean | undefined;
  /** Environment for inference (K=V), e.g. MLMESH_INFERENCE_PUBLISH_DURABILITY=spool. */
  inferenceEnv?: Record<string, string> | undefined;
  /** Inference spoolMaxBytes. @default 4 MiB */
  spoolMaxBytes?: number | undefined;
  /** Monitor windowRows. @default 100 (quick 20) */
  windowRows?: number | undefined;
  log?: ((line: string) => void) | undefined;
}

/** What a run gives back. */
export interface ChaosResult {
  settings: Record<string, unknown>;
  account: Account;
  /** Services the supervisor reports as not ready when the load stopped (should be none). */
  notReady: string[];
  /** Faults that could not be injected or whose mesh did not come back in time, with why. */
  faultErrors: string[];
  /** Outcomes of the run's last 10 requests (all `ok` once the mesh has recovered). */
  lastOutcomes: string[];
}

/**
 * Runs the chaos run.
 * @throws Error naming an unknown fault, or when the mesh does not start.
 */
export async function runChaos(o: ChaosOptions = {}): Promise<ChaosResult> {
  const quick = o.quick ?? false;
  const faults = pickFaults(o.faults);
  const rate = o.rate ?? (quick ? 10 : 20);
  const settleMs = o.settleMs ?? (quick ? 5000 : 15_000);
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const settings: FaultSettings = {
    natsDownMs: o.natsDownMs ?? (quick ? 5000 : 30_000),
    slowHopMs: quick ? 3000 : 10_000,
    latencyMs: 300,
    spoolFullMs: quick ? 2000 : 5000,
    log,
  };
  const spoolMaxBytes = o.spoolMaxBytes ?? 4 * 1024 * 1024;
  const windowRows = o.windowRows ?? (quick ? 20 : 100);
  if (!(rate > 0 && rate <= 500)) throw new Error(`chaos: --rate must be in (0, 500] requests per second, got ${rate}`);
  const mesh = await startChaosMesh({ spoolMaxBytes, windowRows, restartDelayMs: 200, inferenceEnv: o.inferenceEnv ?? {}, log });
  const periods: Period[] = [];
  const faultErrors: string[] = [];
  let load: Load | undefined;
  try {
    load = new Load(mesh.gateway, rate, await applicationRows(), `chaos-${Date.now().toString(36)}`);
    let start = Date.now();
    load.start();
    log(`chaos: load at ${rate} req/s; steady for ${settleMs} ms`);
    await sleep(settleMs);
    periods.push({ name: 'steady', what: 'no fault', startMs: start, endMs: Date.now(), injection: undefined });
    for (const f of faults) {
      start = Date.now();
      log(`chaos: ${f.name}: ${f.what}`);
      let injection: Injection;
      try {
        injection = await f.inject(mesh, settings);
      } catch (e: unknown) {
        // One fault that could not be injected (or whose mesh did not come back in time) must not
        // lose the figures of the others: it is reported, and the run goes on.
        const message = e instanceof Error ? e.message : String(e);
        faultErrors.push(`${f.name}: ${message}`);
        log(`chaos: ${f.name} FAILED: ${message}`);
        injection = { injectedMs: start, clearedMs: Date.now(), restoredMs: undefined, restoredBy: '', dropped: 0, notes: [`the fault failed: ${message}`] };
      }
      log(`chaos: ${f.name}: cleared after ${injection.clearedMs - injection.injectedMs} ms${injection.restoredMs ? `, ${injection.restoredBy} after ${injection.restoredMs - injection.injectedMs} ms` : ''}; settling ${settleMs} ms`);
      await sleep(settleMs);
      periods.push({ name: f.name, what: f.what, startMs: start, endMs: Date.now(), injection });
    }
  } finally {
    await load?.stop();
    // Requests in flight when the last settle ended settle in the last period.
    const last = periods[periods.length - 1];
    if (last) last.endMs = Date.now() + 1;
  }
  try {
    const notReady = ['features', 'preprocess', 'inference', 'monitor', 'gateway', 'rollout', 'retrainer'].filter((s) => mesh.run.record(s).state !== 'ready');
    log(`chaos: load stopped (${load.sent.length} requests); reading the stream`);
    const stream = await readStream(mesh.nats.url, 'credit_risk');
    return {
      settings: { faults: faults.map((f) => f.name), rate, settleMs, quick, spoolMaxBytes, windowRows, inferenceEnv: o.inferenceEnv ?? {}, ...settings, log: undefined },
      account: account(periods, load.sent, stream),
      notReady,
      faultErrors,
      lastOutcomes: load.sent.slice(-10).map((s) => s.outcome),
    };
  } finally {
    await mesh.stop();
  }
}
