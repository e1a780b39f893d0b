/**
 * The faults of the chaos run, each injected while the load runs: SIGKILL of a service (the
 * supervisor restarts it), a NATS restart, NATS down for a while, the inference spool at its cap
 * (NATS down and a filler filling the spool), and a slow hop (the TCP proxy in front of the
 * gateway's inference hop adding latency, then cutting connections with RSTs).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { InferInput, InferenceClient } from '../../shared/client/index.js';
import { MESH_SERVICES, metric, waitRestarted } from './mesh.js';
import type { ChaosMesh, MeshService } from './mesh.js';

/** Settings the faults read. */
export interface FaultSettings {
  natsDownMs: number;
  /** How long each phase of the slow hop lasts (latency, then resets), in ms. */
  slowHopMs: number;
  /** Latency the slow hop adds in each direction, in ms. */
  latencyMs: number;
  /** How long the spool stays full (steady load's logs dropped) before NATS comes back, in ms. */
  spoolFullMs: number;
  log: (line: string) => void;
}

/** What one injection did, in epoch ms. */
export interface Injection {
  /** When the fault began. */
  injectedMs: number;
  /** When the fault itself was over (the kill sent; NATS back; the proxy forwarding normally again). */
  clearedMs: number;
  /** When the mesh said it was whole again (the supervisor's ready; the spool drained), or undefined when it has no such signal. */
  restoredMs: number | undefined;
  /** What `restoredMs` means. */
  restoredBy: string;
  /** Prediction logs inference counted as dropped (spool cap) during the fault. */
  dropped: number;
  notes: string[];
}

/** A fault: its name and how to inject it. */
export interface Fault {
  name: string;
  what: string;
  inject(mesh: ChaosMesh, s: FaultSettings): Promise<Injection>;
}

const PUBLISHER = { publisher: 'predictions' };

async function dropped(mesh: ChaosMesh): Promise<number> {
  return (await metric(mesh.inferenceMetrics, 'mlmesh_publisher_dropped_total', PUBLISHER).catch(() => undefined)) ?? 0;
}

/** Waits until inference's spool and memory queue are empty; returns when (epoch ms), or undefined after `timeoutMs`. */
async function spoolDrained(mesh: ChaosMesh, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [bytes, queue] = await Promise.all([
      metric(mesh.inferenceMetrics, 'mlmesh_publisher_spool_bytes', PUBLISHER).catch(() => undefined),
      metric(mesh.inferenceMetrics, 'mlmesh_publisher_queue_depth', PUBLISHER).catch(() => undefined),
    ]);
    if (bytes === 0 && (queue ?? 0) === 0) return Date.now();
    await sleep(100);
  }
  return undefined;
}

function kill(name: MeshService): Fault {
  return {
    name: `kill-${name}`,
    what: `SIGKILL of ${name}; the supervisor restarts it`,
    async inject(mesh) {
      const r = mesh.record(name);
      if (!r.pid) throw new Error(`chaos: ${name} has no pid in the state file (state ${r.state})`);
      const before = r.restarts;
      const dropsBefore = name === 'inference' ? 0 : await dropped(mesh);
      const injectedMs = Date.now();
      process.kill(r.pid, 'SIGKILL');
      const restoredMs = await waitRestarted(mesh, name, before, 120_000);
      // Inference's counters start over with the new process.
      const dropsAfter = await dropped(mesh);
      return { injectedMs, clearedMs: injectedMs, restoredMs, restoredBy: 'supervisor: ready again', dropped: Math.max(0, dropsAfter - dropsBefore), notes: [`pid ${r.pid}, restart ${before + 1}`] };
    },
  };
}

const natsRestart: Fault = {
  name: 'nats-restart',
  what: 'nats-server stopped (SIGTERM) and started again at once on the same port and store',
  async inject(mesh) {
    const dropsBefore = await dropped(mesh);
    const injectedMs = Date.now();
    await mesh.nats.restart();
    const clearedMs = Date.now();
    const restoredMs = await spoolDrained(mesh, 120_000);
    return { injectedMs, clearedMs, restoredMs, restoredBy: 'inference spool drained', dropped: (await dropped(mesh)) - dropsBefore, notes: [`down ${clearedMs - injectedMs} ms`] };
  },
};

const natsDown: Fault = {
  name: 'nats-down',
  what: 'nats-server stopped for --nats-down-ms, then started again',
  async inject(mesh, s) {
    const dropsBefore = await dropped(mesh);
    const injectedMs = Date.now();
    await mesh.nats.stop();
    await sleep(s.natsDownMs);
    const spooled = await metric(mesh.inferenceMetrics, 'mlmesh_publisher_spool_bytes', PUBLISHER).catch(() => undefined);
    await mesh.nats.restart();
    const clearedMs = Date.now();
    const restoredMs = await spoolDrained(mesh, 120_000);
    return { injectedMs, clearedMs, restoredMs, restoredBy: 'inference spool drained', dropped: (await dropped(mesh)) - dropsBefore, notes: [`down ${clearedMs - injectedMs} ms, spool ${spooled ?? '?'} B before NATS came back`] };
  },
};

/** 256 rows of digits_mlp input (64 floats each), about 75 kB of prediction log. */
function fillerInput(): Float32Array {
  const a = new Float32Array(256 * 64);
  for (let i = 0; i < a.length; i++) a[i] = (i % 17) / 16;
  return a;
}

/** Logs the spool refused in `publishDurability: spool` mode (the call failed RESOURCE_EXHAUSTED instead of dropping its log). */
async function refused(mesh: ChaosMesh): Promise<number> {
  return (await metric(mesh.inferenceMetrics, 'mlmesh_publisher_durable_refused_total', PUBLISHER).catch(() => undefined)) ?? 0;
}

const spoolFull: Fault = {
  name: 'spool-full',
  what: 'NATS down; a filler sends 256-row digits_mlp requests straight to inference until the spool reaches spoolMaxBytes (drops its logs, or with publishDurability spool refuses the calls); the steady load goes on with the spool full for a while; NATS back',
  async inject(mesh, s) {
    const dropsBefore = await dropped(mesh);
    const refusedBefore = await refused(mesh);
    const injectedMs = Date.now();
    await mesh.nats.stop();
    let calls = 0;
    let fullAt: number | undefined;
    let fullBy = '';
    let spooled: number | undefined;
    try {
      const filler = new InferenceClient(mesh.inference, { timeoutMs: 10_000 });
      const input = fillerInput();
      const deadline = Date.now() + 120_000;
      try {
        while (Date.now() < deadline) {
          try {
            await filler.infer('digits_mlp', [InferInput.from('input', input, [256, 64])], { requestId: `filler-${calls}` });
          } catch (e) {
            // Zero-loss mode: the spool refuses the call rather than drop its log.
            if ((e as { codeName?: string }).codeName !== 'RESOURCE_EXHAUSTED') throw e;
          }
          calls++;
          if ((await dropped(mesh)) > dropsBefore) fullBy = 'logs dropped';
          else if ((await refused(mesh)) > refusedBefore) fullBy = 'calls refused (RESOURCE_EXHAUSTED)';
          if (fullBy !== '') {
            fullAt = Date.now();
            break;
          }
        }
      } finally {
        filler.close();
      }
      if (fullAt === undefined) throw new Error(`chaos: the spool did not reach its cap within 120 s (${calls} filler calls)`);
      await sleep(s.spoolFullMs);
      spooled = await metric(mesh.inferenceMetrics, 'mlmesh_publisher_spool_bytes', PUBLISHER).catch(() => undefined);
    } finally {
      // NATS comes back whatever happened: the faults after this one, and the stream read, need it.
      await mesh.nats.restart();
    }
    const clearedMs = Date.now();
    const restoredMs = await spoolDrained(mesh, 120_000);
    return {
      injectedMs,
      clearedMs,
      restoredMs,
      restoredBy: 'inference spool drained',
      dropped: (await dropped(mesh)) - dropsBefore,
      notes: [`${calls} filler calls to the cap (${fullBy}) in ${fullAt - injectedMs} ms, then ${s.spoolFullMs} ms full (spool ${spooled ?? '?'} B); ${(await refused(mesh)) - refusedBefore} calls refused by the spool`],
    };
  },
};

const slowHop: Fault = {
  name: 'slow-hop',
  what: 'the TCP proxy on the gateway → inference hop adds latency each way, then cuts every connection with a RST every 500 ms',
  async inject(mesh, s) {
    const injectedMs = Date.now();
    const resetsBefore = mesh.proxy.counts.reset;
    mesh.proxy.setLatency(s.latencyMs);
    await sleep(s.slowHopMs);
    mesh.proxy.setLatency(0);
    const end = Date.now() + s.slowHopMs;
    while (Date.now() < end) {
      mesh.proxy.reset();
      await sleep(500);
    }
    const clearedMs = Date.now();
    return { injectedMs, clearedMs, restoredMs: undefined, restoredBy: '', dropped: 0, notes: [`${s.latencyMs} ms each way for ${s.slowHopMs} ms, then ${mesh.proxy.counts.reset - resetsBefore} connections reset over ${s.slowHopMs} ms`] };
  },
};

/** Every fault, in the order the run injects them. */
export const FAULTS: readonly Fault[] = [...MESH_SERVICES.map(kill), natsRestart, natsDown, spoolFull, slowHop];

/**
 * The faults named in `list` (comma-separated), in the run's order.
 * @throws Error naming an unknown fault.
 */
export function pickFaults(list: string | undefined): Fault[] {
  if (list === undefined || list.trim() === '') return [...FAULTS];
  const names = list.split(',').map((n) => n.trim()).filter(Boolean);
  for (const n of names) if (!FAULTS.some((f) => f.name === n)) throw new Error(`chaos: --faults names '${n}', not a fault (known: ${FAULTS.map((f) => f.name).join(', ')})`);
  return FAULTS.filter((f) => names.includes(f.name));
}
