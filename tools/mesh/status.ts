/**
 * `mlmesh status`: what a running mesh is made of and whether it is healthy. Reads the state file
 * the supervisor keeps (`<varDir>/mesh/state.json`: pids, addresses, restarts) and probes every
 * member: gRPC health and /readyz, the server's version (inference ServerMetadata, NATS INFO) and a
 * cheap count per service (models ready, pipelines, features, monitored versions). Prints a table,
 * or JSON with `--json`. Exit codes: 0 every member healthy, 1 one is not, 2 bad usage, 3 no mesh
 * is running.
 */
import { FeaturesClient, GatewayClient, InferenceClient, MonitorClient, PreprocessClient, RetrainerClient, RolloutClient } from '../../shared/client/index.js';
import { meshSettings } from './config.js';
import { MeshUsageError, exitCodeOf } from './errors.js';
import { flagsHelp, parseFlags } from './flags.js';
import { STATUS_FLAGS } from './flag-tables.js';
import { firstNatsInfo } from './nats.js';
import { probeService } from './probe.js';
import { pidAlive, readState, stateFilePath } from './state-file.js';
import type { MeshState, ServiceRecord } from './state-file.js';
import { renderTable } from './table.js';
import { processIo } from './up.js';
import type { MeshIo } from './up.js';


/** The help text of `mlmesh status`. */
export const STATUS_HELP = `mlmesh status - health, versions and addresses of the running mesh

Usage: mlmesh status [--json] [--config mlmesh.yaml] [--var-dir var] [--timeout-ms 2000]

Options:
${flagsHelp(STATUS_FLAGS)}

Exit codes: 0 every service healthy, 1 one is not, 2 bad usage, 3 no mesh is running.
`;

/** One probed member. */
export interface MemberStatus extends ServiceRecord {
  /** SERVING, NOT_SERVING, UNREACHABLE: …, or `off`. */
  readonly health: string;
  readonly version: string | null;
  readonly detail: string | null;
}

/** What `mlmesh status --json` prints. */
export interface StatusReport {
  readonly running: boolean;
  readonly stateFile: string;
  readonly supervisor: { readonly pid: number; readonly alive: boolean; readonly state: string; readonly startedAt: string; readonly configFile: string | null; readonly version: string } | null;
  readonly natsUrl: string | null;
  readonly services: readonly MemberStatus[];
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function details(r: ServiceRecord, timeoutMs: number, tls: MeshState['tls']): Promise<{ version: string | null; detail: string | null }> {
  const address = r.grpc as string;
  const opts = { timeoutMs, retry: { maxAttempts: 1 }, ...(tls ? { tls: { ...tls, reloadIntervalMs: 0 } } : {}) };
  switch (r.name) {
    case 'inference': {
      using c = new InferenceClient(address, opts);
      const [meta, index] = await Promise.all([c.serverMetadata(), c.repositoryIndex({})]);
      const ready = index.models.filter((m) => m.state === 'READY').map((m) => `${m.name}@${m.version}`);
      return { version: `${meta.name} ${meta.version}`, detail: `${ready.length} model versions ready${ready.length ? `: ${ready.join(', ')}` : ''}` };
    }
    case 'preprocess': {
      using c = new PreprocessClient(address, opts);
      return { version: null, detail: `${(await c.listPipelines({})).pipelines.length} pipelines` };
    }
    case 'features': {
      using c = new FeaturesClient(address, opts);
      return { version: null, detail: `${(await c.listFeatures({})).features.length} feature versions` };
    }
    case 'monitor': {
      using c = new MonitorClient(address, opts);
      const st = await c.getStatus({});
      const drifted = st.versions.filter((v) => v.last_report?.drifted).map((v) => `${v.model}@${v.version}`);
      return { version: null, detail: `${st.versions.length} model versions watched${drifted.length ? `; drifting: ${drifted.join(', ')}` : ''}` };
    }
    case 'gateway': {
      using c = new GatewayClient(address, opts);
      const [v, list] = await Promise.all([c.getVersion(), c.listDeployments()]);
      const names = list.deployments.map((d) => `${d.name}@${d.version}`);
      return { version: v.server_version, detail: `${names.length} deployments${names.length ? `: ${names.join(', ')}` : ''}${list.refused.length ? `; ${list.refused.length} refused` : ''}` };
    }
    case 'rollout': {
      using c = new RolloutClient(address, opts);
      const all = (await c.listRollouts()).rollouts;
      const active = all.filter((x) => !['completed', 'rolled_back', 'aborted'].includes(x.state));
      return { version: null, detail: `${active.length} active rollouts${active.length ? `: ${active.map((x) => `${x.model} ${x.candidate}@${x.candidate_percent}% ${x.state}`).join(', ')}` : ''}` };
    }
    case 'retrainer': {
      using c = new RetrainerClient(address, opts);
      const runs = (await c.listRuns({ limit: 500 })).runs;
      const active = runs.filter((x) => x.state === 'running');
      return { version: null, detail: `${active.length} active runs${active.length ? `: ${active.map((x) => `${x.model} ${x.stage}`).join(', ')}` : ''}; ${runs.length} runs kept` };
    }
    default:
      return { version: null, detail: null };
  }
}

async function probeMember(r: ServiceRecord, state: MeshState, timeoutMs: number): Promise<MemberStatus> {
  if (r.name === 'nats') {
    if (!r.grpc) return { ...r, health: 'off', version: null, detail: 'no NATS: prediction logging and the monitor are off' };
    try {
      const info = await firstNatsInfo(r.grpc, timeoutMs);
      return { ...r, health: info.jetstream ? 'SERVING' : 'NOT_SERVING', version: `nats-server ${info.version}`, detail: info.jetstream ? 'JetStream on' : 'JetStream OFF' };
    } catch (e: unknown) {
      return { ...r, health: `UNREACHABLE: ${message(e)}`, version: null, detail: null };
    }
  }
  if (!r.grpc) return { ...r, health: 'off', version: null, detail: null };
  const h = await probeService(r.grpc, r.http ?? undefined, timeoutMs, state.tls ?? undefined);
  const health = h.ready ? 'SERVING' : h.grpc === 'SERVING' ? `NOT_READY (/readyz ${h.http})` : h.grpc;
  if (h.grpc.startsWith('UNREACHABLE')) return { ...r, health, version: null, detail: null };
  try {
    const d = await details(r, timeoutMs, state.tls);
    return { ...r, health, version: d.version ?? `mlmesh ${state.version}`, detail: d.detail };
  } catch (e: unknown) {
    return { ...r, health, version: `mlmesh ${state.version}`, detail: `(${message(e)})` };
  }
}

/** Probes the mesh recorded in `varDir`. */
export async function meshStatus(varDir: string, timeoutMs: number): Promise<StatusReport> {
  const stateFile = stateFilePath(varDir);
  const state = readState(varDir);
  if (!state) return { running: false, stateFile, supervisor: null, natsUrl: null, services: [] };
  const alive = pidAlive(state.supervisorPid);
  const running = alive && state.state !== 'stopped';
  const supervisor = { pid: state.supervisorPid, alive, state: state.state, startedAt: state.startedAt, configFile: state.configFile, version: state.version };
  if (!running) return { running, stateFile, supervisor, natsUrl: state.natsUrl, services: state.services.map((r) => ({ ...r, health: 'off', version: null, detail: null })) };
  const services = await Promise.all(state.services.map((r) => probeMember(r, state, timeoutMs)));
  return { running, stateFile, supervisor, natsUrl: state.natsUrl, services };
}

/** Runs `mlmesh status` with `argv` (the words after `status`); returns the exit code. */
export async function runStatus(argv: readonly string[], io: MeshIo = processIo()): Promise<number> {
  try {
    const flags = parseFlags(STATUS_FLAGS, argv);
    if (flags.help) {
      io.stdout.write(STATUS_HELP);
      return 0;
    }
    const timeoutMs = flags['timeout-ms'] === undefined ? 2000 : Number(flags['timeout-ms']);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new MeshUsageError(`--timeout-ms: expected a positive integer, got ${JSON.stringify(flags['timeout-ms'])}`);
    const { varDir } = meshSettings({ configFile: flags.config, varDir: flags['var-dir'], env: io.env, cwd: io.cwd });
    const report = await meshStatus(varDir, timeoutMs);
    const healthy = report.running && report.services.every((s) => s.health === 'SERVING' || s.health === 'off');
    if (flags.json) {
      io.stdout.write(JSON.stringify(report, null, 2) + '\n');
    } else if (!report.supervisor) {
      io.stdout.write(`no mesh is running: no ${report.stateFile} (start one with \`mlmesh up\` / npm start)\n`);
    } else if (!report.running) {
      const how = report.supervisor.alive ? `stopped at ${report.supervisor.startedAt}` : `its supervisor (pid ${report.supervisor.pid}) is not running (state ${report.supervisor.state})`;
      io.stdout.write(`no mesh is running from ${varDir}: ${how}\n`);
    } else {
      const s = report.supervisor;
      io.stdout.write(`mesh running: supervisor pid ${s.pid} since ${s.startedAt}, mlmesh ${s.version}, config ${s.configFile ?? '(defaults)'}\n\n`);
      io.stdout.write(
        renderTable(
          ['service', 'pid', 'state', 'health', 'gRPC', 'HTTP', 'version', 'restarts', 'detail'],
          report.services.map((m) => [m.name, m.pid, m.state, m.health, m.grpc, m.http, m.version, m.restarts, m.detail]),
        ),
      );
    }
    if (!report.running) return 3;
    return healthy ? 0 : 1;
  } catch (e: unknown) {
    io.stderr.write(`mlmesh status: ${message(e)}\n`);
    if (e instanceof MeshUsageError) io.stderr.write("Run 'mlmesh status --help' for usage.\n");
    return exitCodeOf(e);
  }
}

export { STATUS_FLAGS };
