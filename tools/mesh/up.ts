/**
 * `mlmesh up` (`npm start`): brings the whole mesh up on this machine and keeps it up until
 * Ctrl-C or SIGTERM, which drain it in reverse order (exit 0); a second one forces (SIGKILL to
 * every service, exit 130). Exit codes: 0 drained cleanly, 1 a service failed to start or had to
 * be killed on the way down, 2 bad command line or config.
 */
import { join } from 'node:path';
import { displayPath, planMesh } from './config.js';
import { MeshUsageError, ServiceStartError, exitCodeOf } from './errors.js';
import { flagsHelp, listFlag, parseFlags } from './flags.js';
import { UP_FLAGS } from './flag-tables.js';
import { LogStream } from './log-stream.js';
import { NATS_ACCOUNTS_FILE, prepareNatsAuth } from './nats-auth.js';
import type { MeshNatsAuth } from './nats-auth.js';
import { prepareMeshSecurity } from './security.js';
import type { MeshSecurity } from './security.js';
import { Mesh } from './supervisor.js';
import { stateFilePath } from './state-file.js';
import { renderTable } from './table.js';

/** What an entry point reads and writes (the process's, by default). */
export interface MeshIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** The running process's streams, environment and working directory. */
export function processIo(): MeshIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Signals that drain the mesh (a second one forces). */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];


/** The help text of `mlmesh up`. */
export const UP_HELP = `mlmesh up - start the whole mesh on this machine (npm start)

Usage: mlmesh up [--only a,b] [--config mlmesh.yaml] [--var-dir var] [--log-format auto|pretty|json]

NATS from NATS_URL, else a local nats-server -js the supervisor starts (data in var/nats), else
none: then inference runs without prediction logging and the monitor is off (said loudly).
Then features, preprocess, inference and monitor, each in its own supervised process, each
healthy before the next starts; crashed services are restarted with backoff. Ctrl-C or SIGTERM
drains them in reverse order; a second one forces. Docs: docs/mesh.md.

Options:
${flagsHelp(UP_FLAGS)}

Exit codes: 0 drained, 1 a service failed (to start, or to stop in its grace), 2 bad usage or config.
`;

/** The status table of a running mesh, as text. */
export function statusTable(mesh: Mesh): string {
  return renderTable(
    ['service', 'pid', 'state', 'gRPC', 'HTTP', 'what'],
    mesh.records().map((r) => [r.name, r.pid, r.state, r.grpc, r.http, r.role]),
  );
}

/** Picks the log format: the flag, else the config; `auto` is pretty on a terminal. */
/** What a person needs to call a mesh run with --tls/--secure from the CLI. */
function securityNote(s: MeshSecurity, io: MeshIo): string {
  const lines = [`CLI credentials (admin certificate): . ${displayPath(s.cliEnvFile, io.cwd)}`];
  if (s.token) lines.push(`admin token (shown once; also in ${displayPath(s.tokenFile ?? '', io.cwd)}, mode 0600): ${s.token}`);
  return lines.join('\n');
}

function logFormat(flag: string | undefined, configured: string, io: MeshIo): 'pretty' | 'json' {
  const f = flag ?? configured;
  if (!['auto', 'pretty', 'json'].includes(f)) throw new MeshUsageError(`--log-format: expected auto, pretty or json, got ${JSON.stringify(f)}`);
  if (f === 'auto') return io.stdout.isTTY ? 'pretty' : 'json';
  return f as 'pretty' | 'json';
}

function reportError(io: MeshIo, e: unknown): number {
  io.stderr.write(`mlmesh up: ${e instanceof Error ? e.message : String(e)}\n`);
  if (e instanceof ServiceStartError && e.output.length > 0) io.stderr.write(`last output of ${e.service}:\n${e.output.map((l) => `  ${l}`).join('\n')}\n`);
  if (e instanceof MeshUsageError) io.stderr.write("Run 'mlmesh up --help' for usage.\n");
  return exitCodeOf(e);
}

/**
 * Runs `mlmesh up` with `argv` (the words after `up`) until the mesh is stopped by a signal.
 * Installs SIGINT/SIGTERM handlers for its duration. Returns the exit code.
 */
export async function runUp(argv: readonly string[], io: MeshIo = processIo()): Promise<number> {
  let mesh: Mesh | undefined;
  let stopSignal: NodeJS.Signals | undefined;
  let forced = false;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (wake = r));
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopSignal !== undefined) {
      // The same signal delivered twice (npm start passes a terminal's Ctrl-C on), not a request to force.
      const repeatMs = mesh?.plan.mesh.signalRepeatMs ?? 0;
      if (Date.now() - firstSignalAt < repeatMs) {
        mesh?.log.mesh('info', `${signal} again within ${repeatMs} ms: ignored (npm start passes the terminal's Ctrl-C on as well); again later to force`);
        return;
      }
      forced = true;
      mesh?.log.mesh('warn', `${signal} again: killing every service now`);
      mesh?.kill();
      wake();
      return;
    }
    stopSignal = signal;
    firstSignalAt = Date.now();
    mesh?.log.mesh('info', `${signal}: draining the mesh in reverse order (${signal} again to force)`);
    void mesh?.drain();
    wake();
  };
  try {
    const flags = parseFlags(UP_FLAGS, argv);
    if (flags.help) {
      io.stdout.write(UP_HELP);
      return 0;
    }
    const plan = await planMesh({ configFile: flags.config, only: listFlag(flags.only), varDir: flags['var-dir'], env: io.env, cwd: io.cwd });
    const format = logFormat(flags['log-format'], plan.mesh.logFormat, io);
    const log = new LogStream({ out: io.stdout, format, color: format === 'pretty' && io.stdout.isTTY === true && !io.env['NO_COLOR'] });
    let security: MeshSecurity | undefined;
    if (flags.tls || flags.secure) {
      security = prepareMeshSecurity(plan.varDir, plan.services.map((s) => s.entry.name), flags.secure === true);
      log.mesh('info', `mutual TLS on: development CA and certificates in ${displayPath(join(plan.varDir, 'tls'), io.cwd)}${flags.secure ? '; authorization on' : ''}`, { cliEnv: security.cliEnvFile, authRequired: flags.secure === true });
    }
    let natsAuth: MeshNatsAuth | undefined;
    if (flags['nats-auth']) {
      if (plan.nats.mode !== 'local') throw new MeshUsageError(`--nats-auth runs the mesh's own nats-server with ${NATS_ACCOUNTS_FILE}; NATS here is ${plan.nats.mode === 'external' ? `NATS_URL ${plan.nats.url}: give the services their credentials with MLMESH_<SERVICE>_NATS_USER and MLMESH_<SERVICE>_NATS_PASSWORD_FILE instead` : 'not started'}`);
      natsAuth = prepareNatsAuth(plan.varDir, plan.services.filter((s) => s.entry.nats !== 'none').map((s) => s.entry.name));
      log.mesh('info', `NATS credentials on: one user per service, passwords in ${displayPath(join(plan.varDir, 'nats', 'secrets'), io.cwd)}`, { cliEnv: natsAuth.cliEnvFile });
    }
    mesh = Mesh.create(plan, log, { ...(security ? { tls: security.probe } : {}), ...(natsAuth ? { natsAuth } : {}) });
    // SIGHUP too: a closed terminal drains the mesh rather than leaving the services to notice.
    for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
    log.mesh('info', `mesh config ${plan.configFile ?? '(none: defaults)'}`, { varDir: plan.varDir, services: plan.services.map((s) => s.entry.name), nats: plan.nats.mode });
    try {
      await mesh.up({ ...io.env, ...security?.env, ...natsAuth?.serviceEnv });
    } catch (e: unknown) {
      // Stopped by a signal while starting: that is a drain, not a failure.
      if (stopSignal === undefined) return reportError(io, e);
    }
    if (stopSignal === undefined) {
      const records = mesh.records();
      if (format === 'pretty') {
        log.text(`\nmesh up (${plan.services.length} services, state ${displayPath(stateFilePath(plan.varDir), io.cwd)}):\n${statusTable(mesh)}`);
        const monitor = records.find((r) => r.name === 'monitor');
        if (monitor?.http) log.text(`drift pages: ${monitor.http}/  (per model: ${monitor.http}/models/<model>)`);
        if (plan.nats.mode === 'none') mesh.announceNoNats(plan.nats.reason);
        if (mesh.natsPortNote) log.text(`note: ${mesh.natsPortNote}`);
        if (security) log.text(securityNote(security, io));
        if (natsAuth) log.text(`NATS credentials of the CLI (user admin): . ${displayPath(natsAuth.cliEnvFile, io.cwd)}`);
        log.text('Ctrl-C drains the mesh.\n');
      } else {
        log.mesh('info', 'mesh up', { services: records, stateFile: stateFilePath(plan.varDir), ...(security ? { cliEnv: security.cliEnvFile, ...(security.tokenFile ? { tokenFile: security.tokenFile } : {}) } : {}) });
        // The token, once, on the terminal or the log (it is also in the 0600 token file).
        if (security?.token) io.stdout.write(`${securityNote(security, io)}\n`);
      }
      await stopped;
    }
    if (forced) return 130;
    const result = await mesh.drain();
    if (forced) return 130;
    mesh.log.mesh(result.clean ? 'info' : 'warn', result.clean ? 'mesh drained' : 'mesh stopped, but not every service exited cleanly', { outcomes: result.outcomes });
    return result.clean ? 0 : 1;
  } catch (e: unknown) {
    return reportError(io, e);
  } finally {
    for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
  }
}

export { UP_FLAGS };
